"""Synthetic daily diaries with a known truth: for validating the analysis and planning designs.

A diary comes from a **schedule**: segments of days (baseline, titration, maintenance; later
placebo and active periods), each with the *planned exposure* (0 off the drug or on placebo,
1 at the full dose, a fraction for a lower dose). **Kinetics** turn the planned exposure into the
exposure acting on each day: at once, as a linear ramp over some days, or exponentially with a
time constant, on the way up (onset) and on the way down (carry-over). The true mean of a day is

    level + effect * exposure_t + drift * t + weekly_t

where the weekly pattern is a sinusoid of the given amplitude, or a weekend effect (two days in
seven higher by the amplitude, centred so that a week averages zero),

and the recorded score adds AR(1) noise (normal or Student-t innovations, with a fixed marginal
SD), is rounded and clipped to the 0-10 scale when asked, and loses days in runs of missing
days. Everything is pure and seeded: the same arguments and ``numpy.random.Generator`` state give
the same diary.

The **truth** a diary carries is the expected recorded score of each day (what the scale would
show on average), so that clipping at 0 or 10 is part of it: for Gaussian noise it is exact
(normal CDF sums); for Student-t noise the same formula uses a normal with the noise's marginal
SD, an approximation whose error is negligible away from 0 and 10.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import signal, special

Array = NDArray[np.float64]
SCALE_MAX = 10


@dataclass(frozen=True)
class Segment:
    label: str  # e.g. baseline, titration, maintenance, active, placebo
    days: int
    exposure: float  # planned exposure: 0 none, 1 full dose

    def __post_init__(self) -> None:
        if self.days < 0 or not 0 <= self.exposure <= 1:
            raise ValueError(f"segment {self.label}: days >= 0 and exposure 0..1 needed")


@dataclass(frozen=True)
class Schedule:
    """The planned phases or periods of a trial, day by day from day 0."""

    segments: tuple[Segment, ...]

    @classmethod
    def open_label(cls, baseline: int, titration: int, maintenance: int) -> Schedule:
        """Baseline off the drug, then titration and maintenance planned at full exposure (the
        effect then builds up with the onset kinetics from the first dose)."""
        return cls(
            (
                Segment("baseline", baseline, 0.0),
                Segment("titration", titration, 1.0),
                Segment("maintenance", maintenance, 1.0),
            )
        )

    @property
    def days(self) -> int:
        return sum(s.days for s in self.segments)

    def planned_exposure(self) -> Array:
        return np.concatenate([np.full(s.days, s.exposure) for s in self.segments])

    def labels(self) -> list[str]:
        return [s.label for s in self.segments for _ in range(s.days)]

    def days_of(self, label: str) -> NDArray[np.intp]:
        """Day indexes of every segment with this label."""
        mask = np.array([lab == label for lab in self.labels()])
        return np.flatnonzero(mask)


class Kinetics(enum.Enum):
    INSTANT = "instant"
    LINEAR = "linear"  # moves toward the planned exposure by at most 1/days per day
    EXPONENTIAL = "exponential"  # closes 1 - exp(-1/days) of the distance each day


@dataclass(frozen=True)
class Onset:
    """How the acting exposure follows the planned one: ``onset_days`` on the way up,
    ``offset_days`` on the way down (carry-over into a placebo period or after stopping)."""

    kinetics: Kinetics = Kinetics.INSTANT
    onset_days: float = 0.0
    offset_days: float = 0.0

    def acting(self, planned: Array) -> Array:
        if self.kinetics is Kinetics.INSTANT:
            return planned.astype(float)
        acting = np.zeros(len(planned))
        level = 0.0
        for t, target in enumerate(planned):
            span = self.onset_days if target >= level else self.offset_days
            if span <= 0:
                level = float(target)
            elif self.kinetics is Kinetics.LINEAR:
                move = 1.0 / span
                level = min(target, level + move) if target >= level else max(target, level - move)
            else:
                level += (1 - np.exp(-1 / span)) * (target - level)
            acting[t] = level
        return acting


class Weekly(enum.Enum):
    SINUSOID = "sinusoid"
    WEEKEND = "weekend"


class Innovations(enum.Enum):
    NORMAL = "normal"
    STUDENT_T = "student_t"


@dataclass(frozen=True)
class Noise:
    """AR(1) day-to-day noise with marginal SD ``sd`` and lag-1 autocorrelation ``rho``."""

    sd: float
    rho: float
    innovations: Innovations = Innovations.NORMAL
    dof: float = 3.0  # for Student-t innovations (scaled to the same variance)

    def draw(self, days: int, rng: np.random.Generator) -> Array:
        """``days`` values of the noise, starting in its stationary distribution."""
        if self.innovations is Innovations.NORMAL:
            shocks = rng.standard_normal(days)
        else:
            shocks = rng.standard_t(self.dof, days) * np.sqrt((self.dof - 2) / self.dof)
        shocks[1:] *= np.sqrt(1 - self.rho**2)  # innovations; the first value is marginal
        out: Array = signal.lfilter([self.sd], [1.0, -self.rho], shocks)
        return out


@dataclass(frozen=True)
class MissingRuns:
    """Each recorded day starts a run of 1..``longest`` missing days with ``chance``."""

    chance: float = 0.0
    longest: int = 1

    def keep(self, days: int, rng: np.random.Generator) -> Array:
        starts = rng.random(days) < self.chance
        runs = rng.integers(1, self.longest + 1, size=days)
        keep = np.ones(days, dtype=bool)
        t = 0
        while t < days:
            if starts[t]:
                keep[t : t + runs[t]] = False
                t += int(runs[t])
            t += 1
        return keep


@dataclass(frozen=True)
class Patient:
    """One synthetic patient's true process."""

    level: float  # true mean off the drug
    effect: float  # true full-exposure change in points (negative: lower scores)
    noise: Noise
    onset: Onset = field(default_factory=Onset)
    drift_per_day: float = 0.0
    weekly_amplitude: float = 0.0
    weekly_phase: float = 0.0  # days
    weekly_shape: Weekly = Weekly.WEEKEND
    whole_numbers: bool = True  # rounded and clipped to 0-10, as the diary records them
    missing: MissingRuns = field(default_factory=MissingRuns)


