"""Analysing open-label trials: each metric's change from baseline, with honest uncertainty.

The design has an intercept (the baseline level), a maintenance term (the effect reported:
maintenance minus baseline), a titration term when the protocol models titration, and an
optional linear trend. Days in the first ``run_in_days`` after the first dose, and titration
days when the protocol excludes them (the default), are left out. Missing days are simply
missing.

Open label: the effect is a change from baseline, which includes placebo response, natural
fluctuation and regression to the mean. It is never called an effect of LDN against placebo.

:func:`analyse_trials` analyses many trials in one pass: the series of every trial and metric
with the same design columns are fitted together (:func:`ldntrial.core.analysis.ar1.fit_batch`)
and summarised with array operations. :func:`analyse_trial` is the same computation for one
trial, and gives bit-for-bit the same numbers.
"""

from __future__ import annotations

import datetime as dt
import enum
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np

from ldntrial.core.analysis.ar1 import Array, fit_batch
from ldntrial.core.analysis.mixture import Mixture
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.instruments import Direction, Metric
from ldntrial.core.trial.protocol import (
    AnalysisSettings,
    CriterionKind,
    PhaseKind,
    Protocol,
    TitrationHandling,
)

CREDIBLE = 0.95
WORSE_BY = 1.0  # points: "worse by at least 1 point"
BAND_EDGES = (2.0, 1.0)  # points of improvement for "large" and "small"
RELATIVE_REPORTED = 0.30  # P(relative improvement of at least 30%) is always reported
DENSITY_POINTS = 121


@dataclass(frozen=True)
class Observation:
    day: dt.date
    values: Mapping[str, float]
    dose_taken: bool | None = None
    side_effects: frozenset[str] = frozenset()


class Sufficiency(enum.Enum):
    SUFFICIENT = "sufficient"
    INSUFFICIENT = "insufficient"


@dataclass(frozen=True)
class Band:
    label: str
    probability: float


@dataclass(frozen=True)
class MetricResult:
    metric: Metric
    days_used: int
    baseline_days: int
    maintenance_days: int
    titration_days: int
    baseline_mean: float | None  # observed
    maintenance_mean: float | None  # observed
    effect_mean: float | None  # posterior mean of maintenance minus baseline, in points
    interval: tuple[float, float] | None
    p_better: float | None
    p_better_than_mcid: float | None
    p_relative_30: float | None
    p_worse_1: float | None
    bands: tuple[Band, ...]
    rho_mean: float | None
    sufficiency: Sufficiency
    sufficiency_reason: str
    mcid_text: str
    # The posterior of the effect (a Student-t mixture), for charts; not part of equality.
    posterior: Mixture | None = field(default=None, compare=False, repr=False)

    @property
    def better_sign(self) -> float:
        return _better_sign(self.metric)

    @property
    def density(self) -> tuple[tuple[float, float], ...]:
        """(effect, posterior density) around the interval, for charts."""
        if self.posterior is None or self.interval is None:
            return ()
        low, high = self.interval
        pad = max(high - low, 0.5)
        xs = np.linspace(low - pad, high + pad, DENSITY_POINTS)
        ys = self.posterior.density(xs)
        return tuple((float(x), float(y)) for x, y in zip(xs, ys, strict=True))


@dataclass(frozen=True)
class TrialAnalysis:
    protocol: Protocol
    metrics: tuple[MetricResult, ...]
    label: str  # what the effect means
    methods: str  # what the model assumes

    @property
    def primary(self) -> MetricResult:
        return next(m for m in self.metrics if m.metric.key == self.protocol.primary_metric)


OPEN_LABEL_LABEL = (
    "Change from baseline in an open-label trial: it includes placebo response, natural "
    "fluctuation and regression to the mean, not only any effect of LDN."
)


def methods_text(settings: AnalysisSettings, *, fixed_in_protocol: bool = True) -> str:
    """The report's methods line: the model and what it assumes, for these settings."""
    parts = [
        "For each metric, a Bayesian regression with AR(1) errors (the day-to-day "
        "autocorrelation is integrated over a grid; missing days stay missing) compares the "
        "maintenance days with the baseline days."
    ]
    if settings.titration is TitrationHandling.EXCLUDE:
        parts.append("Titration days are left out of the comparison.")
    else:
        parts.append(
            "Titration days have a level of their own, which assumes the effect is constant "
            "during titration; if it builds up gradually the change is underestimated "
            "(see docs/validation.md)."
        )
    if settings.run_in_days:
        parts.append(f"The first {settings.run_in_days} days after the first dose are left out.")
    if settings.trend:
        parts.append(
            "A linear trend over the whole trial is estimated, so the change is net of a "
            "steady drift; this widens the interval."
        )
    else:
        parts.append(
            "No trend is modelled: a slow drift between baseline and maintenance is part of "
            "the change."
        )
    if settings.models_weekly_cycle:
        parts.append("A weekly cycle (one 7-day harmonic) is estimated.")
    parts.append(
        "It assumes the change has reached a steady level by the start of maintenance and "
        "that each phase has one level; heavy-tailed days, measurement noise and weekly "
        "patterns other than a smooth cycle are not modelled. Its intervals were checked on "
        "diaries that break these assumptions (docs/validation.md)."
    )
    if not fixed_in_protocol:
        parts.append(
            "This protocol was written before analysis settings were part of the protocol; "
            "the default analysis above is used."
        )
    return " ".join(parts)


