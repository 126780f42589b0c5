"""The report of an unblinded blinded n-of-1 trial: LDN against the identical placebo.

``build_blinded_report`` turns the blinded analysis, the decision, the unblinding and the
signature into a :class:`BlindedReport` of text (numbers formatted here, as for the open-label
report: ``reports.rendering``). One partial, ``reports/_blinded_report.html``, lays it out for
the web page and for the PDF (``blinded_report_document``); the chart's SVG is the only markup
that enters unescaped (``trial_report._chart``).

It shows the sequence after unblinding period by period (with each period's mean, the
patient's guess and global impression), says "unblinded early" with the stated reason when the
unblinding was an emergency, and answers the CENT 2015 items that apply to one trial
(:mod:`ldntrial.reports.cent`). It is only ever built from an unblinded trial: before that,
the allocation it shows is concealed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.safestring import SafeString

from ldntrial.core.analysis.blinded import BlindedAnalysis, BlindedMetricResult
from ldntrial.core.analysis.blinded_periods import (
    PeriodSummary,
    carry_over_check,
    period_summaries,
)
from ldntrial.core.analysis.blinded_safety import Guess
from ldntrial.core.analysis.blinded_words import plain_result
from ldntrial.core.analysis.decision import Decision, Outcome
from ldntrial.core.analysis.trial import Observation
from ldntrial.core.trial.blinded import Arm
from ldntrial.core.trial.randomisation import Allocation
from ldntrial.core.trial.visit_measures import Pgic
from ldntrial.reports.cent import CENT_SOURCE, CentItem, TrialFacts, cent_items
from ldntrial.reports.charts import Series, daily_chart, trial_diagram
from ldntrial.reports.rendering import render
from ldntrial.reports.trial_report import (
    OUTCOME_WORDS,
    AmendmentMark,
    Rows,
    Signature,
    SignedDecision,
    _chart,
    _mean,
    _pct,
    _pts,
    _signed,
    _visit_rows,
    decision_lines,
)

ARM_WORDS = {Arm.ACTIVE: "LDN", Arm.PLACEBO: "placebo", Arm.NO_CAPSULE: "no capsule"}
GUESS_WORDS = {Guess.LDN: "LDN", Guess.PLACEBO: "placebo", Guess.DONT_KNOW: "don't know"}
SIDE_EFFECT_NOTE = (
    "Share of diary days with the side effect, every day of each period counted (run-in "
    "included); exact 95% intervals treat days as independent, so side effects that last "
    "several days make them too narrow."
)


@dataclass(frozen=True)
class UnblindingMark:
    """How the trial was unblinded, as the report states it."""

    early: bool
    on: dt.date
    by: str
    reason: str

    @property
    def text(self) -> str:
        how = (
            "emergency, before the planned end" if self.early else "planned, after the last period"
        )
        return f"{how}, on {self.on.isoformat()} by {self.by}"


@dataclass(frozen=True)
class PeriodRow:
    number: str
    block: str
    first: str
    last: str
    kit: str
    arm: str
    days: str  # recorded / analysed
    run_in_mean: str
    analysed_mean: str
    guess: str
    impression: str


@dataclass(frozen=True)
class BlindedMetricSection:
    label: str
    primary: bool
    better: str
    sufficiency: str
    sufficiency_reason: str
    rows: Rows


@dataclass(frozen=True)
class SideEffectRow:
    name: str
    cells: tuple[str, ...]  # one per arm, in ``BlindedReport.arms`` order


@dataclass(frozen=True)
class BlindedReport:
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
    unblinding: str
    unblinded_early: bool
    early_reason: str
    diagram: SafeString
    primary_chart: SafeString
    primary_label: str
    periods: tuple[PeriodRow, ...]
    carry_over: str
    metrics: tuple[BlindedMetricSection, ...]
    arms: tuple[str, ...]
    side_effects: tuple[SideEffectRow, ...]
    side_effect_note: str
    nocebo: tuple[tuple[str, str], ...]
    blinding: str
    visit_rows: Rows
    adherence: str
    outcome: str
    rule: str
    explanation: str
    signature: SignedDecision | None
    amendments: tuple[AmendmentMark, ...]
    cent: tuple[CentItem, ...]
    cent_source: str


def build_blinded_report(
    analysis: BlindedAnalysis,
    decision: Decision,
    observations: Sequence[Observation],
    allocation: Allocation,
    unblinding: UnblindingMark,
    *,
    guesses: Mapping[int, Guess],
    impressions: Mapping[int, Pgic],
    patient_label: str = "",
    condition_name: str = "",
    signature: Signature | None = None,
    amendments: Sequence[AmendmentMark] = (),
) -> BlindedReport:
    p = analysis.protocol
    design = p.blinded
    assert design is not None  # noqa: S101 (a blinded analysis has a blinded protocol)
    primary = analysis.primary
    summaries = period_summaries(p, allocation, observations, primary.metric.key)
    adherence = decision.adherence
    arms = tuple(a for a in design.arms)
    dose = p.titration.steps[-1]
    facts = TrialFacts(
        condition=condition_name or p.condition,
        dose=f"{dose.dose} {dose.timing.value}",
        periods=summaries,
        amendments=len(amendments),
        unblinding=unblinding.text,
        ended=_ended(unblinding),
        decision=f"Suggested: {OUTCOME_WORDS[decision.outcome]} ({decision.explanation})",
    )
    return BlindedReport(
        patient_label=patient_label,
        condition=condition_name,
        design=design.describe(),
        start=p.start_date.isoformat(),
        reassessment=p.reassessment_date.isoformat(),
        fingerprint=p.fingerprint,
        locked_at=p.locked_at.isoformat() if p.locked_at else "",
        label=analysis.label,
        success=p.success.describe(p.primary, blinded=True),
        methods=analysis.methods,
        unblinding=unblinding.text,
        unblinded_early=unblinding.early,
        early_reason=unblinding.reason,
        diagram=_chart(trial_diagram(p, amendments=[(m.version, m.on) for m in amendments])),
        primary_chart=_primary_chart(analysis, observations, summaries),
        primary_label=primary.metric.label,
        periods=tuple(_period_row(s, guesses, impressions) for s in summaries),
        carry_over=carry_over_check(summaries, primary.metric).summary,
        metrics=tuple(
            _metric_section(r, r.metric.key == p.primary_metric) for r in analysis.metrics
        ),
        arms=tuple(ARM_WORDS[a] for a in arms),
        side_effects=_side_effects(analysis, arms),
        side_effect_note=SIDE_EFFECT_NOTE,
        nocebo=tuple(
            (
                n.name.replace("_", " "),
                f"{n.ratio:.2f} ({n.interval[0]:.2f} to {n.interval[1]:.2f}): {n.reason}"
                if n.ratio is not None and n.interval is not None
                else f"none: {n.reason}",
            )
            for n in analysis.nocebo
        ),
        blinding=f"The patient {analysis.blinding.summary}.",
        visit_rows=_visit_rows(decision.visits),
        adherence=(
            f"Doses or capsules taken on {adherence.taken} of {adherence.reported} reported days "
            f"({_pct(adherence.share)})."
            if adherence.reported
            else "No doses reported."
        ),
        outcome=OUTCOME_WORDS[decision.outcome],
        rule=decision.rule.value.replace("_", " "),
        explanation=decision.explanation,
        signature=None if signature is None else _signed(signature),
        amendments=tuple(amendments),
        cent=tuple(cent_items(p, analysis, facts)),
        cent_source=CENT_SOURCE,
    )


def blinded_report_document(report: BlindedReport) -> str:
    """The report as a whole HTML document, for the PDF (``reports.pdf.html_to_pdf``)."""
    return render("reports/blinded_report.html", {"report": report})


def _ended(unblinding: UnblindingMark) -> str:
    if unblinding.early:
        return f"Unblinded early ({unblinding.text}); reason given: {unblinding.reason}"
    return f"The planned end: every period completed, then unblinded ({unblinding.text})"


def _period_row(
    s: PeriodSummary, guesses: Mapping[int, Guess], impressions: Mapping[int, Pgic]
) -> PeriodRow:
    period = s.period
    guess = guesses.get(period.number)
    impression = impressions.get(period.number)
    return PeriodRow(
        number=str(period.number),
        block=str(period.pair),
        first=period.first.isoformat(),
        last=period.last.isoformat(),
        kit="–" if s.kit is None else str(s.kit),
        arm=ARM_WORDS[s.arm],
        days=f"{s.recorded_days} / {s.analysed_days}",
        run_in_mean=_mean(s.run_in_mean),
        analysed_mean=_mean(s.analysed_mean),
        guess="–" if guess is None else GUESS_WORDS[guess],
        impression="–" if impression is None else impression.value.replace("_", " "),
    )


def _primary_chart(
    analysis: BlindedAnalysis,
    observations: Sequence[Observation],
    summaries: Sequence[PeriodSummary],
) -> SafeString:
    """The primary metric's daily scores over the whole trial, each period's analysed mean as a
    dashed line (its arm is in the sequence table)."""
    p = analysis.protocol
    key = analysis.primary.metric.key
    points = [(o.day, int(o.values[key])) for o in observations if key in o.values]
    means = [
        (s.period.first_analysed, s.period.last, s.analysed_mean)
        for s in summaries
        if s.analysed_mean is not None
    ]
    return _chart(
        daily_chart(
            Series(analysis.primary.metric.label, points),
            first=p.start_date,
            last=p.reassessment_date,
            phases=p.phases(),
            better=analysis.primary.metric.better.value,
            means=means,
            steps=[(s.start, str(s.dose)) for s in p.titration.steps],
        )
    )


def _metric_section(r: BlindedMetricResult, primary: bool) -> BlindedMetricSection:
    rows = [
        (
            "Analysed days: LDN / placebo" + (" / no capsule" if r.no_capsule_days else ""),
            f"{r.active_days} / {r.placebo_days}"
            + (f" / {r.no_capsule_days}" if r.no_capsule_days else ""),
        ),
        ("Observed means: LDN / placebo", f"{_mean(r.active_mean)} / {_mean(r.placebo_mean)}"),
        ("LDN minus placebo (posterior mean)", _pts(r.effect_mean)),
        (
            "95% credible interval",
            "–" if r.interval is None else f"{r.interval[0]:+.2f} to {r.interval[1]:+.2f}",
        ),
        ("P(LDN better than placebo)", _pct(r.p_better)),
        (f"P(LDN better than placebo by the MCID: {r.mcid_text})", _pct(r.p_better_than_mcid)),
        ("P(LDN worse by at least 1 point)", _pct(r.p_worse_1)),
        (
            "Autocorrelation of daily scores (posterior mean)",
            "–" if r.rho_mean is None else f"{r.rho_mean:.2f}",
        ),
    ] + [(f"Band: {b.label}", _pct(b.probability)) for b in r.bands]
    return BlindedMetricSection(
        label=r.metric.label,
        primary=primary,
        better=r.metric.better.value.capitalize(),
        sufficiency=r.sufficiency.value,
        sufficiency_reason=r.sufficiency_reason,
        rows=tuple(rows),
    )


def _side_effects(analysis: BlindedAnalysis, arms: tuple[Arm, ...]) -> tuple[SideEffectRow, ...]:
    cells: dict[str, dict[Arm, str]] = {}
    for s in analysis.side_effects:
        text = (
            "–"
            if s.rate is None or s.interval is None
            else f"{s.days_with}/{s.days_observed} ({s.rate:.0%}; {s.interval[0]:.0%} to "
            f"{s.interval[1]:.0%})"
        )
        cells.setdefault(s.name.replace("_", " "), {})[s.arm] = text
    return tuple(
        SideEffectRow(name, tuple(by_arm.get(a, "–") for a in arms))
        for name, by_arm in cells.items()
    )


def blinded_patient_summary_text(
    analysis: BlindedAnalysis,
    final: Outcome,
    *,
    unblinded_early: bool = False,
    follow_up_on: dt.date | None = None,
    stop_instruction: str = "",
) -> list[str]:
    """The patient's plain-language result of a blinded trial (core.analysis.blinded_words),
    then what they and their clinician decided."""
    return list(plain_result(analysis, unblinded_early=unblinded_early)) + decision_lines(
        final, follow_up_on=follow_up_on, stop_instruction=stop_instruction
    )
