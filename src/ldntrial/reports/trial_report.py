"""The reassessment report: one HTML document for the web page and the PDF, with SVG charts.

Open-label results are always labelled as change from baseline that includes placebo response
and regression to the mean.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from ldntrial.core.analysis.decision import Decision, Outcome
from ldntrial.core.analysis.trial import MetricResult, Observation, TrialAnalysis
from ldntrial.core.trial.protocol import Protocol
from ldntrial.core.trial.visit_measures import PegScore, VisitSummary
from ldntrial.reports.charts import PHASE_FILL, Series, daily_chart

OUTCOME_WORDS = {
    Outcome.CONTINUE: "continue LDN",
    Outcome.ADJUST: "adjust (dose, timing or length of the trial)",
    Outcome.STOP: "stop LDN",
}


@dataclass(frozen=True)
class Signature:
    signer: str
    signed_at: dt.datetime
    final_outcome: Outcome
    override_reason: str
    valid: bool


@dataclass(frozen=True)
class AmendmentMark:
    """An amendment as the report shows it: on the diagram and under the fingerprint."""

    version: int
    on: dt.date
    what: str  # e.g. "step back to the previous dose"
    reason: str
    fingerprint: str
    parent_fingerprint: str


def _pct(p: float | None) -> str:
    return "–" if p is None else f"{p:.0%}"


def _pts(x: float | None) -> str:
    return "–" if x is None else f"{x:+.2f}"


def trial_diagram(
    protocol: Protocol, width: int = 640, amendments: Sequence[AmendmentMark] = ()
) -> str:
    """A CENT-style diagram: phases as bands with dates, dose steps above them, and each
    amendment as a dashed red line with its number."""
    first, last = protocol.start_date, protocol.reassessment_date
    span = max((last - first).days + 1, 1)

    def x(day: dt.date) -> float:
        return 10 + (width - 20) * (day - first).days / span

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 110" role="img" '
        'aria-label="Trial diagram: phases, dates and doses">'
    ]
    for phase in protocol.phases():
        x0, x1 = x(phase.first), x(phase.last + dt.timedelta(days=1))
        parts.append(
            f'<rect x="{x0:.1f}" y="50" width="{x1 - x0:.1f}" height="26" '
            f'fill="{PHASE_FILL[phase.kind]}" stroke="#9aa5b1" stroke-width="0.5"/>'
            f'<text x="{x0 + 4:.1f}" y="67" font-size="11">{phase.kind.value} '
            f"({phase.days} d)</text>"
            f'<text x="{x0:.1f}" y="92" font-size="9" fill="#555">{phase.first.isoformat()}</text>'
        )
    parts.append(
        f'<text x="{x(last):.1f}" y="106" font-size="9" fill="#555" text-anchor="end">'
        f"reassessment {last.isoformat()}</text>"
    )
    for step in protocol.titration.steps:
        parts.append(
            f'<line x1="{x(step.start):.1f}" x2="{x(step.start):.1f}" y1="30" y2="50" '
            'stroke="#1f5fa8"/>'
            f'<text x="{x(step.start) + 2:.1f}" y="28" font-size="10" fill="#1f5fa8">'
            f"{escape(str(step.dose))} {step.timing.value}</text>"
        )
    for mark in amendments:
        parts.append(
            f'<line x1="{x(mark.on):.1f}" x2="{x(mark.on):.1f}" y1="8" y2="80" stroke="#a3261b" '
            'stroke-dasharray="3 2" class="amendment"/>'
            f'<text x="{x(mark.on) + 2:.1f}" y="14" font-size="9" fill="#a3261b">'
            f"amendment {mark.version}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def posterior_chart(result: MetricResult, width: int = 640, height: int = 180) -> str:
    """The posterior of the change from baseline, with zero and the MCID marked."""
    if not result.density:
        return ""
    xs = [p[0] for p in result.density]
    ys = [p[1] for p in result.density]
    x_min, x_max, y_max = min(xs), max(xs), max(ys) or 1.0
    left, right, top, bottom = 30, 10, 10, 30

    def sx(v: float) -> float:
        return left + (width - left - right) * (v - x_min) / (x_max - x_min)

    def sy(v: float) -> float:
        return top + (height - top - bottom) * (1 - v / y_max)

    path = " ".join(f"{sx(a):.1f},{sy(b):.1f}" for a, b in result.density)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Posterior of the change in {escape(result.metric.label)}">',
        f'<polyline points="{path}" fill="none" stroke="#1f5fa8" stroke-width="2"/>',
    ]
    marks = [(0.0, "no change", "#555")]
    if result.metric.key and "points" in result.mcid_text:
        points = float(result.mcid_text.split()[0])
        marks.append((result.better_sign * points, f"MCID ({result.mcid_text})", "#a3261b"))
    elif result.baseline_mean is not None and "%" in result.mcid_text:
        share = float(result.mcid_text.split("%")[0]) / 100
        marks.append(
            (
                result.better_sign * share * result.baseline_mean,
                f"MCID ({result.mcid_text}, about {share * result.baseline_mean:.1f} points)",
                "#a3261b",
            )
        )
    for value, label, colour in marks:
        if x_min <= value <= x_max:
            parts.append(
                f'<line x1="{sx(value):.1f}" x2="{sx(value):.1f}" y1="{top}" '
                f'y2="{height - bottom}" stroke="{colour}" stroke-dasharray="4 3"/>'
                f'<text x="{sx(value) + 3:.1f}" y="{top + 12}" font-size="10" '
                f'fill="{colour}">{escape(label)}</text>'
            )
    for tick in range(int(x_min) - 1, int(x_max) + 2):
        if x_min <= tick <= x_max:
            parts.append(
                f'<text x="{sx(tick):.1f}" y="{height - 10}" font-size="10" '
                f'text-anchor="middle" fill="#555">{tick:+d}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _metric_section(
    protocol: Protocol, result: MetricResult, observations: Sequence[Observation]
) -> str:
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
    means = (
        f"Observed means: baseline {result.baseline_mean:.1f}"
        if result.baseline_mean is not None
        else "Observed means: baseline –"
    )
    means += (
        f", maintenance {result.maintenance_mean:.1f}"
        if result.maintenance_mean is not None
        else ", maintenance –"
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
    table = "".join(f"<tr><td>{escape(a)}</td><td>{escape(b)}</td></tr>" for a, b in rows)
    primary = " (primary)" if result.metric.key == protocol.primary_metric else ""
    return (
        f"<h2>{escape(result.metric.label)}{primary}</h2>"
        f'<div class="chart">{chart}</div>'
        f"<p class='muted'>{escape(means)}. {result.metric.better.value.capitalize()} is better. "
        f"Data: {escape(result.sufficiency.value)} ({escape(result.sufficiency_reason)}).</p>"
        f'<div class="chart">{posterior_chart(result)}</div>'
        f'<table class="probs">{table}</table>'
    )


REPORT_CSS = """
@page { size: A4; margin: 15mm;
  @bottom-center { content: counter(page); font-family: sans-serif; font-size: 8pt; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; color: #1d2733; }
h1 { font-size: 16pt; } h2 { font-size: 12pt; margin-top: 14pt; color: #1f5fa8; }
.chart svg { width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; }
td, th { border-bottom: 1px solid #d8dee6; padding: 2pt 4pt; text-align: left; }
.label { background: #fdf3e1; padding: 4pt 6pt; border-left: 3pt solid #8a5a00; }
.muted { color: #5b6673; } .fingerprint { font-family: monospace; font-size: 8pt; }
.decision { border: 1px solid #1f5fa8; padding: 6pt; }
.invalid { color: #a3261b; font-weight: bold; }
"""


def report_html(
    analysis: TrialAnalysis,
    decision: Decision,
    observations: Sequence[Observation],
    *,
    patient_label: str | None = None,
    condition_name: str = "",
    signature: Signature | None = None,
    amendments: Sequence[AmendmentMark] = (),
) -> str:
    p = analysis.protocol
    header = (
        f"<h1>LDN trial reassessment{' · ' + escape(patient_label) if patient_label else ''}</h1>"
        f"<p>{escape(condition_name)} · {escape(p.design.value.replace('_', ' '))} · "
        f"{p.start_date.isoformat()} to {p.reassessment_date.isoformat()}</p>"
        f"<p class='fingerprint'>Protocol fingerprint {p.fingerprint}"
        f"{' · locked ' + p.locked_at.isoformat() if p.locked_at else ' · NOT LOCKED'}</p>"
        f"<p class='label'>{escape(analysis.label)}</p>"
        f"<p>Success, fixed in advance: {escape(p.success.describe(p.primary))}.</p>"
        f"<p class='muted' id='methods'>Method: {escape(analysis.methods)}</p>"
    )
    diagram = (
        f'<h2>Trial diagram</h2><div class="chart">{trial_diagram(p, amendments=amendments)}'
        f"</div>{_amendments_html(amendments)}"
    )
    metrics = "".join(_metric_section(p, r, observations) for r in analysis.metrics)
    metrics += _visits_section(decision.visits)
    effects = (
        "".join(
            f"<tr><td>{escape(e.name.replace('_', ' '))}</td><td>{e.days_reported}</td>"
            f"<td>{e.first.isoformat()}</td><td>{e.last.isoformat()}</td>"
            f"<td>{'settled' if e.settled else 'still reported'}</td></tr>"
            for e in decision.side_effects
        )
        or "<tr><td colspan='5'>None reported.</td></tr>"
    )
    adherence = decision.adherence
    adherence_text = (
        f"Doses taken on {adherence.taken} of {adherence.reported} reported days "
        f"({_pct(adherence.share)})."
        if adherence.reported
        else "No doses reported."
    )
    decision_html = (
        "<h2>Side effects</h2><table><tr><th>Side effect</th><th>Days</th><th>First</th>"
        f"<th>Last</th><th>Course</th></tr>{effects}</table>"
        f"<h2>Adherence</h2><p>{escape(adherence_text)}</p>"
        "<h2>Decision</h2>"
        f"<div class='decision'><p>Suggested by the protocol's rules: "
        f"<strong>{escape(OUTCOME_WORDS[decision.outcome])}</strong> "
        f"(rule: {escape(decision.rule.value.replace('_', ' '))}).</p>"
        f"<p>{escape(decision.explanation)}</p>{_signature_html(signature)}</div>"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>LDN trial reassessment</title><style>{REPORT_CSS}</style></head><body>"
        f"{header}{diagram}{metrics}{decision_html}</body></html>"
    )


def _amendments_html(amendments: Sequence[AmendmentMark]) -> str:
    """The amendments under the diagram, and how the analysis treats them (decision 0020)."""
    if not amendments:
        return ""
    rows = "".join(
        f"<tr><td>{m.version}</td><td>{m.on.isoformat()}</td><td>{escape(m.what)}</td>"
        f"<td>{escape(m.reason)}</td><td class='fingerprint'>{m.parent_fingerprint[:12]}… → "
        f"{m.fingerprint[:12]}…</td></tr>"
        for m in amendments
    )
    return (
        "<table id='amendments'><tr><th>Amendment</th><th>From</th><th>Change</th>"
        f"<th>Reason</th><th>Fingerprint (amended → new)</th></tr>{rows}</table>"
        "<p class='muted'>The analysis uses the phases of the version in effect: baseline as "
        "locked, titration until the final dose of the amended schedule, maintenance on it. "
        "Success criterion, metrics and analysis settings are those locked at the start.</p>"
    )


def _peg_text(score: PegScore | None) -> str:
    if score is None:
        return "not recorded"
    return (
        f"{score.score:.1f} (pain {score.pain}, enjoyment of life {score.enjoyment}, "
        f"general activity {score.activity})"
    )


def _visits_section(visits: VisitSummary) -> str:
    """The PEG at baseline and reassessment and the patient's global impression of change."""
    change = "–" if visits.peg_change is None else f"{visits.peg_change:+.1f}"
    pgic = "not recorded" if visits.pgic is None else visits.pgic.value.replace("_", " ")
    rows = [
        ("PEG at baseline (0-10, mean of 3 items)", _peg_text(visits.baseline_peg)),
        ("PEG at reassessment", _peg_text(visits.reassessment_peg)),
        ("PEG change (negative: better)", change),
        ("Patient's global impression of change (PGIC)", pgic),
    ]
    table = "".join(f"<tr><td>{escape(a)}</td><td>{escape(b)}</td></tr>" for a, b in rows)
    return f"<h2>Visit measures</h2><table class='probs' id='visit-measures'>{table}</table>"


def _signature_html(signature: Signature | None) -> str:
    if signature is None:
        return "<p class='muted'>Not yet signed by the clinician.</p>"
    status = (
        "valid"
        if signature.valid
        else "<span class='invalid'>INVALID: the signed content has changed since signing</span>"
    )
    override = (
        f" Override reason: {escape(signature.override_reason)}."
        if signature.override_reason
        else ""
    )
    return (
        f"<p>Clinician's decision: <strong>{escape(OUTCOME_WORDS[signature.final_outcome])}"
        f"</strong>.{override}</p><p>Signed by {escape(signature.signer)} at "
        f"{signature.signed_at.isoformat()} · signature {status}</p>"
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
