"""The registry's charts as SVG text: a forest plot and the flow of trials.

Both are accessible images: ``role="img"`` with a ``<title>`` and a ``<desc>`` that say what
the chart shows, and the page puts a table of the same numbers beside each (a chart is never
the only place a figure appears). Every text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class ForestRow:
    label: str
    mean: float
    low: float
    high: float
    shrunken: tuple[float, float, float] | None = None  # mean, low, high after pooling


def forest_plot(
    rows: Sequence[ForestRow],
    *,
    pooled: ForestRow | None,
    title: str,
    description: str,
    better: str,
    mcid: float | None = None,
    ident: str = "forest",
    width: int = 640,
) -> str:
    """Each patient's own estimate and interval (hollow), their shrunken estimate (filled) and
    the pooled mean (a diamond), on one axis of points of change; 0 and the MCID are marked."""
    row_h, top, bottom, left, right = 16, 28, 34, 150, 16
    count = len(rows) + (2 if pooled else 0)
    height = top + bottom + row_h * max(count, 1)
    values = [0.0]
    for r in (*rows, *([pooled] if pooled else [])):
        values += [r.low, r.high]
        if r.shrunken:
            values += [r.shrunken[1], r.shrunken[2]]
    if mcid is not None:
        values.append(-mcid if better == "lower" else mcid)
    lo, hi = min(values), max(values)
    pad = max((hi - lo) * 0.05, 0.25)
    lo, hi = lo - pad, hi + pad
    plot_w = width - left - right

    def x(value: float) -> float:
        return left + plot_w * (value - lo) / (hi - lo)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" class="forest">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
        f'<line x1="{x(0):.1f}" y1="{top - 6}" x2="{x(0):.1f}" y2="{height - bottom}" '
        'stroke="#555" stroke-width="1"/>',
        f'<text x="{x(0):.1f}" y="{top - 10}" font-size="10" text-anchor="middle">no change</text>',
    ]
    if mcid is not None:
        at = x(-mcid if better == "lower" else mcid)
        parts.append(
            f'<line x1="{at:.1f}" y1="{top - 6}" x2="{at:.1f}" y2="{height - bottom}" '
            'stroke="#2a7" stroke-dasharray="4 3"/>'
            f'<text x="{at:.1f}" y="{top - 10}" font-size="10" text-anchor="middle">MCID</text>'
        )
    for i, r in enumerate(rows):
        y = top + row_h * i + row_h / 2
        parts.append(
            f'<text x="{left - 6}" y="{y + 3:.1f}" font-size="10" text-anchor="end">'
            f"{escape(r.label)}</text>"
            f'<line x1="{x(r.low):.1f}" y1="{y:.1f}" x2="{x(r.high):.1f}" y2="{y:.1f}" '
            'stroke="#888"/>'
            f'<circle cx="{x(r.mean):.1f}" cy="{y:.1f}" r="3" fill="#fff" stroke="#333"/>'
        )
        if r.shrunken:
            mean, low, high = r.shrunken
            parts.append(
                f'<line x1="{x(low):.1f}" y1="{y + 4:.1f}" x2="{x(high):.1f}" y2="{y + 4:.1f}" '
                'stroke="#36c" stroke-width="2"/>'
                f'<circle cx="{x(mean):.1f}" cy="{y + 4:.1f}" r="2.5" fill="#36c"/>'
            )
    if pooled:
        y = top + row_h * (len(rows) + 1) + row_h / 2
        cx, lx, hx = x(pooled.mean), x(pooled.low), x(pooled.high)
        parts.append(
            f'<text x="{left - 6}" y="{y + 3:.1f}" font-size="10" text-anchor="end" '
            f'font-weight="bold">{escape(pooled.label)}</text>'
            f'<polygon points="{lx:.1f},{y:.1f} {cx:.1f},{y - 6:.1f} {hx:.1f},{y:.1f} '
            f'{cx:.1f},{y + 6:.1f}" fill="#333"/>'
        )
    axis_y = height - bottom + 14
    for tick in _ticks(lo, hi):
        parts.append(
            f'<text x="{x(tick):.1f}" y="{axis_y}" font-size="10" text-anchor="middle">'
            f"{tick:g}</text>"
        )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" font-size="10" '
        f'text-anchor="middle">change in points ({escape(better)} is better)</text></svg>'
    )
    return "".join(parts)


def _ticks(lo: float, hi: float) -> list[float]:
    span = hi - lo
    step = next(s for s in (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 1e9) if span / s <= 8)
    first = int(lo / step) * step
    return [round(first + i * step, 6) for i in range(20) if lo <= first + i * step <= hi]


@dataclass(frozen=True)
class FlowBox:
    label: str
    count: str  # a number, or the words saying it is hidden


def flow_diagram(
    started: FlowBox,
    outcomes: Sequence[FlowBox],
    *,
    title: str,
    description: str,
    ident: str = "flow",
) -> str:
    """Trials started, with an arrow to each outcome box (completed, stopped early by reason,
    lost to follow-up, still running)."""
    width, box_w, box_h, gap = 640, 150, 40, 10
    per_row = 4
    rows = (len(outcomes) + per_row - 1) // per_row
    height = 80 + rows * (box_h + gap) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" class="flow">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
        _box(width / 2 - box_w / 2, 4, box_w, box_h, started),
    ]
    for i, box in enumerate(outcomes):
        col, row = i % per_row, i // per_row
        bx = 10 + col * (box_w + gap)
        by = 80 + row * (box_h + gap)
        parts.append(
            f'<line x1="{width / 2:.1f}" y1="{4 + box_h}" x2="{bx + box_w / 2:.1f}" y2="{by}" '
            'stroke="#999"/>'
        )
        parts.append(_box(bx, by, box_w, box_h, box))
    parts.append("</svg>")
    return "".join(parts)


def _box(x: float, y: float, w: int, h: int, box: FlowBox) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w}" height="{h}" fill="#f6f7f9" stroke="#666"/>'
        f'<text x="{x + w / 2:.1f}" y="{y + 16:.1f}" font-size="10" text-anchor="middle">'
        f"{escape(box.label)}</text>"
        f'<text x="{x + w / 2:.1f}" y="{y + 32:.1f}" font-size="12" text-anchor="middle" '
        f'font-weight="bold">{escape(box.count)}</text>'
    )
