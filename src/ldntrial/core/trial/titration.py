"""Titration: the dose steps of a trial, how they are planned and how they are adjusted.

A schedule is a list of dose steps (a dose and a timing from a date) that covers every day from
the first dose to the last day of the trial. Plans outside usual practice carry warnings that a
clinician must accept explicitly; plans beyond what has been studied, or impossible, are refused.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import pairwise

from ldntrial.core.doses import Dose, DoseInput
from ldntrial.core.errors import InvalidValue, PlanRefused, WarningsNotAccepted
from ldntrial.core.trial.drug import LdnProfile, Timing

ONE_DAY = dt.timedelta(days=1)


class StepReason(enum.Enum):
    START = "start"
    STEP_UP = "step_up"
    STEP_BACK = "step_back"
    RETRY = "retry"  # stepping up again after a step back
    TIMING_SWITCH = "timing_switch"
    CUSTOM = "custom"


@dataclass(frozen=True)
class DoseStep:
    """From ``start`` on, take ``dose`` once a day at ``timing``."""

    start: dt.date
    dose: Dose
    timing: Timing
    reason: StepReason = StepReason.CUSTOM


@dataclass(frozen=True)
class StepPeriod:
    """One dose step with the inclusive dates it covers in a schedule."""

    step: DoseStep
    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


class WarningCode(enum.Enum):
    """Ways a plan can depart from usual practice. The value is what a user types to accept it."""

    START_ABOVE_USUAL = "start-above-usual"
    START_BELOW_USUAL = "start-below-usual"
    TARGET_ABOVE_USUAL = "target-above-usual"
    STEPS_TOO_CLOSE = "steps-too-close"
    TARGET_NOT_REACHED = "target-not-reached"
    REASSESSMENT_OUTSIDE_WINDOW = "reassessment-outside-window"


@dataclass(frozen=True)
class PlanWarning:
    code: WarningCode
    message: str


@dataclass(frozen=True)
class TitrationSchedule:
    """Dose steps in date order, covering every day from the first step to ``end``."""

    steps: tuple[DoseStep, ...]
    end: dt.date

    def __post_init__(self) -> None:
        if not self.steps:
            raise InvalidValue("a schedule needs at least one dose step")
        for before, after in pairwise(self.steps):
            if after.start <= before.start:
                raise InvalidValue(
                    f"dose steps must be in date order: {after.start.isoformat()} comes after "
                    f"{before.start.isoformat()}"
                )
            if (after.dose, after.timing) == (before.dose, before.timing):
                raise InvalidValue(
                    f"the step on {after.start.isoformat()} repeats the dose and timing before "
                    "it: remove it"
                )
        if self.end < self.steps[-1].start:
            raise InvalidValue(
                f"the schedule ends on {self.end.isoformat()}, before its last step starts "
                f"({self.steps[-1].start.isoformat()})"
            )

    @property
    def first_day(self) -> dt.date:
        return self.steps[0].start

    @property
    def days(self) -> int:
        return (self.end - self.first_day).days + 1

    @property
    def start_dose(self) -> Dose:
        return self.steps[0].dose

    @property
    def highest_dose(self) -> Dose:
        return max(step.dose for step in self.steps)

    def periods(self) -> tuple[StepPeriod, ...]:
        lasts = [after.start - ONE_DAY for after in self.steps[1:]] + [self.end]
        return tuple(
            StepPeriod(step, step.start, last) for step, last in zip(self.steps, lasts, strict=True)
        )

    def step_on(self, day: dt.date) -> DoseStep | None:
        """The step in effect on ``day``, or None outside the schedule."""
        if not self.first_day <= day <= self.end:
            return None
        current = self.steps[0]
        for step in self.steps:
            if step.start > day:
                break
            current = step
        return current

    def daily(self) -> Iterator[tuple[dt.date, DoseStep]]:
        """Every day of the schedule with the step in effect."""
        for period in self.periods():
            day = period.first
            while day <= period.last:
                yield day, period.step
                day += ONE_DAY

    # Adjustments. Each returns a new schedule; the schedule itself never changes.

    def hold(self, on: dt.date, days: int) -> TitrationSchedule:
        """Stay on the dose in effect on ``on`` for ``days`` more days: later steps move later.

        Steps pushed past the end of the schedule are dropped.
        """
        self._require_inside(on, "hold")
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise InvalidValue(f"a hold lasts at least 1 day, not {days!r}")
        shift = dt.timedelta(days=days)
        moved = [replace(s, start=s.start + shift) if s.start > on else s for s in self.steps]
        return TitrationSchedule(tuple(s for s in moved if s.start <= self.end), self.end)

    def step_back(self, on: dt.date, *, retry_after_days: int | None = None) -> TitrationSchedule:
        """From ``on``, go back to the previous (lower) dose, for side effects.

        The later planned increases are cancelled. With ``retry_after_days`` they are kept
        instead: the dose that was stepped back from is tried again after that many days, and
        the increases after it follow with their planned spacing. Never goes below the first
        dose of the schedule.
        """
        current = self._require_inside(on, "step back")
        lower = sorted({s.dose for s in self.steps if s.start <= on and s.dose < current.dose})
        if not lower:
            raise PlanRefused(
                f"cannot step back on {on.isoformat()}: {current.dose} is already the lowest dose "
                "of this schedule; hold, switch timing or stop instead"
            )
        kept = [s for s in self.steps if s.start < on]
        kept.append(DoseStep(on, lower[-1], current.timing, StepReason.STEP_BACK))
        if retry_after_days is not None:
            if isinstance(retry_after_days, bool) or retry_after_days < 1:
                raise InvalidValue(f"retry after at least 1 day, not {retry_after_days!r}")
            later = [s for s in self.steps if s.start > on and s.dose > lower[-1]]
            retry_day = on + dt.timedelta(days=retry_after_days)
            kept.append(DoseStep(retry_day, current.dose, current.timing, StepReason.RETRY))
            # The increases after the retry keep the spacing they had after the current step.
            offset = retry_day - current.start
            kept.extend(replace(s, start=s.start + offset, reason=StepReason.RETRY) for s in later)
        return TitrationSchedule(_merge(s for s in kept if s.start <= self.end), self.end)

    def switch_timing(self, on: dt.date, timing: Timing) -> TitrationSchedule:
        """From ``on``, take every dose at ``timing`` (for example morning, for vivid dreams)."""
        current = self._require_inside(on, "switch timing")
        if (
            all(s.timing is timing for s in self.steps if s.start >= on)
            and current.timing is timing
        ):
            raise InvalidValue(
                f"doses are already taken in the {timing.value} from {on.isoformat()}"
            )
        before = [s for s in self.steps if s.start < on]
        after = [replace(s, timing=timing) for s in self.steps if s.start > on]
        at = DoseStep(on, current.dose, timing, StepReason.TIMING_SWITCH)
        return TitrationSchedule(_merge([*before, at, *after]), self.end)

    def _require_inside(self, on: dt.date, action: str) -> DoseStep:
        step = self.step_on(on)
        if step is None:
            raise InvalidValue(
                f"cannot {action} on {on.isoformat()}: the schedule runs from "
                f"{self.first_day.isoformat()} to {self.end.isoformat()}"
            )
        return step


def _merge(steps: Iterable[DoseStep]) -> tuple[DoseStep, ...]:
    """Drop steps that repeat the dose and timing of the step before them."""
    merged: list[DoseStep] = []
    for step in steps:
        if merged and (merged[-1].dose, merged[-1].timing) == (step.dose, step.timing):
            continue
        merged.append(step)
    return tuple(merged)


@dataclass(frozen=True)
class TitrationPlan:
    """Rules for a planned titration: start low, step up at a fixed interval to a target."""

    start_dose: Dose
    step_dose: Dose
    interval_days: int
    target_dose: Dose
    timing: Timing

    @classmethod
    def of(
        cls,
        *,
        start: DoseInput,
        step: DoseInput,
        interval_days: int,
        target: DoseInput,
        timing: Timing | str,
    ) -> TitrationPlan:
        """Build a plan from plain values, naming the value that is wrong when one is."""
        return cls(
            _dose(start, "start dose"),
            _dose(step, "step size"),
            interval_days,
            _dose(target, "target dose"),
            timing if isinstance(timing, Timing) else parse_timing(timing),
        )


def parse_timing(text: str) -> Timing:
    try:
        return Timing(text.strip().lower())
    except ValueError:
        raise InvalidValue(f"timing {text!r} is not known: use night or morning") from None


def _dose(value: DoseInput, what: str) -> Dose:
    try:
        return Dose(value)
    except InvalidValue as error:
        raise InvalidValue(f"{what}: {error}") from None


def plan_titration(
    plan: TitrationPlan, *, first_dose: dt.date, end: dt.date, profile: LdnProfile
) -> tuple[TitrationSchedule, tuple[PlanWarning, ...]]:
    """The schedule for ``plan`` from ``first_dose`` to ``end``, and its warnings.

    Refuses what is impossible or beyond what has been studied; warns about what is outside
    usual practice. Warnings are returned, not raised: see :func:`require_accepted`.
    """
    ceiling = profile.highest_studied
    for what, dose in (("start dose", plan.start_dose), ("target dose", plan.target_dose)):
        if dose > ceiling:
            raise PlanRefused(
                f"{what} {dose} is above the highest daily dose studied ({ceiling}): "
                f"the accepted range is more than 0 mg up to {ceiling}"
            )
    if plan.target_dose < plan.start_dose:
        raise PlanRefused(
            f"target dose {plan.target_dose} is below the start dose {plan.start_dose}: "
            "the target must be at least the start dose"
        )
    interval = plan.interval_days
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise PlanRefused(
            f"step interval {interval!r} days is not possible: use a whole number of days, "
            "at least 1"
        )
    if end < first_dose:
        raise PlanRefused(
            f"the trial ends on {end.isoformat()}, before the first dose ({first_dose.isoformat()})"
        )

    steps = [DoseStep(first_dose, plan.start_dose, plan.timing, StepReason.START)]
    amount = plan.start_dose.mg
    day = first_dose
    while amount < plan.target_dose.mg:
        amount = min(amount + plan.step_dose.mg, plan.target_dose.mg)
        day += dt.timedelta(days=interval)
        steps.append(DoseStep(day, Dose(amount), plan.timing, StepReason.STEP_UP))
    within = tuple(s for s in steps if s.start <= end)
    schedule = TitrationSchedule(within, end)

    warnings = list(review_schedule(schedule, profile))
    if len(within) < len(steps):
        reached = steps[-1].start
        warnings.append(
            PlanWarning(
                WarningCode.TARGET_NOT_REACHED,
                f"the target {plan.target_dose} would be reached on {reached.isoformat()}, "
                f"after the trial ends ({end.isoformat()}); the highest dose planned is "
                f"{schedule.highest_dose}",
            )
        )
    return schedule, tuple(warnings)


def custom_schedule(
    steps: Iterable[tuple[dt.date, DoseInput, Timing | str]], *, end: dt.date, profile: LdnProfile
) -> tuple[TitrationSchedule, tuple[PlanWarning, ...]]:
    """A fully custom schedule, checked by the same rules as a planned one."""
    built = []
    for start, dose, timing in sorted(steps, key=lambda item: item[0]):
        built.append(
            DoseStep(
                start,
                _dose(dose, f"dose from {start.isoformat()}"),
                timing if isinstance(timing, Timing) else parse_timing(timing),
                StepReason.CUSTOM,
            )
        )
    schedule = TitrationSchedule(tuple(built), end)
    return schedule, review_schedule(schedule, profile)


def review_schedule(schedule: TitrationSchedule, profile: LdnProfile) -> tuple[PlanWarning, ...]:
    """Check any schedule against usual practice. Refuses doses beyond what has been studied."""
    for step in schedule.steps:
        if step.dose > profile.highest_studied:
            raise PlanRefused(
                f"the dose from {step.start.isoformat()} ({step.dose}) is above the highest daily "
                f"dose studied ({profile.highest_studied}): the accepted range is more than 0 mg "
                f"up to {profile.highest_studied}"
            )
    warnings = []
    start = schedule.start_dose
    if start > profile.usual_start.high:
        warnings.append(
            PlanWarning(
                WarningCode.START_ABOVE_USUAL,
                f"start dose {start} is above the usual starting range ({profile.usual_start})",
            )
        )
    if start < profile.usual_start.low:
        warnings.append(
            PlanWarning(
                WarningCode.START_BELOW_USUAL,
                f"start dose {start} is below the usual starting range ({profile.usual_start})",
            )
        )
    if schedule.highest_dose > profile.usual_target:
        warnings.append(
            PlanWarning(
                WarningCode.TARGET_ABOVE_USUAL,
                f"the highest dose {schedule.highest_dose} is above the usual target "
                f"({profile.usual_target})",
            )
        )
    shortest = profile.shortest_usual_step_interval_days
    changes = [schedule.steps[0]]
    for step in schedule.steps[1:]:
        if step.dose != changes[-1].dose:
            changes.append(step)
    for before, after in pairwise(changes):
        gap = (after.start - before.start).days
        if gap < shortest:
            warnings.append(
                PlanWarning(
                    WarningCode.STEPS_TOO_CLOSE,
                    f"the dose changes on {after.start.isoformat()} only {gap} day(s) after the "
                    f"change before it; usual practice keeps at least {shortest} days between "
                    "dose changes",
                )
            )
            break
    return tuple(warnings)


def require_accepted(
    warnings: Iterable[PlanWarning], accepted: Iterable[WarningCode]
) -> tuple[PlanWarning, ...]:
    """Raise unless every warning's code was explicitly accepted; return the warnings."""
    warnings = tuple(warnings)
    allowed = set(accepted)
    open_ = [w for w in warnings if w.code not in allowed]
    if open_:
        raise WarningsNotAccepted([w.code.value for w in open_], [w.message for w in open_])
    return warnings


def parse_warning_code(text: str) -> WarningCode:
    try:
        return WarningCode(text.strip().lower())
    except ValueError:
        known = ", ".join(code.value for code in WarningCode)
        raise InvalidValue(f"unknown warning {text!r}: the warnings are {known}") from None
