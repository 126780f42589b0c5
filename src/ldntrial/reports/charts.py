"""Charts as SVG text, built without a plotting library so pages and PDFs share them.

Every text that is not a number, a date or a fixed enum value is escaped here (``escape``), so
the SVG is safe to insert as markup: the report does so in one place (``trial_report._chart``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from ldntrial.core.analysis.trial import MetricResult
from ldntrial.core.trial.protocol import Phase, PhaseKind, Protocol

PHASE_FILL = {
    PhaseKind.BASELINE: "#eef2f7",
    PhaseKind.TITRATION: "#fdf3e1",
    PhaseKind.MAINTENANCE: "#e8f5ec",
}


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[dt.date, int]]


def daily_chart(
    series: Series,
    *,
    first: dt.date,
    last: dt.date,
    phases: Sequence[Phase],
    better: str,
    width: int = 640,
    height: int = 220,
    means: Sequence[tuple[dt.date, dt.date, float]] = (),
    steps: Sequence[tuple[dt.date, str]] = (),
) -> str:
    """One metric's daily 0–10 scores over the trial, on shaded phases. Missing days stay gaps."""
    left, right, top, bottom = 34, 10, 14, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    days = max((last - first).days, 1)

    def x(day: dt.date) -> float:
        return left + plot_w * (day - first).days / days

    def y(value: float) -> float:
        return top + plot_h * (1 - value / 10)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(series.label)}: daily scores, 0 to 10, {escape(better)} is better">',
        f"<title>{escape(series.label)} (0–10, {escape(better)} is better)</title>",
    ]
    for phase in phases:
        start, end = max(phase.first, first), min(phase.last, last)
        if start > end:
            continue
        x0, x1 = x(start), x(end + dt.timedelta(days=1)) if end < last else left + plot_w
        parts.append(
            f'<rect x="{x0:.1f}" y="{top}" width="{max(x1 - x0, 1):.1f}" height="{plot_h}" '
            f'fill="{PHASE_FILL[phase.kind]}"/>'
            f'<text x="{x0 + 3:.1f}" y="{top + 11}" font-size="10" fill="#555">'
            f"{phase.kind.value}</text>"
        )
    for value in (0, 5, 10):
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="#ccc" stroke-width="0.5"/>'
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" font-size="10" text-anchor="end" '
            f'fill="#555">{value}</text>'
        )
    parts.append(
        f'<text x="{left}" y="{height - 8}" font-size="10" fill="#555">{first.isoformat()}</text>'
        f'<text x="{left + plot_w}" y="{height - 8}" font-size="10" text-anchor="end" '
        f'fill="#555">{last.isoformat()}</text>'
    )
    for start, end, mean in means:
        x0, x1 = x(max(start, first)), x(min(end, last))
        parts.append(
            f'<line x1="{x0:.1f}" x2="{x1:.1f}" y1="{y(mean):.1f}" y2="{y(mean):.1f}" '
            f'stroke="#8a5a00" stroke-width="2" stroke-dasharray="6 3"/>'
            f'<text x="{x1 - 2:.1f}" y="{y(mean) - 4:.1f}" font-size="9" text-anchor="end" '
            f'fill="#8a5a00">mean {mean:.1f}</text>'
        )
    for day, label in steps:
        if first <= day <= last:
            parts.append(
                f'<line x1="{x(day):.1f}" x2="{x(day):.1f}" y1="{top}" y2="{top + plot_h}" '
                f'stroke="#1f5fa8" stroke-width="0.6" stroke-dasharray="2 2"/>'
                f'<text x="{x(day) + 2:.1f}" y="{top + plot_h - 4}" font-size="9" '
                f'fill="#1f5fa8">{escape(label)}</text>'
            )
    points = sorted(p for p in series.points if first <= p[0] <= last)
    run: list[str] = []
    previous: dt.date | None = None
    for day, value in points:
        if previous is not None and (day - previous).days > 1 and len(run) > 1:
            parts.append(_polyline(run))
            run = []
        elif previous is not None and (day - previous).days > 1:
            run = []
        run.append(f"{x(day):.1f},{y(value):.1f}")
        previous = day
    if len(run) > 1:
        parts.append(_polyline(run))
    for day, value in points:
        parts.append(
            f'<circle cx="{x(day):.1f}" cy="{y(value):.1f}" r="2.5" fill="#1f5fa8">'
            f"<title>{day.isoformat()}: {value}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _polyline(points: list[str]) -> str:
    return (
        f'<polyline points="{" ".join(points)}" fill="none" stroke="#1f5fa8" stroke-width="1.5"/>'
    )


def trial_diagram(
    protocol: Protocol, width: int = 640, amendments: Sequence[tuple[int, dt.date]] = ()
) -> str:
    """A CENT-style diagram: phases as bands with dates, dose steps above them, and each
    amendment (its number and day) as a dashed red line."""
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
    for version, day in amendments:
        parts.append(
            f'<line x1="{x(day):.1f}" x2="{x(day):.1f}" y1="8" y2="80" stroke="#a3261b" '
            'stroke-dasharray="3 2" class="amendment"/>'
            f'<text x="{x(day) + 2:.1f}" y="14" font-size="9" fill="#a3261b">'
            f"amendment {int(version)}</text>"
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