def analyse_trial(protocol: Protocol, observations: Iterable[Observation]) -> TrialAnalysis:
    return analyse_trials([(protocol, observations)])[0]


@dataclass
class _Series:
    """One (trial, metric) prepared for fitting."""

    trial: int
    metric: Metric
    days: Array
    values: Array
    kinds: Array  # PhaseKind index per value
    shell: MetricResult  # the result without a posterior
    x: Array | None = None
    contrasts: Array | None = None  # (3, p): effect, relative 30%, relative criterion
    relative_threshold: float | None = None  # the criterion's share, when relative
    absolute_threshold: float = 1.0  # points for "better by the MCID" otherwise


_KINDS = (PhaseKind.BASELINE, PhaseKind.TITRATION, PhaseKind.MAINTENANCE)
_WEEK_SIN = np.sin(2 * np.pi * np.arange(7) / 7)
_WEEK_COS = np.cos(2 * np.pi * np.arange(7) / 7)
BASELINE, TITRATION, MAINTENANCE = 0, 1, 2


def analyse_trials(
    trials: Sequence[tuple[Protocol, Iterable[Observation]]],
) -> list[TrialAnalysis]:
    """Many trials in one call, vectorised across trials, metrics and the rho grid."""
    layouts: dict[int, _Layout] = {}
    prepared: list[list[_Series]] = []
    for index, (protocol, observations) in enumerate(trials):
        layout = layouts.get(id(protocol))
        if layout is None or layout.protocol is not protocol:
            layout = layouts[id(protocol)] = _Layout.of(protocol)
        prepared.append(_prepare(index, layout, sorted(observations, key=lambda o: o.day)))
    groups: dict[int, list[_Series]] = {}
    for series in (s for trial in prepared for s in trial):
        if series.x is not None:
            groups.setdefault(series.x.shape[1], []).append(series)
    results: dict[tuple[int, str], MetricResult] = {}
    for members in groups.values():
        for series, result in zip(members, _fit_in_parallel(members), strict=True):
            results[(series.trial, series.metric.key)] = result
    analyses = []
    for (protocol, _), trial in zip(trials, prepared, strict=True):
        metrics = tuple(results.get((s.trial, s.metric.key), s.shell) for s in trial)
        analyses.append(
            TrialAnalysis(protocol, metrics, OPEN_LABEL_LABEL, layouts[id(protocol)].methods)
        )
    return analyses


@dataclass(frozen=True, eq=False)
class _Layout:
    """What a protocol fixes for every diary analysed under it."""

    protocol: Protocol
    settings: AnalysisSettings
    kind_at: Array  # phase index of each day offset from the start (-1: outside the trial)
    first_analysed: int  # offset of the first non-baseline day that may be analysed
    methods: str

    @classmethod
    def of(cls, protocol: Protocol) -> _Layout:
        if protocol.is_blinded:
            # Its maintenance mixes LDN and placebo periods: a change from baseline would mean
            # nothing. It is analysed with its allocation (core.analysis.blinded).
            raise InvalidValue(
                "a blinded n-of-1 trial is analysed against placebo with its unblinded "
                "allocation, not as a change from baseline"
            )
        settings = protocol.analysis_settings
        kind_at = np.full((protocol.reassessment_date - protocol.start_date).days + 1, -1)
        for phase in protocol.phases():
            first = (phase.first - protocol.start_date).days
            kind_at[first : first + phase.days] = _KINDS.index(phase.kind)
        if settings.titration is TitrationHandling.EXCLUDE:
            kind_at[kind_at == TITRATION] = -1
        first_dose = (protocol.first_dose_date - protocol.start_date).days
        return cls(
            protocol,
            settings,
            kind_at,
            first_dose + settings.run_in_days,
            methods_text(settings, fixed_in_protocol=protocol.has_analysis),
        )


