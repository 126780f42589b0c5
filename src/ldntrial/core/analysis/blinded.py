"""Analysing blinded n-of-1 trials: LDN minus identical placebo, per metric, for one patient.

Only the analysed days of the blinded periods enter the comparison (each period after its run-in
days); baseline and titration days are left out, so regression to the mean and the open
titration's placebo response cannot load onto the effect (shared/facts/statistics.md §1.4). The
model for each metric is a regression with AR(1) errors (:mod:`ldntrial.core.analysis.ar1`):

    y_t = alpha_block(t) + beta * [LDN on day t] + gamma * [no capsule on day t]
          + weekly cycle (one 7-day harmonic, when the protocol estimates it) + u_t

with one level per block (the pair effects), so beta is the within-block contrast LDN minus
placebo; missing days are simply missing. The effect is reported as beta (negative = lower
scores on LDN), with its 95% interval, P(LDN better than placebo), P(better by the MCID) and
bands. The MCID is the protocol's: an absolute threshold in points, or a share of the placebo
level (the mean of the block levels), as a linear contrast; the placebo level's posterior mean
is reported too (``placebo_level``), so that the registry converts a relative MCID to points
with the same level.

:func:`analyse_blinded_many` fits many diaries in one batch (validation and design power use it);
:func:`analyse_blinded` is one diary, with the same numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ldntrial.core.analysis.ar1 import Array, fit_batch
from ldntrial.core.analysis.blinded_safety import (
    BlindingCheck,
    Guess,
    NoceboRatio,
    SideEffectRate,
    blinding_check,
    nocebo_ratios,
    side_effect_rates,
)
from ldntrial.core.analysis.mixture import Mixture
from ldntrial.core.analysis.trial import (
    BAND_EDGES,
    CREDIBLE,
    WORSE_BY,
    Band,
    Observation,
    Sufficiency,
)
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.blinded import Arm, BlindedDesign
from ldntrial.core.trial.instruments import Direction, Metric
from ldntrial.core.trial.protocol import CriterionKind, Protocol
from ldntrial.core.trial.randomisation import Allocation

MIN_DAYS_PER_ARM = 3  # observed analysed days per arm in a block for it to count
MIN_BLOCKS = 2  # blocks with both arms observed

BLINDED_LABEL = (
    "LDN minus identical placebo in randomised, blinded periods for this patient: the placebo "
    "periods carry the same expectations, so the difference is the effect of naltrexone itself "
    "(within the limits of the blinding check)."
)

_WEEK_SIN = np.sin(2 * np.pi * np.arange(7) / 7)
_WEEK_COS = np.cos(2 * np.pi * np.arange(7) / 7)


@dataclass(frozen=True)
class BlindedMetricResult:
    metric: Metric
    active_days: int
    placebo_days: int
    no_capsule_days: int
    active_mean: float | None  # observed, analysed days
    placebo_mean: float | None
    effect_mean: float | None  # posterior mean of LDN minus placebo, in points
    interval: tuple[float, float] | None
    p_better: float | None  # P(LDN better than placebo)
    p_better_than_mcid: float | None
    p_worse_1: float | None
    bands: tuple[Band, ...]
    rho_mean: float | None
    sufficiency: Sufficiency
    sufficiency_reason: str
    mcid_text: str
    # Posterior mean of the placebo level (the mean of the block levels, plus the weekly
    # cycle's mean over the placebo days): what a relative MCID is a share of.
    placebo_level: float | None = None
    posterior: Mixture | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class BlindedAnalysis:
    protocol: Protocol
    metrics: tuple[BlindedMetricResult, ...]
    side_effects: tuple[SideEffectRate, ...]
    nocebo: tuple[NoceboRatio, ...]
    blinding: BlindingCheck
    sequence: tuple[Arm, ...]  # the unblinded allocation, period by period, for the report
    label: str
    methods: str

    @property
    def primary(self) -> BlindedMetricResult:
        return next(m for m in self.metrics if m.metric.key == self.protocol.primary_metric)


def methods_text(design: BlindedDesign, weekly: bool) -> str:
    parts = [
        "For each metric, a Bayesian regression with AR(1) errors (the autocorrelation "
        "integrated over a grid; missing days stay missing) compares the LDN days with the "
        "placebo days inside each randomised block, with one level per block.",
        f"The first {design.run_in_days} days of every period are left out (onset and "
        "carry-over); baseline and titration days are not used.",
    ]
    if weekly:
        parts.append("A weekly cycle (one 7-day harmonic) is estimated.")
    if design.no_capsule:
        parts.append("Periods without capsules have a level of their own.")
    parts.append(
        "It assumes the effect is steady after the run-in; its intervals were checked on "
        "diaries with heavy tails, gradual onset, carry-over, missing runs and strong "
        "autocorrelation (docs/validation-blinded.md)."
    )
    return " ".join(parts)


@dataclass(frozen=True)
class DayLayout:
    """Where each day of a blinded protocol falls: period, block, arm, analysed or not."""

    first_day: dt.date
    period_days: int
    run_in_days: int
    periods: int
    block_size: int

    @classmethod
    def of(cls, protocol: Protocol) -> DayLayout:
        design = _design(protocol)
        first = protocol.periods()[0].first
        return cls(first, design.period_days, design.run_in_days, design.periods, len(design.arms))

    def position(self, offsets: Array) -> tuple[Array, Array]:
        """Period index (-1 outside the periods) and day-in-period of day offsets from the
        first period day."""
        period = np.floor_divide(offsets, self.period_days).astype(np.int64)
        inside = (offsets >= 0) & (period < self.periods)
        return np.where(inside, period, -1), offsets - period * self.period_days


def _design(protocol: Protocol) -> BlindedDesign:
    if protocol.blinded is None:
        raise InvalidValue(
            "this protocol is open label: analyse it with the open-label analysis, not as a "
            "blinded n-of-1 trial"
        )
    return protocol.blinded


def design_matrix(
    days: Array, arm_index: Array, block: Array, pairs: int, no_capsule: bool, weekly: bool
) -> Array:
    """Columns: one level per block, LDN, (no capsule), (weekly sin, cos). ``arm_index`` is 0
    LDN, 1 placebo, 2 no capsule; ``days`` are calendar offsets (for the weekday)."""
    n = len(days)
    p = pairs + 1 + no_capsule + 2 * weekly
    x = np.zeros((n, p))
    x[np.arange(n), block.astype(np.int64)] = 1.0
    x[:, pairs] = arm_index == 0
    column = pairs + 1
    if no_capsule:
        x[:, column] = arm_index == 2
        column += 1
    if weekly:
        weekday = days.astype(np.int64) % 7
        x[:, column], x[:, column + 1] = _WEEK_SIN[weekday], _WEEK_COS[weekday]
    return x


_ARM_INDEX = {Arm.ACTIVE: 0, Arm.PLACEBO: 1, Arm.NO_CAPSULE: 2}


@dataclass
class _Series:
    metric: Metric
    days: Array
    values: Array
    arm: Array
    block: Array
    x: Array | None
    shell: BlindedMetricResult
    sign: float
    relative: float | None  # share of the placebo level, when the MCID is relative
    absolute: float  # points, otherwise
    pairs: int  # block columns come first; the LDN column follows them
    no_capsule: bool


def analyse_blinded(
    protocol: Protocol,
    allocation: Allocation,
    observations: Iterable[Observation],
    guesses: Mapping[int, Guess] | None = None,
) -> BlindedAnalysis:
    return analyse_blinded_many([(protocol, allocation, observations, guesses)])[0]


def analyse_blinded_many(
    trials: Sequence[
        tuple[Protocol, Allocation, Iterable[Observation], Mapping[int, Guess] | None]
    ],
    *,
    metrics: Sequence[str] | None = None,
) -> list[BlindedAnalysis]:
    """Many blinded diaries in one pass. ``metrics`` limits the metrics analysed (validation)."""
    prepared = []
    for protocol, allocation, observations, _ in trials:
        design = _design(protocol)
        if allocation.design != design:
            raise InvalidValue("the allocation is not for this protocol's blinded design")
        if (
            protocol.allocation_commitment is not None
            and allocation.commitment != protocol.allocation_commitment
        ):
            raise InvalidValue(
                "the allocation is not the one this protocol commits to: use the sealed "
                "allocation made for this protocol"
            )
        rows = sorted(observations, key=lambda o: o.day)
        prepared.append((rows, _prepare(protocol, allocation, rows, metrics)))
    groups: dict[int, list[_Series]] = {}
    for _, series in prepared:
        for s in series:
            if s.x is not None:
                groups.setdefault(s.x.shape[1], []).append(s)
    results: dict[int, BlindedMetricResult] = {}
    for members in groups.values():
        for s, r in zip(members, _fit(members), strict=True):
            results[id(s)] = r
    out = []
    for (protocol, allocation, _, guesses), (rows, series) in zip(trials, prepared, strict=True):
        design = _design(protocol)
        periods = protocol.periods()
        arms_of = {p.number: allocation.arm_of_period(p.number) for p in periods}
        out.append(
            BlindedAnalysis(
                protocol=protocol,
                metrics=tuple(results.get(id(s), s.shell) for s in series),
                side_effects=side_effect_rates(rows, periods, arms_of),
                nocebo=nocebo_ratios(rows, periods, arms_of) if design.no_capsule else (),
                blinding=blinding_check(guesses or {}, arms_of),
                sequence=allocation.arms,
                label=BLINDED_LABEL,
                methods=methods_text(design, protocol.analysis_settings.models_weekly_cycle),
            )
        )
    return out


def _prepare(
    protocol: Protocol,
    allocation: Allocation,
    rows: list[Observation],
    only: Sequence[str] | None,
) -> list[_Series]:
    design = _design(protocol)
    layout = DayLayout.of(protocol)
    weekly = protocol.analysis_settings.models_weekly_cycle
    start = layout.first_day.toordinal()
    offsets = np.array([r.day.toordinal() - start for r in rows], dtype=float)
    period, day_in = layout.position(offsets)
    analysed = (period >= 0) & (day_in >= layout.run_in_days)
    arm_of_period = np.array([_ARM_INDEX[a] for a in allocation.arms])
    arm = np.where(period >= 0, arm_of_period[np.clip(period, 0, None)], -1)
    block = np.where(period >= 0, period // layout.block_size, -1)
    out = []
    for metric in protocol.metrics:
        if only is not None and metric.key not in only:
            continue
        values = np.array([r.values.get(metric.key, np.nan) for r in rows], dtype=float)
        keep = analysed & ~np.isnan(values)
        s = _series(protocol, design, metric, offsets[keep], values[keep], arm[keep], block[keep])
        out.append(s)
        if s.shell.sufficiency is Sufficiency.SUFFICIENT:
            # A block without any analysed day has no level to estimate: leave it out.
            observed, inverse = np.unique(s.block, return_inverse=True)
            s.block = inverse.astype(float)
            s.pairs = len(observed)
            s.x = design_matrix(s.days, s.arm, s.block, s.pairs, design.no_capsule, weekly)
    return out


def _series(
    protocol: Protocol,
    design: BlindedDesign,
    metric: Metric,
    days: Array,
    values: Array,
    arm: Array,
    block: Array,
) -> _Series:
    counts = [int(np.sum(arm == k)) for k in range(3)]
    means = [float(values[arm == k].mean()) if counts[k] else None for k in range(3)]
    usable = 0
    for b in range(design.pairs):
        here = block == b
        if min(np.sum(here & (arm == 0)), np.sum(here & (arm == 1))) >= MIN_DAYS_PER_ARM:
            usable += 1
    problems = []
    if not len(values):
        problems.append("no analysed days recorded for this metric")
    elif usable < MIN_BLOCKS:
        problems.append(
            f"{usable} block(s) have at least {MIN_DAYS_PER_ARM} analysed days on both LDN and "
            f"placebo; {MIN_BLOCKS} are needed"
        )
    elif len(values) and np.ptp(values) == 0:
        problems.append(
            "the score is the same on every analysed day: there is no day-to-day variation to "
            "judge a difference against"
        )
    sign = -1.0 if metric.better is Direction.LOWER else 1.0
    criterion = protocol.success
    relative, absolute, mcid = None, 1.0, "1 point"
    if metric.key == criterion.metric:
        if criterion.kind is CriterionKind.RELATIVE_IMPROVEMENT:
            relative, mcid = criterion.threshold, f"{criterion.threshold:.0%} of the placebo level"
        else:
            absolute, mcid = criterion.threshold, f"{criterion.threshold:g} points"
    shell = BlindedMetricResult(
        metric=metric,
        active_days=counts[0],
        placebo_days=counts[1],
        no_capsule_days=counts[2],
        active_mean=means[0],
        placebo_mean=means[1],
        effect_mean=None,
        interval=None,
        p_better=None,
        p_better_than_mcid=None,
        p_worse_1=None,
        bands=(),
        rho_mean=None,
        sufficiency=Sufficiency.INSUFFICIENT if problems else Sufficiency.SUFFICIENT,
        sufficiency_reason="; ".join(problems)
        or f"{counts[0]} LDN and {counts[1]} placebo days analysed in {usable} blocks",
        mcid_text=mcid,
    )
    return _Series(
        metric,
        days,
        values,
        arm,
        block,
        None,
        shell,
        sign,
        relative,
        absolute,
        design.pairs,
        design.no_capsule,
    )


def _placebo_level(s: _Series, p: int) -> Array:
    """The contrast of the placebo level: the mean of the block levels (the first ``pairs``
    columns), plus the weekly cycle's mean over the placebo days when it is estimated."""
    level = np.zeros(p)
    level[: s.pairs] = 1.0 / s.pairs
    start = s.pairs + 1 + s.no_capsule
    if p > start and s.x is not None:
        level[start:] = s.x[s.arm == 1, start:].mean(axis=0)
    return level


