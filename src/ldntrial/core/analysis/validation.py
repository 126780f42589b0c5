"""Does the analysis hold on diaries it does not assume? Strata of misspecified diaries, and the
decision's operating characteristics.

Each **stratum** is a population of synthetic patients that breaks one assumption of the model
(heavy-tailed days, a weekly cycle, an effect that builds up, whole-number scores clipped at 0
and 10, runs of missing days, strong autocorrelation, a slow drift, a patient near the top or
bottom of the scale), or all of them at once. For each stratum :func:`validate` reports the
coverage of the 95% interval, the bias and RMSE of the change, and the interval width, beside
the plain difference of phase means (with a Welch interval). The truth is the change in the
expected recorded score from the baseline days to the maintenance days
(:meth:`~ldntrial.core.analysis.simulation.Diary.change`): in an open-label trial that change,
drift included, is what the analysis estimates (its label says so).

The bars (docs/validation.md): coverage 0.93-0.97 in every stratum, |bias| < 0.1 point, and an
RMSE no worse than the difference of phase means.

:func:`operating_characteristics` runs the protocol's decision rules on patients whose pain
truly falls by a given share, and counts continue / adjust / stop.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

from ldntrial.core.analysis.decision import Outcome, decide
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
from ldntrial.core.analysis.trial import Observation, analyse_trials
from ldntrial.core.trial.protocol import PhaseKind, Protocol, TitrationHandling

COVERAGE_BAND = (0.93, 0.97)
MAX_ABS_BIAS = 0.1
CHANGES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)


def schedule_of(protocol: Protocol) -> Schedule:
    """The protocol's phases as a simulation schedule: off the drug in the baseline, planned
    at full exposure from the first dose (the onset kinetics then shape the build-up)."""
    return Schedule(
        tuple(
            Segment(p.kind.value, p.days, 0.0 if p.kind is PhaseKind.BASELINE else 1.0)
            for p in protocol.phases()
        )
    )


PatientDraw = Callable[[np.random.Generator, float | None], Patient]


def _patient(
    rng: np.random.Generator,
    change: float | None,
    *,
    level: tuple[float, float] = (4.0, 8.0),
    rho: tuple[float, float] = (0.2, 0.8),
    innovations: Innovations = Innovations.NORMAL,
    weekly: tuple[float, float] = (0.0, 0.0),
    weekly_shape: Weekly = Weekly.WEEKEND,
    onset_days: Sequence[float] = (0.0,),
    whole_numbers: bool = True,
    missing: MissingRuns | None = None,
    drift: tuple[float, float] = (0.0, 0.0),
) -> Patient:
    """A patient of a stratum. ``change`` fixes the true relative fall (0.3 = 30%); None draws it
    from 0-50%."""
    mean_level = rng.uniform(*level)
    share = rng.uniform(0.0, 0.5) if change is None else change
    onset = float(rng.choice(np.asarray(onset_days)))
    return Patient(
        level=mean_level,
        effect=-share * mean_level,
        noise=Noise(rng.uniform(0.8, 1.5), rng.uniform(*rho), innovations),
        onset=Onset(Kinetics.LINEAR, onset, onset) if onset else Onset(),
        drift_per_day=rng.uniform(*drift),
        weekly_amplitude=rng.uniform(*weekly),
        weekly_phase=float(rng.integers(0, 7)),
        weekly_shape=weekly_shape,
        whole_numbers=whole_numbers,
        missing=missing or MissingRuns(),
    )


def _stratum(**options: object) -> PatientDraw:
    def draw(rng: np.random.Generator, change: float | None) -> Patient:
        return _patient(rng, change, **options)  # type: ignore[arg-type]

    return draw


MISSING_RUNS = MissingRuns(chance=0.06, longest=4)  # about 13% of days, in runs of 1-4


@dataclass(frozen=True)
class Stratum:
    name: str
    description: str
    draw: PatientDraw


STRATA: tuple[Stratum, ...] = (
    Stratum(
        "reference",
        "the model's own world: Gaussian AR(1), rho 0.2-0.8, continuous scores",
        _stratum(whole_numbers=False),
    ),
    Stratum(
        "heavy tails (t3)",
        "Student-t innovations with 3 df",
        _stratum(innovations=Innovations.STUDENT_T),
    ),
    Stratum(
        "weekend effect",
        "weekend days 0.5-1.5 points above weekdays",
        _stratum(weekly=(0.5, 1.5)),
    ),
    Stratum(
        "weekly sinusoid",
        "a 7-day sinusoid of amplitude 0.5-1.5",
        _stratum(weekly=(0.5, 1.5), weekly_shape=Weekly.SINUSOID),
    ),
    Stratum("onset 1 day", "the effect builds up over 1 day", _stratum(onset_days=(1.0,))),
    Stratum("onset 7 days", "the effect builds up over 7 days", _stratum(onset_days=(7.0,))),
    Stratum("onset 21 days", "the effect builds up over 21 days", _stratum(onset_days=(21.0,))),
    Stratum(
        "whole numbers 0-10",
        "scores rounded and clipped to 0-10 (as in every stratum below)",
        _stratum(),
    ),
    Stratum(
        "missing runs", "about 13% of days missing, in runs of 1-4", _stratum(missing=MISSING_RUNS)
    ),
    Stratum("autocorrelation 0.9", "rho 0.9", _stratum(rho=(0.9, 0.9))),
    Stratum(
        "slow drift",
        "the level falls 1 point over 100 days regardless of the drug",
        _stratum(drift=(-0.01, -0.01)),
    ),
    Stratum(
        "ceiling (baseline 8.5-9.5)",
        "whole numbers near the top of the scale",
        _stratum(level=(8.5, 9.5)),
    ),
    Stratum(
        "floor (baseline 0.5-1.5)",
        "whole numbers near the bottom of the scale",
        _stratum(level=(0.5, 1.5)),
    ),
    Stratum(
        "all at once",
        "t3, weekly cycle, onset 1/7/21 days, whole numbers, missing runs, rho 0.2-0.9, "
        "drift of up to 1 point either way",
        _stratum(
            level=(3.0, 8.0),
            rho=(0.2, 0.9),
            innovations=Innovations.STUDENT_T,
            weekly=(0.5, 1.5),
            onset_days=(1.0, 7.0, 21.0),
            missing=MISSING_RUNS,
            drift=(-0.01, 0.01),
        ),
    ),
)


def observations_of(protocol: Protocol, diary: Diary, metric: str) -> list[Observation]:
    """A simulated diary as the observations of one metric, doses taken from the first dose."""
    first_dose = (protocol.first_dose_date - protocol.start_date).days
    return [
        Observation(
            protocol.start_date + dt.timedelta(days=int(day)),
            {metric: float(score)},
            dose_taken=True if day >= first_dose else None,
        )
        for day, score in zip(diary.days, diary.scores, strict=True)
    ]


@dataclass(frozen=True)
class Estimates:
    """One stratum's results, one entry per trial."""

    truth: Array
    estimate: Array
    low: Array
    high: Array
    naive: Array
    naive_low: Array
    naive_high: Array


