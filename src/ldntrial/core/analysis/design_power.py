"""Choosing a blinded design by simulated power, before the protocol is locked.

For a design (pairs, period length, run-in) :func:`design_power` simulates many trials of
patients like those the analysis was validated on (level 4-8, day-to-day SD 0.8-1.5,
autocorrelation 0.2-0.8, whole-number scores, runs of missing days), whose LDN effect builds up
over ``onset_days`` and fades over ``carryover_days`` into the next period (the linear kinetics
of :mod:`ldntrial.core.analysis.simulation`), analyses each with the blinded analysis, and
counts how often it **detects** the effect: P(LDN better than placebo) of at least
``detect_probability`` (0.95 by default, the counterpart of a one-sided 5% test). With no true
effect the same count is the **false-positive rate**.

The default effects are improvements of 1 and 2 points on a 0-10 scale: IMMPACT's minimally
(about 1 point, 10-20%) and moderately (about 2 points, 30%) important changes in pain
(Dworkin et al., J Pain 2008; shared/facts/statistics.md §2).

Speed: the trials are generated as arrays (one row per trial; the loops run over days, not
trials) with the same processes as :func:`ldntrial.core.analysis.simulation.simulate`, and fitted
in one batch (:func:`ldntrial.core.analysis.ar1.fit_batch`) with the design matrix of
:mod:`ldntrial.core.analysis.blinded`. tests/core/analysis/test_design_power.py checks the figures
against a brute-force run through ``simulate`` and ``analyse_blinded_many`` one diary at a time;
benchmarks/README.md records the time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from ldntrial.core.analysis.ar1 import Array, fit_batch
from ldntrial.core.analysis.blinded import MIN_BLOCKS, MIN_DAYS_PER_ARM, design_matrix
from ldntrial.core.analysis.simulation import (
    SCALE_MAX,
    Kinetics,
    MissingRuns,
    Noise,
    Onset,
    Patient,
)
from ldntrial.core.analysis.validation import MISSING_RUNS
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.blinded import MAX_PAIRS, BlindedDesign

DEFAULT_EFFECTS = (1.0, 2.0)  # points of improvement (IMMPACT minimal and moderate)
DEFAULT_TRIALS = 400
TARGET_POWER = 0.80
LEAD_IN_DAYS = 14  # open LDN before the first period, so that period 1 can inherit carry-over


@dataclass(frozen=True)
class PowerAssumptions:
    """The simulated patients. Ranges are drawn uniformly, one value per trial."""

    level: tuple[float, float] = (4.0, 8.0)
    sd: tuple[float, float] = (0.8, 1.5)
    rho: tuple[float, float] = (0.2, 0.8)
    onset_days: float = 5.0
    carryover_days: float = 7.0
    whole_numbers: bool = True
    missing: MissingRuns = field(default_factory=lambda: MISSING_RUNS)

    def __post_init__(self) -> None:
        for name in ("onset_days", "carryover_days"):
            value = getattr(self, name)
            if not 0 <= value <= 56:
                raise InvalidValue(f"{name.replace('_', ' ')} must be 0 to 56 days, not {value}")
        if not -0.99 < self.rho[0] <= self.rho[1] < 0.99:
            raise InvalidValue("the autocorrelation range must lie inside -0.99 to 0.99")

    def onset(self) -> Onset:
        if not (self.onset_days or self.carryover_days):
            return Onset()
        return Onset(Kinetics.LINEAR, self.onset_days, self.carryover_days)

    def patient(self, rng: np.random.Generator, effect: float) -> Patient:
        """One patient of the population (for the brute-force check)."""
        return Patient(
            level=rng.uniform(*self.level),
            effect=effect,
            noise=Noise(rng.uniform(*self.sd), rng.uniform(*self.rho)),
            onset=self.onset(),
            whole_numbers=self.whole_numbers,
            missing=self.missing,
        )


@dataclass(frozen=True)
class PowerRow:
    improvement: float  # true LDN-minus-placebo improvement, in points
    detected: float  # share of trials with P(LDN better) >= the detection probability
    se: float  # its Monte-Carlo SE


@dataclass(frozen=True)
class Alternative:
    design: BlindedDesign
    detected: float
    weeks: float


@dataclass(frozen=True)
class DesignPower:
    design: BlindedDesign
    trials: int
    detect_probability: float
    false_positive: PowerRow
    rows: tuple[PowerRow, ...]
    target_improvement: float
    alternatives: tuple[Alternative, ...]  # only when the design is too weak
    assumptions: PowerAssumptions

    @property
    def too_weak(self) -> bool:
        return self.power_at(self.target_improvement) < TARGET_POWER

    def power_at(self, improvement: float) -> float:
        return next(r.detected for r in self.rows if r.improvement == improvement)

    @property
    def suggestion(self) -> str | None:
        if not self.too_weak:
            return None
        text = (
            f"This design detects a {self.target_improvement:g}-point improvement in only "
            f"{self.power_at(self.target_improvement):.0%} of trials (aim for "
            f"{TARGET_POWER:.0%})."
        )
        strong = [a for a in self.alternatives if a.detected >= TARGET_POWER]
        if strong:
            best = min(strong, key=lambda a: a.weeks)
            text += (
                f" {best.design.pairs} pairs of {best.design.period_days}-day periods would "
                f"detect it in {best.detected:.0%} ({best.weeks:g} weeks of blinded periods)."
            )
        else:
            text += (
                " More or longer periods help; an effect this small may not be detectable in "
                "one patient within a year."
            )
        return text


def design_power(
    design: BlindedDesign,
    *,
    improvements: Sequence[float] = DEFAULT_EFFECTS,
    target_improvement: float | None = None,
    trials: int = DEFAULT_TRIALS,
    seed: int = 20261202,
    weekly: bool = True,
    detect_probability: float = 0.95,
    assumptions: PowerAssumptions | None = None,
) -> DesignPower:
    """The simulated power of ``design`` for each improvement, its false-positive rate, and,
    when it detects ``target_improvement`` (default: the largest) in under 80% of trials,
    the power of a few longer designs."""
    if not 0.5 <= detect_probability < 1:
        raise InvalidValue("the detection probability must be at least 0.5 and below 1")
    if isinstance(trials, bool) or not isinstance(trials, int) or not 20 <= trials <= 20_000:
        raise InvalidValue(f"simulate 20 to 20000 trials, not {trials!r}")
    chosen = tuple(dict.fromkeys(float(e) for e in improvements))
    if not chosen or any(not 0 < e <= 10 for e in chosen):
        raise InvalidValue("improvements must be more than 0 and at most 10 points")
    target = max(chosen) if target_improvement is None else float(target_improvement)
    if target not in chosen:
        chosen = (*chosen, target)
    people = assumptions or PowerAssumptions()
    rng = np.random.default_rng(seed)
    effects = (0.0, *chosen)
    detected = detection_rates(design, effects, trials, rng, people, weekly, detect_probability)
    rows = tuple(_row(-e, d, trials) for e, d in zip(effects, detected, strict=True))
    result = DesignPower(design, trials, detect_probability, rows[0], rows[1:], target, (), people)
    if not result.too_weak:
        return result
    alternatives = []
    for option in _longer(design):
        rate = detection_rates(option, (target,), trials, rng, people, weekly, detect_probability)
        alternatives.append(Alternative(option, rate[0], option.days / 7))
    return replace(result, alternatives=tuple(alternatives))


def _row(improvement: float, detected: float, trials: int) -> PowerRow:
    return PowerRow(abs(improvement), detected, math.sqrt(detected * (1 - detected) / trials))


def _longer(design: BlindedDesign) -> list[BlindedDesign]:
    options = []
    for pairs in (design.pairs + 1, design.pairs + 2):
        if pairs <= MAX_PAIRS:
            options.append(replace(design, pairs=pairs))
    if design.period_days + 7 <= 56:
        options.append(replace(design, period_days=design.period_days + 7))
    return options


def detection_rates(
    design: BlindedDesign,
    improvements: Sequence[float],
    trials: int,
    rng: np.random.Generator,
    people: PowerAssumptions,
    weekly: bool,
    detect_probability: float,
) -> list[float]:
    """For each improvement (points; 0 for none), the share of simulated trials detected."""
    series = []
    for improvement in improvements:
        arms = _arms(design, trials, rng)
        y, keep = simulate_batch(design, arms, -abs(improvement), rng, people)
        series.extend(_series(design, arms, y, keep, weekly))
    # A diary the analysis would call insufficient counts as not detected.
    usable = np.array([_fittable(s, design) for s in series])
    p_better = np.zeros(len(series))
    if usable.any():
        fitted = fit_batch([s for s, ok in zip(series, usable, strict=True) if ok])
        column = np.zeros(fitted.rhs.shape[0])
        column[design.pairs] = 1.0
        p_better[usable] = fitted.contrast(column).cdf(0.0)  # lower scores are better
    hits = (p_better >= detect_probability).reshape(len(improvements), trials)
    return [float(h.mean()) for h in hits]


def _fittable(series: tuple[Array, Array, Array], design: BlindedDesign) -> bool:
    """Whether the blinded analysis would fit this diary: at least MIN_BLOCKS blocks with
    MIN_DAYS_PER_ARM analysed days on both LDN and placebo, and some variation."""
    _, y, x = series
    ldn = x[:, design.pairs] == 1
    placebo = ~ldn
    if design.no_capsule:
        placebo &= x[:, design.pairs + 1] == 0
    blocks = x[:, : design.pairs] == 1
    both = np.minimum((blocks & ldn[:, None]).sum(0), (blocks & placebo[:, None]).sum(0))
    if int(np.sum(both >= MIN_DAYS_PER_ARM)) < MIN_BLOCKS or np.ptp(y) == 0:
        return False
    # Every block column needs a day, and more days than columns.
    return bool(blocks.any(axis=0).all() and len(y) > x.shape[1] + 1)


def _arms(design: BlindedDesign, trials: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """Arm indexes (0 LDN, 1 placebo, 2 no capsule) per trial and period, shuffled in blocks."""
    size = len(design.arms)
    keys = rng.random((trials, design.pairs, size))
    return np.argsort(keys, axis=2).reshape(trials, design.periods)


def simulate_batch(
    design: BlindedDesign,
    arms: NDArray[np.int64],
    effect: float,
    rng: np.random.Generator,
    people: PowerAssumptions,
) -> tuple[Array, NDArray[np.bool_]]:
    """Scores (N, T) from the lead-in's first day, and which days are recorded."""
    n = arms.shape[0]
    planned = np.concatenate(
        [np.ones((n, LEAD_IN_DAYS)), np.repeat(arms == 0, design.period_days, axis=1)], axis=1
    ).astype(float)
    days = planned.shape[1]
    acting = _acting(planned, people.onset())
    level = np.asarray(rng.uniform(people.level[0], people.level[1], size=n))
    sd = np.asarray(rng.uniform(people.sd[0], people.sd[1], size=n))
    rho = np.asarray(rng.uniform(people.rho[0], people.rho[1], size=n))
    shocks = rng.standard_normal((n, days))
    noise = np.empty((n, days))
    noise[:, 0] = shocks[:, 0]
    innovation = np.sqrt(1 - rho**2)
    for t in range(1, days):
        noise[:, t] = rho * noise[:, t - 1] + innovation * shocks[:, t]
    values = level[:, None] + effect * acting + sd[:, None] * noise
    if people.whole_numbers:
        values = np.clip(np.round(values), 0, SCALE_MAX)
    return values, _kept(n, days, people.missing, rng)


