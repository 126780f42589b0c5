"""The analysis and decision of one trial as JSON-ready data: what ``ldntrial analyze --json``
prints (one line per diary) and what a clinician's signature at reassessment covers (open label,
or blinded with :func:`blinded_analysis_record`)."""

from __future__ import annotations

from typing import Any

from ldntrial.core.analysis.blinded import BlindedAnalysis
from ldntrial.core.analysis.blinded_record import blinded_record
from ldntrial.core.analysis.decision import Decision
from ldntrial.core.analysis.trial import MetricResult, TrialAnalysis
from ldntrial.core.trial.visit_measures import PegScore, VisitSummary

RECORD_FORMAT = "ldntrial.analysis/1"
BLINDED_RECORD_FORMAT = "ldntrial.blinded-analysis/1"


def analysis_record(analysis: TrialAnalysis, decision: Decision) -> dict[str, Any]:
    return {
        "format": RECORD_FORMAT,
        "protocol_fingerprint": analysis.protocol.fingerprint,
        "label": analysis.label,
        "methods": analysis.methods,
        "metrics": [_metric(r) for r in analysis.metrics],
        "visits": _visits(decision.visits),
        "decision": decision_record(decision),
    }


def blinded_analysis_record(analysis: BlindedAnalysis, decision: Decision) -> dict[str, Any]:
    """A blinded trial's analysis (LDN minus placebo, side effects by arm, blinding check, the
    unblinded sequence) with the visit measures and the suggested decision."""
    return {
        "format": BLINDED_RECORD_FORMAT,
        **blinded_record(analysis),
        "visits": _visits(decision.visits),
        "decision": decision_record(decision),
    }


def decision_record(decision: Decision) -> dict[str, Any]:
    return {
        "outcome": decision.outcome.value,
        "rule": decision.rule.value,
        "explanation": decision.explanation,
        "probability_met": decision.probability_met,
        "adherence": {
            "taken": decision.adherence.taken,
            "reported": decision.adherence.reported,
        },
        "side_effects": [
            {
                "name": e.name,
                "days": e.days_reported,
                "first": e.first.isoformat(),
                "last": e.last.isoformat(),
                "settled": e.settled,
            }
            for e in decision.side_effects
        ],
    }


def _metric(r: MetricResult) -> dict[str, Any]:
    return {
        "metric": r.metric.key,
        "days_used": r.days_used,
        "baseline_days": r.baseline_days,
        "maintenance_days": r.maintenance_days,
        "titration_days": r.titration_days,
        "baseline_mean": r.baseline_mean,
        "maintenance_mean": r.maintenance_mean,
        "effect_mean": r.effect_mean,
        "interval_95": list(r.interval) if r.interval else None,
        "p_better": r.p_better,
        "p_better_than_mcid": r.p_better_than_mcid,
        "mcid": r.mcid_text,
        "p_relative_30": r.p_relative_30,
        "p_worse_1": r.p_worse_1,
        "bands": {b.label: b.probability for b in r.bands},
        "rho_mean": r.rho_mean,
        "sufficiency": r.sufficiency.value,
        "sufficiency_reason": r.sufficiency_reason,
    }


def _visits(visits: VisitSummary) -> dict[str, Any]:
    def peg(score: PegScore | None) -> dict[str, Any] | None:
        return None if score is None else {**score.items(), "score": score.score}

    return {
        "peg_baseline": peg(visits.baseline_peg),
        "peg_reassessment": peg(visits.reassessment_peg),
        "peg_change": visits.peg_change,
        "pgic": None if visits.pgic is None else visits.pgic.value,
    }
