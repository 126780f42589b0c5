"""The reassessment report: one partial shared by the web page and the PDF, with SVG charts.

``build_report`` turns the analysis, the decision and the signature into a ``TrialReport`` of
text (numbers and dates formatted here: see ``reports.rendering``). The partial
``reports/_trial_report.html`` lays it out; the PDF document (``report_document``) and the web
page (``clinic/reassessment.html``) both include that one partial. Autoescaping escapes every
value; the charts' SVG is the only markup that enters unescaped (``_chart``).

Open-label results are always labelled as change from baseline that includes placebo response
and regression to the mean.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from ldntrial.core.analysis.decision import Decision, Outcome
from ldntrial.core.analysis.trial import MetricResult, Observation, TrialAnalysis
from ldntrial.core.trial.protocol import Protocol
from ldntrial.core.trial.visit_measures import PegScore, VisitSummary
from ldntrial.reports.charts import Series, daily_chart, posterior_chart, trial_diagram
from ldntrial.reports.rendering import render

OUTCOME_WORDS = {
    Outcome.CONTINUE: "continue LDN",
    Outcome.ADJUST: "adjust (dose, timing or length of the trial)",
    Outcome.STOP: "stop LDN",
}

Rows = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Signature:
    signer: str
    signed_at: dt.datetime
    final_outcome: Outcome
    override_reason: str
    valid: bool


@dataclass(frozen=True)
class AmendmentMark:
    """An amendment as the report shows it: on the diagram and in a table under it."""

    version: int
    on: dt.date
    what: str  # e.g. "step back to the previous dose"
    reason: str
    fingerprint: str
    parent_fingerprint: str

    @property
    def fingerprints(self) -> str:
        return f"{self.parent_fingerprint[:12]}… → {self.fingerprint[:12]}…"


@dataclass(frozen=True)
class SignedDecision:
    outcome: str
    override_reason: str
    signer: str
    signed_at: str
    valid: bool


@dataclass(frozen=True)
class MetricSection:
    label: str
    primary: bool
    daily_chart: SafeString
    means: str
    better: str
    sufficiency: str
    sufficiency_reason: str
    posterior_chart: SafeString
    rows: Rows


@dataclass(frozen=True)
class SideEffectRow:
    name: str
    days: str
    first: str
    last: str
    course: str


@dataclass(frozen=True)
class TrialReport:
    """What the report shows, as text, in the order the partial shows it."""

    patient_label: str
    condition: str
    design: str
    start: str
    reassessment: str
    fingerprint: str
    locked_at: str
    label: str
    success: str
    methods: str
    diagram: SafeString
    metrics: tuple[MetricSection, ...]
    visit_rows: Rows
    side_effects: tuple[SideEffectRow, ...]
    adherence: str
    outcome: str
    rule: str
    explanation: str
    signature: SignedDecision | None
    amendments: tuple[AmendmentMark, ...] = ()


def _chart(svg: str) -> SafeString:
    # The one place markup enters the report unescaped. It is safe because the SVG is written
    # by our own code (reports.charts) from numbers, dates and fixed enum values, and every
    # label it carries (metric names, dose steps, the MCID) is escaped there; nothing a user
    # typed reaches it unescaped (tests/reports/test_charts.py, test_report_escaping.py).
    return mark_safe(svg)  # noqa: S308 -- escaped where it is written, as said above


def _pct(p: float | None) -> str:
    return "–" if p is None else f"{p:.0%}"


def _pts(x: float | None) -> str:
    return "–" if x is None else f"{x:+.2f}"


def _mean(x: float | None) -> str:
    return "–" if x is None else f"{x:.1f}"


def build_report(
    analysis: TrialAnalysis,
    decision: Decision,
    observations: Sequence[Observation],
    *,
    patient_label: str | None = None,
    condition_name: str = "",
    signature: Signature | None = None,
    amendments: Sequence[AmendmentMark] = (),
) -> TrialReport:
    p = analysis.protocol
    adherence = decision.adherence
    return TrialReport(
        patient_label=patient_label or "",
        condition=condition_name,
        design=p.design.value.replace("_", " "),
        start=p.start_date.isoformat(),
        reassessment=p.reassessment_date.isoformat(),
        fingerprint=p.fingerprint,
        locked_at=p.locked_at.isoformat() if p.locked_at else "",
        label=analysis.label,
        success=p.success.describe(p.primary),
        methods=analysis.methods,
        diagram=_chart(trial_diagram(p, amendments=[(m.version, m.on) for m in amendments])),
        amendments=tuple(amendments),
        metrics=tuple(_metric_section(p, r, observations) for r in analysis.metrics),
        visit_rows=_visit_rows(decision.visits),
        side_effects=tuple(
            SideEffectRow(
                name=e.name.replace("_", " "),
                days=str(e.days_reported),
                first=e.first.isoformat(),
                last=e.last.isoformat(),
                course="settled" if e.settled else "still reported",
            )
            for e in decision.side_effects
        ),
        adherence=(
            f"Doses taken on {adherence.taken} of {adherence.reported} reported days "
            f"({_pct(adherence.share)})."
            if adherence.reported
            else "No doses reported."
        ),
        outcome=OUTCOME_WORDS[decision.outcome],
        rule=decision.rule.value.replace("_", " "),
        explanation=decision.explanation,
        signature=None if signature is None else _signed(signature),
    )


def report_document(report: TrialReport) -> str:
    """The report as a whole HTML document, for the PDF (``reports.pdf.html_to_pdf``)."""
    return render("reports/trial_report.html", {"report": report})


def _metric_section(
    protocol: Protocol, result: MetricResult, observations: Sequence[Observation]
) -> MetricSection:
    points = [
        (o.day, int(o.values[result.metric.key]))
        for o in observations
        if result.metric.key in o.values
    ]
    phase_means = []
    for phase in protocol.phases():
        values = [v for day, v in points if phase.first <= day <= phase.last]
        if values:
            phase_means.append((phase.first, phase.last, sum(values) / len(values)))
    chart = daily_chart(
        Series(result.metric.label, points),
        first=protocol.start_date,
        last=protocol.reassessment_date,
        phases=protocol.phases(),
        better=result.metric.better.value,
        means=phase_means,
        steps=[(s.start, str(s.dose)) for s in protocol.titration.steps],
    )
    rows = [
        ("Change from baseline (posterior mean)", _pts(result.effect_mean)),
        (
            "95% credible interval",
            "–"
            if result.interval is None
            else f"{result.interval[0]:+.2f} to {result.interval[1]:+.2f}",
        ),
        ("P(better than baseline)", _pct(result.p_better)),
        (f"P(better by the MCID: {result.mcid_text})", _pct(result.p_better_than_mcid)),
        ("P(relative improvement of at least 30%)", _pct(result.p_relative_30)),
        ("P(worse by at least 1 point)", _pct(result.p_worse_1)),
    ] + [(f"Band: {b.label}", _pct(b.probability)) for b in result.bands]
    return MetricSection(
        label=result.metric.label,
        primary=result.metric.key == protocol.primary_metric,
        daily_chart=_chart(chart),
        means=(
            f"Observed means: baseline {_mean(result.baseline_mean)}, "
            f"maintenance {_mean(result.maintenance_mean)}"
        ),
        better=result.metric.better.value.capitalize(),
        sufficiency=result.sufficiency.value,
        sufficiency_reason=result.sufficiency_reason,
        posterior_chart=_chart(posterior_chart(result)),
        rows=tuple(rows),
    )


def _peg_text(score: PegScore | None) -> str:
    if score is None:
        return "not recorded"
    return (
        f"{score.score:.1f} (pain {score.pain}, enjoyment of life {score.enjoyment}, "
        f"general activity {score.activity})"
    )


def _visit_rows(visits: VisitSummary) -> Rows:
    """The PEG at baseline and reassessment and the patient's global impression of change."""
    change = "–" if visits.peg_change is None else f"{visits.peg_change:+.1f}"
    pgic = "not recorded" if visits.pgic is None else visits.pgic.value.replace("_", " ")
    return (
        ("PEG at baseline (0-10, mean of 3 items)", _peg_text(visits.baseline_peg)),
        ("PEG at reassessment", _peg_text(visits.reassessment_peg)),
        ("PEG change (negative: better)", change),
        ("Patient's global impression of change (PGIC)", pgic),
    )


