"""A blinded analysis as JSON-ready data (the CLI's --json; later the report and the API)."""

from __future__ import annotations

from typing import Any

from ldntrial.core.analysis.blinded import BlindedAnalysis, BlindedMetricResult


def blinded_record(analysis: BlindedAnalysis) -> dict[str, Any]:
    protocol = analysis.protocol
    blinding = analysis.blinding
    return {
        "protocol_fingerprint": protocol.fingerprint,
        "design": protocol.design.value,
        "label": analysis.label,
        "methods": analysis.methods,
        "metrics": [_metric(m) for m in analysis.metrics],
        "side_effects": [
            {
                "name": s.name,
                "arm": s.arm.value,
                "days_with": s.days_with,
                "days_observed": s.days_observed,
                "rate": s.rate,
                "interval": None if s.interval is None else list(s.interval),
            }
            for s in analysis.side_effects
        ],
        "nocebo": [
            {
                "name": n.name,
                "ratio": n.ratio,
                "interval": None if n.interval is None else list(n.interval),
                "reason": n.reason,
            }
            for n in analysis.nocebo
        ],
        "blinding_check": {
            "guesses": blinding.guesses,
            "right": blinding.right,
            "dont_know": blinding.dont_know,
            "missing": blinding.missing,
            "p_value": blinding.p_value,
            "interval": None if blinding.interval is None else list(blinding.interval),
        },
        "sequence": [arm.value for arm in analysis.sequence],
    }


def _metric(m: BlindedMetricResult) -> dict[str, Any]:
    return {
        "metric": m.metric.key,
        "ldn_days": m.active_days,
        "placebo_days": m.placebo_days,
        "no_capsule_days": m.no_capsule_days,
        "ldn_mean": m.active_mean,
        "placebo_mean": m.placebo_mean,
        "effect_mean": m.effect_mean,
        "interval": None if m.interval is None else list(m.interval),
        "p_better": m.p_better,
        "p_better_than_mcid": m.p_better_than_mcid,
        "mcid": m.mcid_text,
        "p_worse_1": m.p_worse_1,
        "bands": {b.label: b.probability for b in m.bands},
        "rho_mean": m.rho_mean,
        "sufficiency": m.sufficiency.value,
        "sufficiency_reason": m.sufficiency_reason,
    }