def _fit(members: list[_Series]) -> list[BlindedMetricResult]:
    fitted = fit_batch([(s.days, s.values, s.x) for s in members if s.x is not None])
    p = fitted.rhs.shape[0]
    effect_c = np.zeros((len(members), p))
    level_c = np.stack([_placebo_level(s, p) for s in members])
    mcid_c = np.zeros((len(members), p))
    for i, s in enumerate(members):
        effect_c[i, s.pairs] = 1.0
        if s.relative is not None:
            # sign * beta - share * placebo level >= 0
            mcid_c[i] = s.sign * effect_c[i] - s.relative * level_c[i]
    effect = fitted.contrast(effect_c)
    placebo_level = fitted.contrast(level_c).mean()
    sign = np.array([s.sign for s in members])
    large, small = BAND_EDGES
    points = np.stack([np.zeros(len(members)), sign * small, sign * large, -sign * WORSE_BY], 1)
    below = effect.cdf_many(points)

    def better(column: int) -> Array:
        return np.where(sign < 0, below[:, column], 1 - below[:, column])

    p_better, p_small, p_large = better(0), better(1), better(2)
    p_worse = 1 - better(3)
    absolute = np.array([s.absolute for s in members])
    at = effect.cdf(sign * absolute)
    p_mcid = np.where(sign < 0, at, 1 - at)
    relative = np.flatnonzero([s.relative is not None for s in members])
    if len(relative):
        p_mcid[relative] = 1 - fitted.subset(relative).contrast(mcid_c[relative]).cdf(0.0)
    tail = (1 - CREDIBLE) / 2
    low, high = effect.quantile(tail), effect.quantile(1 - tail)
    mean, rho = effect.mean(), fitted.rho_mean()
    out = []
    for i, s in enumerate(members):
        bands = (
            Band(f"LDN better by {large:g} points or more", float(p_large[i])),
            Band(f"LDN better by {small:g} to {large:g} points", float(p_small[i] - p_large[i])),
            Band(f"within {small:g} point either way", float(1 - p_small[i] - p_worse[i])),
            Band(f"LDN worse by {WORSE_BY:g} point or more", float(p_worse[i])),
        )
        out.append(
            replace(
                s.shell,
                effect_mean=float(mean[i]),
                interval=(float(low[i]), float(high[i])),
                p_better=float(p_better[i]),
                p_better_than_mcid=float(p_mcid[i]),
                p_worse_1=float(p_worse[i]),
                bands=bands,
                rho_mean=float(rho[i]),
                placebo_level=float(placebo_level[i]),
                posterior=effect.row(i),
            )
        )
    return out