def _signed(signature: Signature) -> SignedDecision:
    return SignedDecision(
        outcome=OUTCOME_WORDS[signature.final_outcome],
        override_reason=signature.override_reason,
        signer=signature.signer,
        signed_at=signature.signed_at.isoformat(),
        valid=signature.valid,
    )


def patient_summary_text(
    analysis: TrialAnalysis,
    final: Outcome,
    *,
    follow_up_on: dt.date | None = None,
    stop_instruction: str = "",
) -> list[str]:
    """The one-page plain-language summary for the patient. After a stop it gives the
    clinician's stopping instruction and the follow-up date, and no longer says "you take it"."""
    r = analysis.primary
    label = r.metric.label.lower()
    lines = []
    if r.effect_mean is not None and r.baseline_mean is not None:
        way = "lower" if r.effect_mean < 0 else "higher"
        lines.append(
            f"Before LDN, your average {label} score was {r.baseline_mean:.1f} out of 10. "
            f"On the steady dose it was {r.maintenance_mean:.1f}."
            if r.maintenance_mean is not None
            else f"Before LDN, your average {label} score was {r.baseline_mean:.1f} out of 10."
        )
        lines.append(
            f"Taking day-to-day ups and downs into account, your {label} was about "
            f"{abs(r.effect_mean):.1f} points {way} on LDN."
        )
    lines.append(
        "This was not a blind test. Part of any change can come from expecting to feel "
        "better, or from symptoms going up and down on their own."
    )
    return lines + decision_lines(
        final, follow_up_on=follow_up_on, stop_instruction=stop_instruction
    )


def decision_lines(
    final: Outcome, *, follow_up_on: dt.date | None = None, stop_instruction: str = ""
) -> list[str]:
    """What the patient and the clinician decided, and what follows, in plain words."""
    lines = []
    lines.append(
        {
            Outcome.CONTINUE: "You and your clinician decided to continue LDN.",
            Outcome.ADJUST: "You and your clinician decided to change the plan "
            "(the dose, the time you take it, or how long the trial runs).",
            Outcome.STOP: "You and your clinician decided to stop LDN.",
        }[final]
    )
    if final is Outcome.STOP:
        if stop_instruction:
            lines.append(f"How to stop, as your clinician wrote it: {stop_instruction}")
        if follow_up_on is not None:
            lines.append(f"Your follow-up appointment: {follow_up_on.strftime('%-d %B %Y')}.")
        return lines
    if final is Outcome.CONTINUE and follow_up_on is not None:
        lines.append(f"Your next review: {follow_up_on.strftime('%-d %B %Y')}.")
    lines.append(
        "Remember: LDN blocks opioid medicines. Tell every doctor and pharmacist you take it."
    )
    return lines