@dataclass(frozen=True, eq=False)
class Diary:
    """A simulated diary: the recorded days and scores, and each day's expected score."""

    schedule: Schedule
    days: Array  # recorded day indexes
    scores: Array  # recorded scores on those days
    expected: Array  # expected recorded score of every scheduled day (the truth)

    def change(self, before: str, after: str) -> float:
        """The true change in mean score from the ``before`` segments to the ``after`` ones,
        over all their scheduled days."""
        return float(
            self.expected[self.schedule.days_of(after)].mean()
            - self.expected[self.schedule.days_of(before)].mean()
        )


def simulate(schedule: Schedule, patient: Patient, rng: np.random.Generator) -> Diary:
    n = schedule.days
    t = np.arange(n, dtype=float)
    mean = (
        patient.level
        + patient.effect * patient.onset.acting(schedule.planned_exposure())
        + patient.drift_per_day * t
        + patient.weekly_amplitude * weekly_pattern(t + patient.weekly_phase, patient.weekly_shape)
    )
    values = mean + patient.noise.draw(n, rng)
    if patient.whole_numbers:
        values = np.clip(np.round(values), 0, SCALE_MAX)
        expected = expected_score(mean, patient.noise.sd)
    else:
        expected = mean
    keep = patient.missing.keep(n, rng)
    return Diary(schedule, np.flatnonzero(keep).astype(float), values[keep], expected)


def weekly_pattern(t: Array, shape: Weekly) -> Array:
    """A unit weekly pattern: a sinusoid, or weekend days 1 above weekdays, averaging 0."""
    if shape is Weekly.SINUSOID:
        out: Array = np.sin(2 * np.pi * t / 7)
        return out
    weekend = (np.floor(t) % 7 >= 5).astype(float)
    return weekend - 2 / 7


def expected_score(mean: Array, sd: float) -> Array:
    """E[clip(round(mean + u), 0, 10)] for u ~ N(0, sd^2): sum over k of P(score >= k)."""
    k = np.arange(1, SCALE_MAX + 1)[None, :]
    out: Array = special.ndtr((mean[:, None] - (k - 0.5)) / sd).sum(axis=1)
    return out


def phase_means(diary: Diary, labels: Sequence[str]) -> list[float | None]:
    """The observed mean score of each labelled segment (None when no day was recorded)."""
    day_labels = diary.schedule.labels()
    out: list[float | None] = []
    for label in labels:
        chosen = [
            s for d, s in zip(diary.days, diary.scores, strict=True) if day_labels[int(d)] == label
        ]
        out.append(float(np.mean(chosen)) if chosen else None)
    return out
