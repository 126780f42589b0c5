"""Analysing one open-label trial: each metric's change from baseline, with honest uncertainty.

The design has an intercept (the baseline level), a maintenance term (the effect reported:
maintenance minus baseline), a titration term when the protocol models titration, and an
optional linear trend. Days in the first ``run_in_days`` after the first dose, and titration
days when the protocol excludes them, are left out. Missing days are simply missing.

Open label: the effect is a change from baseline, which includes placebo response, natural
fluctuation and regression to the mean. It is never called an effect of LDN against placebo.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ldntrial.core.analysis.ar1 import GridPosterior, Prior, fit
from ldntrial.core.instruments import Direction, Metric
from ldntrial.core.protocol import CriterionKind, PhaseKind, Protocol, TitrationHandling

DRAWS = 4000
CREDIBLE = 0.95
WORSE_BY = 1.0  # points: "worse by at least 1 point"
BAND_EDGES = (2.0, 1.0)  # points of improvement for "large" and "small"


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
    density: tuple[tuple[float, float], ...] = ()  # (effect, posterior density) for charts

    @property
    def better_sign(self) -> float:
        return _better_sign(self.metric)


@dataclass(frozen=True)
class TrialAnalysis:
    protocol: Protocol
    metrics: tuple[MetricResult, ...]
    label: str  # what the effect means

    @property
    def primary(self) -> MetricResult:
        return next(m for m in self.metrics if m.metric.key == self.protocol.primary_metric)


OPEN_LABEL_LABEL = (
    "Change from baseline in an open-label trial: it includes placebo response, natural "
    "fluctuation and regression to the mean, not only any effect of LDN."
)


def analyse_trial(protocol: Protocol, observations: Iterable[Observation]) -> TrialAnalysis:
    rows = sorted(observations, key=lambda o: o.day)
    return TrialAnalysis(
        protocol,
        tuple(analyse_metric(protocol, metric, rows) for metric in protocol.metrics),
        OPEN_LABEL_LABEL,
    )


def analyse_trials(
    trials: Sequence[tuple[Protocol, Iterable[Observation]]],
) -> list[TrialAnalysis]:
    """Many patients in one call (each is vectorised over the rho grid)."""
    return [analyse_trial(protocol, rows) for protocol, rows in trials]


def _phase_of(protocol: Protocol, day: dt.date) -> PhaseKind | None:
    for phase in protocol.phases():
        if phase.first <= day <= phase.last:
            return phase.kind
    return None


def analyse_metric(protocol: Protocol, metric: Metric, rows: Sequence[Observation]) -> MetricResult:
    settings = protocol.analysis
    run_in_end = protocol.first_dose_date + dt.timedelta(days=settings.run_in_days)
    days: list[int] = []
    values: list[float] = []
    kinds: list[PhaseKind] = []
    for row in rows:
        if metric.key not in row.values:
            continue
        kind = _phase_of(protocol, row.day)
        if kind is None:
            continue
        if kind is not PhaseKind.BASELINE and row.day < run_in_end:
            continue
        if kind is PhaseKind.TITRATION and settings.titration is TitrationHandling.EXCLUDE:
            continue
        days.append((row.day - protocol.start_date).days)
        values.append(float(row.values[metric.key]))
        kinds.append(kind)
    counts = {k: kinds.count(k) for k in PhaseKind}
    base, maint = counts[PhaseKind.BASELINE], counts[PhaseKind.MAINTENANCE]
    problems = []
    if base < settings.min_baseline_days:
        problems.append(f"baseline has {base} observed day(s), {settings.min_baseline_days} needed")
    if maint < settings.min_maintenance_days:
        problems.append(
            f"maintenance has {maint} observed day(s), {settings.min_maintenance_days} needed"
        )
    sufficiency = Sufficiency.INSUFFICIENT if problems else Sufficiency.SUFFICIENT
    reason = "; ".join(problems) or (f"{base} baseline and {maint} maintenance days observed")
    y = np.array(values)

    def observed_mean(kind: PhaseKind) -> float | None:
        chosen = [v for v, k in zip(values, kinds, strict=True) if k is kind]
        return float(np.mean(chosen)) if chosen else None

    mcid_text = _mcid_text(protocol, metric)
    empty = MetricResult(
        metric,
        len(values),
        base,
        maint,
        counts[PhaseKind.TITRATION],
        observed_mean(PhaseKind.BASELINE),
        observed_mean(PhaseKind.MAINTENANCE),
        None,
        None,
        None,
        None,
        None,
        None,
        (),
        None,
        sufficiency,
        reason,
        mcid_text,
    )
    if base < 3 or maint < 3:
        return empty
    columns = [np.ones(len(y)), np.array([k is PhaseKind.MAINTENANCE for k in kinds], float)]
    if counts[PhaseKind.TITRATION] >= 3:
        columns.append(np.array([k is PhaseKind.TITRATION for k in kinds], float))
    if settings.trend:
        t = np.array(days, float)
        columns.append((t - t.mean()) / max(t.std(), 1.0))
    x = np.column_stack(columns)
    posterior = fit(np.array(days, float), y, x, Prior.weakly_informative(x.shape[1]))
    return _summarise(protocol, metric, posterior, empty)


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


def _summarise(
    protocol: Protocol, metric: Metric, posterior: GridPosterior, base: MetricResult
) -> MetricResult:
    sign = _better_sign(metric)
    k = 1  # the maintenance coefficient
    mean = posterior.posterior_mean(k)
    tail = (1 - CREDIBLE) / 2
    interval = (posterior.quantile(k, tail), posterior.quantile(k, 1 - tail))

    def p_better_by(points: float) -> float:
        # P(sign * effect >= points)
        if sign < 0:
            return posterior.cdf(k, -points)
        return 1 - posterior.cdf(k, points)

    draws = posterior.draws(DRAWS)
    level = draws[:, 0]
    relative = sign * draws[:, k] / np.where(np.abs(level) < 1e-9, np.nan, level)
    p_rel_30 = float(np.nanmean(relative >= 0.30))
    criterion = protocol.success
    if metric.key == criterion.metric and criterion.kind is CriterionKind.RELATIVE_IMPROVEMENT:
        p_mcid = float(np.nanmean(relative >= criterion.threshold))
    elif metric.key == criterion.metric:
        p_mcid = p_better_by(criterion.threshold)
    else:
        p_mcid = p_better_by(1.0)
    p_worse = 1 - p_better_by(-WORSE_BY)
    large, small = BAND_EDGES
    p_large = p_better_by(large)
    p_small = p_better_by(small) - p_large
    bands = (
        Band(f"better by {large:g} points or more", p_large),
        Band(f"better by {small:g} to {large:g} points", p_small),
        Band(f"within {small:g} point either way", 1 - p_large - p_small - p_worse),
        Band(f"worse by {WORSE_BY:g} point or more", p_worse),
    )
    return MetricResult(
        metric=metric,
        days_used=base.days_used,
        baseline_days=base.baseline_days,
        maintenance_days=base.maintenance_days,
        titration_days=base.titration_days,
        baseline_mean=base.baseline_mean,
        maintenance_mean=base.maintenance_mean,
        effect_mean=mean,
        interval=interval,
        p_better=p_better_by(0.0),
        p_better_than_mcid=p_mcid,
        p_relative_30=p_rel_30,
        p_worse_1=p_worse,
        bands=bands,
        rho_mean=posterior.rho_mean(),
        sufficiency=base.sufficiency,
        sufficiency_reason=base.sufficiency_reason,
        mcid_text=base.mcid_text,
        density=_density(posterior, k, interval),
    )


def _density(
    posterior: GridPosterior, k: int, interval: tuple[float, float]
) -> tuple[tuple[float, float], ...]:
    low, high = interval
    pad = max(high - low, 0.5)
    xs = np.linspace(low - pad, high + pad, 121)
    loc, scale = posterior.location(k), posterior.scale(k)
    pdf = stats.t.pdf((xs[None, :] - loc[:, None]) / scale[:, None], posterior.dof) / scale[:, None]
    ys = posterior.weights @ pdf
    return tuple((float(x), float(y)) for x, y in zip(xs, ys, strict=True))