def _prepare(index: int, layout: _Layout, rows: list[Observation]) -> list[_Series]:
    protocol, settings, kind_at = layout.protocol, layout.settings, layout.kind_at
    start = protocol.start_date.toordinal()
    keys = [m.key for m in protocol.metrics]
    offsets = np.fromiter((row.day.toordinal() - start for row in rows), np.int64, len(rows))
    raw = np.array([[row.values.get(k, np.nan) for k in keys] for row in rows], dtype=float)
    raw = raw.reshape(len(rows), len(keys))
    inside = (offsets >= 0) & (offsets < len(kind_at))
    kinds = np.where(inside, kind_at[np.clip(offsets, 0, len(kind_at) - 1)], -1)
    usable = (kinds == BASELINE) | ((kinds > BASELINE) & (offsets >= layout.first_analysed))
    keep = usable[:, None] & ~np.isnan(raw)  # (rows, metrics)
    phase = (kinds[:, None] == np.arange(3)[None, :]).astype(float)  # (rows, 3)
    counts = phase.T @ keep  # (3, metrics)
    clean = np.where(keep, raw, 0.0)
    sums = phase.T @ clean
    means = sums / np.maximum(counts, 1)
    # Whether the scores vary within a phase at all (if not, there is no noise to model).
    spread = np.where(keep, np.abs(clean - phase @ means), 0.0).max(axis=0, initial=0.0)
    out = []
    for m, metric in enumerate(protocol.metrics):
        chosen = keep[:, m]
        count = counts[:, m].astype(int)
        series = _Series(
            index,
            metric,
            offsets[chosen].astype(float),
            raw[chosen, m],
            kinds[chosen],
            _shell(protocol, metric, count, sums[:, m], settings),
        )
        if count[BASELINE] >= 3 and count[MAINTENANCE] >= 3:
            if spread[m] > 1e-9:
                _design(series, protocol, settings, int(count[TITRATION]))
            else:
                series.shell = replace(
                    series.shell,
                    sufficiency=Sufficiency.INSUFFICIENT,
                    sufficiency_reason="the score is the same on every day of each phase: "
                    "there is no day-to-day variation to judge a change against",
                )
        out.append(series)
    return out


def _shell(
    protocol: Protocol,
    metric: Metric,
    counts: Array,
    sums: Array,
    settings: AnalysisSettings,
) -> MetricResult:
    base, titr, maint = (int(c) for c in counts)
    problems = []
    if base < settings.min_baseline_days:
        problems.append(f"baseline has {base} observed day(s), {settings.min_baseline_days} needed")
    if maint < settings.min_maintenance_days:
        problems.append(
            f"maintenance has {maint} observed day(s), {settings.min_maintenance_days} needed"
        )
    return MetricResult(
        metric=metric,
        days_used=base + titr + maint,
        baseline_days=base,
        maintenance_days=maint,
        titration_days=titr,
        baseline_mean=float(sums[BASELINE] / base) if base else None,
        maintenance_mean=float(sums[MAINTENANCE] / maint) if maint else None,
        effect_mean=None,
        interval=None,
        p_better=None,
        p_better_than_mcid=None,
        p_relative_30=None,
        p_worse_1=None,
        bands=(),
        rho_mean=None,
        sufficiency=Sufficiency.INSUFFICIENT if problems else Sufficiency.SUFFICIENT,
        sufficiency_reason="; ".join(problems)
        or f"{base} baseline and {maint} maintenance days observed",
        mcid_text=_mcid_text(protocol, metric),
    )


def _design(
    series: _Series, protocol: Protocol, settings: AnalysisSettings, titration_days: int
) -> None:
    n = len(series.values)
    titration = titration_days >= 3
    weekly = settings.models_weekly_cycle
    p = 2 + titration + 2 * weekly + settings.trend
    x = np.empty((n, p))
    x[:, 0] = 1.0
    x[:, 1] = series.kinds == MAINTENANCE
    column = 2
    if titration:
        x[:, column] = series.kinds == TITRATION
        column += 1
    if weekly:  # one harmonic of a 7-day cycle, in calendar days from the start
        weekday = series.days.astype(np.int64) % 7
        x[:, column], x[:, column + 1] = _WEEK_SIN[weekday], _WEEK_COS[weekday]
        column += 2
    if settings.trend:
        t = series.days
        x[:, column] = (t - t.mean()) / max(float(t.std()), 1.0)
    series.x = x
    sign = _better_sign(series.metric)
    # The baseline level: the fitted mean averaged over the baseline days analysed (the
    # intercept, plus the weekly and trend terms there).
    level = np.zeros(p)
    level[0] = 1.0
    if p > 2 + titration:
        level[2 + titration :] = x[series.kinds == BASELINE, 2 + titration :].mean(axis=0)
    effect = np.zeros(p)
    effect[1] = 1.0
    criterion = protocol.success
    primary = series.metric.key == criterion.metric
    if primary and criterion.kind is CriterionKind.RELATIVE_IMPROVEMENT:
        series.relative_threshold = criterion.threshold
    elif primary:
        series.absolute_threshold = criterion.threshold
    share = series.relative_threshold or RELATIVE_REPORTED
    # "Improves by at least share x the baseline level": sign * effect - share * level >= 0.
    series.contrasts = np.stack(
        [effect, sign * effect - RELATIVE_REPORTED * level, sign * effect - share * level]
    )