def _acting(planned: Array, onset: Onset) -> Array:
    """:meth:`Onset.acting` for many rows at once (the same kinetics, row by row)."""
    if onset.kinetics is Kinetics.INSTANT:
        return planned
    acting = np.zeros_like(planned)
    level = np.zeros(planned.shape[0])
    up = 1.0 / onset.onset_days if onset.onset_days > 0 else np.inf
    down = 1.0 / onset.offset_days if onset.offset_days > 0 else np.inf
    for t in range(planned.shape[1]):
        target = planned[:, t]
        rising = target >= level
        level = np.where(rising, np.minimum(target, level + up), np.maximum(target, level - down))
        acting[:, t] = level
    return acting


def _kept(n: int, days: int, missing: MissingRuns, rng: np.random.Generator) -> NDArray[np.bool_]:
    """:meth:`MissingRuns.keep` for many rows: a run of 1..longest missing days starts on a
    day with ``chance``; the day after a run is always recorded."""
    keep = np.ones((n, days), dtype=bool)
    if missing.chance <= 0:
        return keep
    starts = rng.random((n, days)) < missing.chance
    runs = rng.integers(1, missing.longest + 1, size=(n, days))
    remaining = np.zeros(n, dtype=np.int64)
    rest = np.zeros(n, dtype=bool)
    for t in range(days):
        in_run = remaining > 0
        begin = ~in_run & ~rest & starts[:, t]
        keep[:, t] = ~(in_run | begin)
        remaining = np.where(in_run, remaining - 1, np.where(begin, runs[:, t] - 1, 0))
        rest = (in_run | begin) & (remaining == 0)
    return keep


def _series(
    design: BlindedDesign,
    arms: NDArray[np.int64],
    y: Array,
    keep: NDArray[np.bool_],
    weekly: bool,
) -> list[tuple[Array, Array, Array]]:
    """The analysed days of each trial as (days, y, x) for the fit."""
    period = np.repeat(np.arange(design.periods), design.period_days)
    in_period = np.tile(np.arange(design.period_days), design.periods)
    analysed = LEAD_IN_DAYS + np.flatnonzero(in_period >= design.run_in_days)
    block = period[analysed - LEAD_IN_DAYS] // len(design.arms)
    out = []
    for i in range(arms.shape[0]):
        chosen = analysed[keep[i, analysed]]
        arm = arms[i, period[chosen - LEAD_IN_DAYS]]
        days = (chosen - LEAD_IN_DAYS).astype(float)
        x = design_matrix(
            days,
            arm,
            block[keep[i, analysed]],
            design.pairs,
            design.no_capsule,
            weekly,
        )
        out.append((days, y[i, chosen], x))
    return out