@dataclass(frozen=True)
class StratumResult:
    name: str
    description: str
    trials: int
    coverage: float
    bias: float
    rmse: float
    width: float
    naive_coverage: float
    naive_bias: float
    naive_rmse: float
    naive_width: float
    bias_se: float  # Monte-Carlo SE of the bias
    rmse_excess_se: float  # Monte-Carlo SE of mean(sq. error) minus the naive one, paired
    not_analysed: int = 0  # diaries the analysis called insufficient (no variation at all)

    @property
    def coverage_se(self) -> float:
        """The binomial Monte-Carlo SE of a coverage of 0.95 from this many trials."""
        return float(np.sqrt(0.95 * 0.05 / self.trials))

    def failures(self, *, coverage_slack: float = 0.0, rmse_z: float = 2.0) -> list[str]:
        """The bars this stratum misses. ``coverage_slack`` widens the coverage band for runs
        with few trials, and ``rmse_z`` is how many SEs of the paired difference of squared
        errors count as "worse than the difference of means" (see
        tests/core/analysis/test_validation.py for how both are set)."""
        low, high = COVERAGE_BAND
        out = []
        if not low - coverage_slack <= self.coverage <= high + coverage_slack:
            out.append(f"coverage {self.coverage:.3f} outside {low}-{high}")
        if abs(self.bias) >= MAX_ABS_BIAS:
            out.append(f"bias {self.bias:+.3f}")
        excess = self.rmse**2 - self.naive_rmse**2
        if excess > rmse_z * self.rmse_excess_se:  # worse than the naive one beyond MC noise
            out.append(
                f"RMSE {self.rmse:.3f} worse than the difference of means {self.naive_rmse:.3f}"
            )
        return out


def run_stratum(
    protocol: Protocol, stratum: Stratum, trials: int, rng: np.random.Generator
) -> tuple[StratumResult, Estimates]:
    schedule = schedule_of(protocol)
    metric = protocol.primary_metric
    simulated = [simulate(schedule, stratum.draw(rng, None), rng) for _ in range(trials)]
    analysed = analyse_trials([(protocol, observations_of(protocol, d, metric)) for d in simulated])
    # A diary whose score never varies within a phase (possible at the floor) gets no interval,
    # only "insufficient": it is counted, and left out of both estimators' figures.
    pairs = [
        (d, a.primary)
        for d, a in zip(simulated, analysed, strict=True)
        if a.primary.effect_mean is not None and a.primary.interval is not None
    ]
    truth = np.array([d.change("baseline", "maintenance") for d, _ in pairs])
    estimate = np.array([r.effect_mean for _, r in pairs], dtype=float)
    intervals = np.array([r.interval for _, r in pairs], dtype=float)
    naive = np.array([_difference_of_means(protocol, d) for d, _ in pairs])
    estimates = Estimates(truth, estimate, intervals[:, 0], intervals[:, 1], *naive.T)
    return summarise(stratum, estimates, trials - len(pairs)), estimates