PARALLEL_FROM = 512  # series; below this one thread is quicker
WORKERS = min(4, os.cpu_count() or 1)


def _fit_in_parallel(members: list[_Series]) -> list[MetricResult]:
    """:func:`_fit_group` on contiguous parts in threads (NumPy and SciPy release the GIL in
    their loops). Each series is computed on its own, so the split changes no result."""
    if len(members) < PARALLEL_FROM or WORKERS == 1:
        return _fit_group(members)
    size = -(-len(members) // WORKERS)
    parts = [members[i : i + size] for i in range(0, len(members), size)]
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return [r for part in pool.map(_fit_group, parts) for r in part]


def _fit_group(members: list[_Series]) -> list[MetricResult]:
    """Fit series with the same number of design columns together and summarise them."""
    fitted = fit_batch([(s.days, s.values, s.x) for s in members if s.x is not None])
    contrasts = np.stack([s.contrasts for s in members if s.contrasts is not None])
    effect = fitted.contrast(contrasts[:, 0])
    sign = np.array([_better_sign(s.metric) for s in members])
    large, small = BAND_EDGES
    # P(effect <= x) at the points the bands and probabilities need, in one pass.
    points = np.stack([np.zeros(len(members)), sign * small, sign * large, -sign * WORSE_BY], 1)
    below = effect.cdf_many(points)

    def better(column: int) -> Array:  # P(sign * effect >= the point's improvement)
        return np.where(sign < 0, below[:, column], 1 - below[:, column])

    p_better, p_small_or_more, p_large = better(0), better(1), better(2)
    p_worse = 1 - better(3)
    tail = (1 - CREDIBLE) / 2
    low, high = effect.quantile(tail), effect.quantile(1 - tail)
    mean = effect.mean()
    p_relative_30 = 1 - fitted.contrast(contrasts[:, 1]).cdf(0.0)
    # The criterion's own probability, where it differs from a number already computed.
    p_mcid = np.where(sign < 0, below[:, 1], 1 - below[:, 1])  # better by 1 point
    relative = np.array([s.relative_threshold is not None for s in members])
    same_share = np.array([s.relative_threshold in (None, RELATIVE_REPORTED) for s in members])
    p_mcid = np.where(relative, p_relative_30, p_mcid)
    other_share = np.flatnonzero(relative & ~same_share)
    if len(other_share):
        sub = fitted.subset(other_share).contrast(contrasts[other_share, 2])
        p_mcid[other_share] = 1 - sub.cdf(0.0)
    absolute = np.array([s.absolute_threshold for s in members])
    other_points = np.flatnonzero(~relative & (absolute != small))
    if len(other_points):
        sub = effect.subset(other_points)
        at = sub.cdf(sign[other_points] * absolute[other_points])
        p_mcid[other_points] = np.where(sign[other_points] < 0, at, 1 - at)
    rho_mean = fitted.rho_mean()
    out = []
    for i, series in enumerate(members):
        bands = (
            Band(f"better by {large:g} points or more", float(p_large[i])),
            Band(
                f"better by {small:g} to {large:g} points",
                float(p_small_or_more[i] - p_large[i]),
            ),
            Band(
                f"within {small:g} point either way",
                float(1 - p_small_or_more[i] - p_worse[i]),
            ),
            Band(f"worse by {WORSE_BY:g} point or more", float(p_worse[i])),
        )
        out.append(
            replace(
                series.shell,
                effect_mean=float(mean[i]),
                interval=(float(low[i]), float(high[i])),
                p_better=float(p_better[i]),
                p_better_than_mcid=float(p_mcid[i]),
                p_relative_30=float(p_relative_30[i]),
                p_worse_1=float(p_worse[i]),
                bands=bands,
                rho_mean=float(rho_mean[i]),
                posterior=effect.row(i),
            )
        )
    return out


def _better_sign(metric: Metric) -> float:
    """-1 when a fall is better (pain), +1 when a rise is better (sleep quality)."""
    return -1.0 if metric.better is Direction.LOWER else 1.0


def _mcid_text(protocol: Protocol, metric: Metric) -> str:
    criterion = protocol.success
    if metric.key == criterion.metric:
        if criterion.kind is CriterionKind.RELATIVE_IMPROVEMENT:
            return f"{criterion.threshold:.0%} of the baseline level"
        return f"{criterion.threshold:g} points"
    return "1 point"
