"""A blinded n-of-1 trial period by period, once unblinded: what each period's diary shows, and a
descriptive look at carry-over and onset in the run-in days.

CENT 2015 asks for the results of each period (item 17a) and for any assessment of carry-over
(items 12 and 18): Vohra et al., "CONSORT extension for reporting N-of-1 trials (CENT) 2015
Statement", BMJ 2015;350:h1738, with its explanation and elaboration, Shamseer et al., BMJ
2015;350:h1793.

**Per period**: the diary days recorded in each period, those analysed (after the run-in), and
the observed mean of a metric on the run-in days and on the analysed days.

**Carry-over and onset** (descriptive, not a test): the analysis leaves the run-in days out
because LDN's effect may take days to come and to go. Had its effect carried over into a
period without LDN, that period's run-in days would score better than its analysed days; had it
been slow to come, an LDN period's run-in days would score worse than its analysed days. The
first period follows the open titration, on LDN. With a handful of periods these means cannot
prove or exclude either; they show whether the run-in was long enough for this patient's diary.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ldntrial.core.analysis.trial import Observation
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.blinded import Arm, BlindedPeriod
from ldntrial.core.trial.instruments import Direction, Metric
from ldntrial.core.trial.protocol import Protocol
from ldntrial.core.trial.randomisation import Allocation


@dataclass(frozen=True)
class PeriodSummary:
    period: BlindedPeriod
    arm: Arm
    kit: int | None  # None for a period without capsules
    recorded_days: int  # days in the period with the metric recorded
    analysed_days: int  # of which after the run-in
    run_in_mean: float | None
    analysed_mean: float | None


@dataclass(frozen=True)
class RunInContrast:
    """Pooled run-in and analysed days of the periods of one kind (e.g. without LDN after LDN)."""

    numbers: tuple[int, ...]  # the periods pooled
    run_in_days: int
    analysed_days: int
    run_in_mean: float | None
    analysed_mean: float | None

    @property
    def periods(self) -> int:
        return len(self.numbers)

    @property
    def difference(self) -> float | None:
        """Run-in minus analysed mean."""
        if self.run_in_mean is None or self.analysed_mean is None:
            return None
        return self.run_in_mean - self.analysed_mean


@dataclass(frozen=True)
class CarryOverCheck:
    after_ldn: RunInContrast  # periods without LDN that follow LDN (carry-over)
    ldn_after_none: RunInContrast  # LDN periods that follow a period without LDN (onset)
    summary: str


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def period_summaries(
    protocol: Protocol, allocation: Allocation, observations: Iterable[Observation], metric: str
) -> tuple[PeriodSummary, ...]:
    if protocol.blinded is None or allocation.design != protocol.blinded:
        raise InvalidValue("period summaries need a blinded protocol and its own allocation")
    rows = [o for o in observations if metric in o.values]
    out = []
    for period in protocol.periods():
        run_in = [o.values[metric] for o in rows if period.first <= o.day < period.first_analysed]
        analysed = [o.values[metric] for o in rows if period.first_analysed <= o.day <= period.last]
        out.append(
            PeriodSummary(
                period=period,
                arm=allocation.arm_of_period(period.number),
                kit=allocation.kit_of_period(period.number),
                recorded_days=len(run_in) + len(analysed),
                analysed_days=len(analysed),
                run_in_mean=_mean(run_in),
                analysed_mean=_mean(analysed),
            )
        )
    return tuple(out)


def _pooled(chosen: list[PeriodSummary]) -> RunInContrast:
    run_in_days = sum(s.recorded_days - s.analysed_days for s in chosen)
    analysed_days = sum(s.analysed_days for s in chosen)
    run_in_total = sum((s.run_in_mean or 0.0) * (s.recorded_days - s.analysed_days) for s in chosen)
    analysed_total = sum((s.analysed_mean or 0.0) * s.analysed_days for s in chosen)
    return RunInContrast(
        numbers=tuple(s.period.number for s in chosen),
        run_in_days=run_in_days,
        analysed_days=analysed_days,
        run_in_mean=run_in_total / run_in_days if run_in_days else None,
        analysed_mean=analysed_total / analysed_days if analysed_days else None,
    )


def carry_over_check(summaries: tuple[PeriodSummary, ...], metric: Metric) -> CarryOverCheck:
    """Run-in against analysed days where carry-over or a slow onset would show."""
    after_ldn, ldn_after_none = [], []
    previous = Arm.ACTIVE  # the open titration, at the tolerated dose
    for s in summaries:
        if s.arm is not Arm.ACTIVE and previous is Arm.ACTIVE:
            after_ldn.append(s)
        if s.arm is Arm.ACTIVE and previous is not Arm.ACTIVE:
            ldn_after_none.append(s)
        previous = s.arm
    carry, onset = _pooled(after_ldn), _pooled(ldn_after_none)
    better = "lower" if metric.better is Direction.LOWER else "higher"
    worse = "higher" if metric.better is Direction.LOWER else "lower"
    label = metric.label.lower()

    def said(c: RunInContrast, what: str) -> str:
        if c.run_in_mean is None or c.analysed_mean is None:
            return f"{what}: too few recorded days to compare"
        return (
            f"{what} ({c.periods}): {label} averaged {c.run_in_mean:.1f} on the run-in days and "
            f"{c.analysed_mean:.1f} afterwards"
        )

    summary = (
        f"{said(carry, 'Periods without LDN that followed LDN')}; "
        f"{said(onset, 'LDN periods that followed a period without LDN')}. A carry-over of "
        f"LDN's effect would show as {better} scores in the run-in of the first kind, a slow "
        f"onset as {worse} scores in the run-in of the second; the run-in days are left out of "
        "the comparison either way. This is descriptive: a few periods cannot test it."
    )
    return CarryOverCheck(carry, onset, summary)