def _difference_of_means(protocol: Protocol, diary: Diary) -> tuple[float, float, float]:
    """The naive estimator on the days the analysis uses, with a Welch 95% interval."""
    labels = diary.schedule.labels()
    run_in = protocol.analysis_settings.run_in_days
    first_dose = (protocol.first_dose_date - protocol.start_date).days
    base = [
        s for d, s in zip(diary.days, diary.scores, strict=True) if labels[int(d)] == "baseline"
    ]
    maint = [
        s
        for d, s in zip(diary.days, diary.scores, strict=True)
        if labels[int(d)] == "maintenance" and d >= first_dose + run_in
    ]
    a, b = np.asarray(base), np.asarray(maint)
    diff = float(b.mean() - a.mean())
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = float(np.sqrt(va + vb))
    if se == 0:
        return diff, diff, diff
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(stats.t.ppf(0.975, dof)) * se
    return diff, diff - half, diff + half


class Named(typing.Protocol):
    """A stratum as the summary needs it (open-label and blinded strata alike)."""

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...


def summarise(stratum: Named, e: Estimates, not_analysed: int) -> StratumResult:
    n = len(e.truth)
    error, naive_error = e.estimate - e.truth, e.naive - e.truth
    excess = error**2 - naive_error**2
    return StratumResult(
        name=stratum.name,
        description=stratum.description,
        trials=n,
        coverage=float(np.mean((e.low <= e.truth) & (e.truth <= e.high))),
        bias=float(error.mean()),
        rmse=float(np.sqrt(np.mean(error**2))),
        width=float(np.mean(e.high - e.low)),
        naive_coverage=float(np.mean((e.naive_low <= e.truth) & (e.truth <= e.naive_high))),
        naive_bias=float(naive_error.mean()),
        naive_rmse=float(np.sqrt(np.mean(naive_error**2))),
        naive_width=float(np.mean(e.naive_high - e.naive_low)),
        bias_se=float(error.std(ddof=1) / np.sqrt(n)),
        rmse_excess_se=float(excess.std(ddof=1) / np.sqrt(n)),
        not_analysed=not_analysed,
    )


def validate(
    protocol: Protocol, *, trials: int, seed: int, strata: Sequence[Stratum] = STRATA
) -> list[StratumResult]:
    """Every stratum with ``trials`` simulated trials, each stratum from its own seeded stream."""
    out = []
    for number, stratum in enumerate(strata):
        rng = np.random.default_rng([seed, number])
        out.append(run_stratum(protocol, stratum, trials, rng)[0])
    return out


REALISTIC = Stratum(
    "realistic diaries",
    "baseline 4-8, t3 innovations, weekend effect, onset 1/7/21 days, whole numbers 0-10, "
    "missing runs, rho 0.2-0.9, no drift",
    _stratum(
        rho=(0.2, 0.9),
        innovations=Innovations.STUDENT_T,
        weekly=(0.5, 1.5),
        onset_days=(1.0, 7.0, 21.0),
        missing=MISSING_RUNS,
    ),
)


@dataclass(frozen=True)
class OperatingRow:
    change: float  # true relative fall of the primary metric
    trials: int
    shares: dict[Outcome, float]
    rules: dict[str, float]  # share of trials by the rule that fired


def operating_characteristics(
    protocol: Protocol,
    *,
    trials: int,
    seed: int,
    population: Stratum | None = None,
    changes: Sequence[float] = CHANGES,
) -> list[OperatingRow]:
    """The decision the protocol's rules suggest, for patients whose primary metric truly falls
    by each share in ``changes``; patients are drawn from ``population`` (default: realistic
    diaries without drift, so that the true change is the drug's). Adherence is full and no
    side effects are reported."""
    chosen = population or REALISTIC
    schedule = schedule_of(protocol)
    metric = protocol.primary_metric
    rows = []
    for number, change in enumerate(changes):
        rng = np.random.default_rng([seed, 1000 + number])
        diaries = [simulate(schedule, chosen.draw(rng, change), rng) for _ in range(trials)]
        observations = [observations_of(protocol, d, metric) for d in diaries]
        analyses = analyse_trials([(protocol, rows) for rows in observations])
        decisions = [decide(a, rows) for a, rows in zip(analyses, observations, strict=True)]
        shares = {o: sum(d.outcome is o for d in decisions) / trials for o in Outcome}
        rules: dict[str, float] = {}
        for d in decisions:
            rules[d.rule.value] = rules.get(d.rule.value, 0.0) + 1 / trials
        rows.append(OperatingRow(change, trials, shares, dict(sorted(rules.items()))))
    return rows


def with_titration(protocol: Protocol, handling: TitrationHandling) -> Protocol:
    """The same protocol analysed with titration days excluded or modelled (for comparisons)."""
    return replace(protocol, analysis=replace(protocol.analysis_settings, titration=handling))
