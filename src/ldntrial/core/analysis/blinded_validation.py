"""Does the blinded analysis hold on diaries it does not assume? Strata of misspecified blinded
n-of-1 diaries, beside the plain difference of arm means.

A simulated trial runs an open lead-in on LDN (the end of the titration, so that the first
period can inherit carry-over), then the blinded periods of the protocol in the order of a
randomly drawn allocation. The generators are those of :mod:`ldntrial.core.analysis.simulation`.
The **truth** is the difference in expected recorded score between the analysed LDN days and
the analysed placebo days (every scheduled analysed day, whether recorded or not): with a run-in
at least as long as the onset and carry-over this is the full effect; with slower kinetics it is
the effect the design can see, which the report states.

The bars (docs/validation-blinded.md, as for the open-label analysis in docs/decisions/0017):
coverage of the 95% interval 0.93-0.97 in every stratum and |bias| < 0.1 point.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ldntrial.core.analysis.blinded import analyse_blinded_many
from ldntrial.core.analysis.simulation import (
    Array,
    Diary,
    Innovations,
    Kinetics,
    MissingRuns,
    Noise,
    Onset,
    Patient,
    Schedule,
    Segment,
    Weekly,
    simulate,
)
from ldntrial.core.analysis.trial import Observation
from ldntrial.core.analysis.validation import MISSING_RUNS, Estimates, StratumResult, summarise
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.blinded import Arm, BlindedDesign
from ldntrial.core.trial.protocol import Protocol
from ldntrial.core.trial.randomisation import Allocation, draw_allocation

LEAD_IN_DAYS = 14  # open LDN before the first period
EFFECTS = (-3.0, 1.0)  # true LDN minus placebo drawn uniformly in this range, in points
NONCE = "0" * 64  # simulated allocations are never sealed

PatientDraw = Callable[[np.random.Generator], Patient]


@dataclass(frozen=True)
class BlindedStratum:
    name: str
    description: str
    draw: PatientDraw


def _draw(
    *,
    rho: tuple[float, float] = (0.2, 0.8),
    innovations: Innovations = Innovations.NORMAL,
    onset_days: float = 0.0,
    offset_days: float = 0.0,
    whole_numbers: bool = True,
    missing: MissingRuns | None = None,
    weekly: tuple[float, float] = (0.0, 0.0),
    level: tuple[float, float] = (4.0, 8.0),
) -> PatientDraw:
    def draw(rng: np.random.Generator) -> Patient:
        kinetic = onset_days or offset_days
        return Patient(
            level=rng.uniform(*level),
            effect=rng.uniform(*EFFECTS),
            noise=Noise(rng.uniform(0.8, 1.5), rng.uniform(*rho), innovations),
            onset=Onset(Kinetics.LINEAR, onset_days, offset_days) if kinetic else Onset(),
            weekly_amplitude=rng.uniform(*weekly),
            weekly_phase=float(rng.integers(0, 7)),
            weekly_shape=Weekly.WEEKEND,
            whole_numbers=whole_numbers,
            missing=missing or MissingRuns(),
        )

    return draw


STRATA: tuple[BlindedStratum, ...] = (
    BlindedStratum(
        "reference", "Gaussian AR(1), rho 0.2-0.8, continuous scores", _draw(whole_numbers=False)
    ),
    BlindedStratum(
        "heavy tails (t3)", "Student-t innovations, 3 df", _draw(innovations=Innovations.STUDENT_T)
    ),
    BlindedStratum("whole numbers 0-10", "scores rounded and clipped (as below)", _draw()),
    BlindedStratum(
        "onset 5 days",
        "the effect builds up over 5 days in each LDN period",
        _draw(onset_days=5.0),
    ),
    BlindedStratum(
        "carry-over 7 days",
        "the effect fades over 7 days into the next period (onset 3 days)",
        _draw(onset_days=3.0, offset_days=7.0),
    ),
    BlindedStratum(
        "onset and carry-over 12 days",
        "slower than the 7-day run-in: the truth is the effect on the analysed days",
        _draw(onset_days=12.0, offset_days=12.0),
    ),
    BlindedStratum(
        "missing runs", "about 13% of days missing in runs of 1-4", _draw(missing=MISSING_RUNS)
    ),
    BlindedStratum("autocorrelation 0.9", "rho 0.9", _draw(rho=(0.9, 0.9))),
    BlindedStratum(
        "weekend effect", "weekend days 0.5-1.5 points higher", _draw(weekly=(0.5, 1.5))
    ),
    BlindedStratum(
        "all at once",
        "t3, onset 5 and carry-over 7 days, whole numbers, missing runs, rho 0.2-0.9, weekend "
        "effect",
        _draw(
            rho=(0.2, 0.9),
            innovations=Innovations.STUDENT_T,
            onset_days=5.0,
            offset_days=7.0,
            missing=MISSING_RUNS,
            weekly=(0.5, 1.5),
        ),
    ),
)


def blinded_schedule(design: BlindedDesign, arms: Sequence[Arm], lead_in: int) -> Schedule:
    """The lead-in on LDN and the periods in allocation order, as a simulation schedule."""
    segments = [Segment("lead_in", lead_in, 1.0)]
    for number, arm in enumerate(arms, start=1):
        exposure = 1.0 if arm is Arm.ACTIVE else 0.0
        segments.append(Segment(f"{number}:{arm.value}", design.period_days, exposure))
    return Schedule(tuple(segments))


def analysed_arm_days(design: BlindedDesign, arms: Sequence[Arm], lead_in: int) -> dict[Arm, Array]:
    """Day indexes (from the lead-in's start) of the analysed days of each arm."""
    out: dict[Arm, list[int]] = {arm: [] for arm in design.arms}
    for index, arm in enumerate(arms):
        first = lead_in + index * design.period_days
        out[arm].extend(range(first + design.run_in_days, first + design.period_days))
    return {arm: np.array(days, dtype=np.intp) for arm, days in out.items()}


def true_effect(diary: Diary, design: BlindedDesign, arms: Sequence[Arm], lead_in: int) -> float:
    days = analysed_arm_days(design, arms, lead_in)
    return float(diary.expected[days[Arm.ACTIVE]].mean() - diary.expected[days[Arm.PLACEBO]].mean())


def observations_of(
    protocol: Protocol, diary: Diary, metric: str, lead_in: int
) -> list[Observation]:
    first = protocol.periods()[0].first - dt.timedelta(days=lead_in)
    return [
        Observation(first + dt.timedelta(days=int(day)), {metric: float(score)})
        for day, score in zip(diary.days, diary.scores, strict=True)
    ]


def naive_difference(
    diary: Diary, design: BlindedDesign, arms: Sequence[Arm], lead_in: int
) -> tuple[float, float, float]:
    """Difference of the arm means on the analysed days, with a Welch 95% interval."""
    days = analysed_arm_days(design, arms, lead_in)
    recorded = dict(zip(diary.days.astype(int).tolist(), diary.scores.tolist(), strict=True))
    a = np.array([recorded[d] for d in days[Arm.ACTIVE] if d in recorded])
    b = np.array([recorded[d] for d in days[Arm.PLACEBO] if d in recorded])
    diff = float(a.mean() - b.mean())
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = float(np.sqrt(va + vb))
    if se == 0:
        return diff, diff, diff
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(stats.t.ppf(0.975, dof)) * se
    return diff, diff - half, diff + half


def seeded_allocation(design: BlindedDesign, rng: np.random.Generator) -> Allocation:
    """An allocation drawn reproducibly for simulation (never for a real trial)."""
    return draw_allocation(
        design,
        source=random.Random(int(rng.integers(2**63))),  # noqa: S311 (simulation only)
        nonce=NONCE,
    )


def run_stratum(
    protocol: Protocol, stratum: BlindedStratum, trials: int, rng: np.random.Generator
) -> StratumResult:
    design = protocol.blinded
    if design is None:
        raise InvalidValue("validation of the blinded analysis needs a blinded protocol")
    if protocol.allocation_commitment is not None:
        raise InvalidValue("validate with a draft protocol that commits to no allocation")
    metric = protocol.primary_metric
    runs = []
    for _ in range(trials):
        allocation = seeded_allocation(design, rng)
        diary = simulate(
            blinded_schedule(design, allocation.arms, LEAD_IN_DAYS), stratum.draw(rng), rng
        )
        runs.append((allocation, diary))
    analyses = analyse_blinded_many(
        [(protocol, a, observations_of(protocol, d, metric, LEAD_IN_DAYS), None) for a, d in runs],
        metrics=[metric],
    )
    kept = [
        (a, d, r.metrics[0])
        for (a, d), r in zip(runs, analyses, strict=True)
        if r.metrics[0].interval is not None and r.metrics[0].effect_mean is not None
    ]
    truth = np.array([true_effect(d, design, a.arms, LEAD_IN_DAYS) for a, d, _ in kept])
    estimate = np.array([m.effect_mean for _, _, m in kept], dtype=float)
    interval = np.array([m.interval for _, _, m in kept], dtype=float)
    naive = np.array([naive_difference(d, design, a.arms, LEAD_IN_DAYS) for a, d, _ in kept])
    estimates = Estimates(truth, estimate, interval[:, 0], interval[:, 1], *naive.T)
    return summarise(stratum, estimates, trials - len(kept))


def validate_blinded(
    protocol: Protocol, *, trials: int, seed: int, strata: Sequence[BlindedStratum] = STRATA
) -> list[StratumResult]:
    """Every stratum with ``trials`` simulated trials, each from its own seeded stream."""
    return [
        run_stratum(protocol, stratum, trials, np.random.default_rng([seed, 7000 + number]))
        for number, stratum in enumerate(strata)
    ]
