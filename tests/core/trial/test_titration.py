"""Titration planner: one named test per clinical rule, then properties over many plans."""

import datetime as dt
from collections.abc import Iterable
from typing import TypedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ldntrial.core.doses import Dose, DoseInput
from ldntrial.core.errors import InvalidValue, PlanRefused, WarningsNotAccepted
from ldntrial.core.trial.drug import LdnProfile, Timing
from ldntrial.core.trial.titration import (
    DoseStep,
    PlanWarning,
    StepReason,
    TitrationPlan,
    TitrationSchedule,
    WarningCode,
    custom_schedule,
    plan_titration,
    require_accepted,
)

FIRST = dt.date(2026, 12, 12)
END = FIRST + dt.timedelta(weeks=12)


def plan(
    profile: LdnProfile,
    *,
    start: DoseInput = 1.5,
    step: DoseInput = 1.5,
    interval: int = 14,
    target: DoseInput = 4.5,
    timing: Timing | str = "night",
    end: dt.date = END,
) -> tuple[TitrationSchedule, tuple[PlanWarning, ...]]:
    return plan_titration(
        TitrationPlan.of(
            start=start, step=step, interval_days=interval, target=target, timing=timing
        ),
        first_dose=FIRST,
        end=end,
        profile=profile,
    )


def doses(schedule: TitrationSchedule) -> list[tuple[dt.date, str, str]]:
    return [(s.start, s.dose.text, s.timing.value) for s in schedule.steps]


def codes(warnings: Iterable[PlanWarning]) -> set[WarningCode]:
    return {w.code for w in warnings}


def dose_on(schedule: TitrationSchedule, day: dt.date) -> Dose:
    step = schedule.step_on(day)
    assert step is not None, f"no dose is planned on {day}"
    return step.dose


# The usual regimen.


def test_the_usual_plan_steps_1_5_mg_every_two_weeks_to_4_5_mg(profile):
    schedule, warnings = plan(profile)
    assert doses(schedule) == [
        (dt.date(2026, 12, 12), "1.5", "night"),
        (dt.date(2026, 12, 26), "3", "night"),
        (dt.date(2027, 1, 9), "4.5", "night"),
    ]
    assert warnings == ()
    assert [s.reason for s in schedule.steps] == [
        StepReason.START,
        StepReason.STEP_UP,
        StepReason.STEP_UP,
    ]


def test_the_last_step_is_capped_at_the_target(profile):
    schedule, _ = plan(profile, start=0.5, step=1, interval=7, target=3)
    assert [s.dose.text for s in schedule.steps] == ["0.5", "1.5", "2.5", "3"]


def test_a_start_at_the_target_is_a_single_step(profile):
    schedule, _ = plan(profile, start=1.5, step=1.5, target=1.5)
    assert doses(schedule) == [(FIRST, "1.5", "night")]


def test_morning_dosing_is_planned_without_warning(profile):
    schedule, warnings = plan(profile, timing="morning")
    assert {s.timing for s in schedule.steps} == {Timing.MORNING}
    assert warnings == ()


# Outside usual practice: warnings that must be accepted explicitly.


def test_a_start_above_1_5_mg_is_a_warning_that_must_be_accepted(profile):
    _, warnings = plan(profile, start=3, step=1.5)
    assert codes(warnings) == {WarningCode.START_ABOVE_USUAL}
    with pytest.raises(
        WarningsNotAccepted,
        match=r"start dose 3 mg is above the usual starting range \(0.5–1.5 mg\)",
    ) as refused:
        require_accepted(warnings, [])
    assert refused.value.codes == ["start-above-usual"]
    assert require_accepted(warnings, [WarningCode.START_ABOVE_USUAL]) == warnings


def test_a_start_below_0_5_mg_is_a_warning(profile):
    _, warnings = plan(profile, start=0.25, step=0.25, interval=7, target=1)
    assert codes(warnings) == {WarningCode.START_BELOW_USUAL}


def test_a_target_above_4_5_mg_is_a_warning(profile):
    _, warnings = plan(profile, target=6)
    assert codes(warnings) == {WarningCode.TARGET_ABOVE_USUAL}
    assert "the highest dose 6 mg is above the usual target (4.5 mg)" in warnings[0].message


def test_steps_closer_than_3_days_are_a_warning(profile):
    _, warnings = plan(profile, interval=2)
    assert codes(warnings) == {WarningCode.STEPS_TOO_CLOSE}
    assert "only 2 day(s) after" in warnings[0].message


def test_steps_3_days_apart_are_accepted_without_warning(profile):
    _, warnings = plan(profile, interval=3)
    assert warnings == ()


def test_a_target_reached_after_the_trial_ends_is_a_warning(profile):
    schedule, warnings = plan(profile, start=0.5, step=0.5, interval=14, target=4.5)
    assert codes(warnings) == {WarningCode.TARGET_NOT_REACHED}
    assert schedule.highest_dose < Dose(4.5)
    assert all(s.start <= END for s in schedule.steps)


def test_every_unaccepted_warning_is_named_in_one_message(profile):
    _, warnings = plan(profile, start=3, step=3, interval=2, target=6)
    with pytest.raises(WarningsNotAccepted) as refused:
        require_accepted(warnings, [WarningCode.STEPS_TOO_CLOSE])
    assert refused.value.codes == ["start-above-usual", "target-above-usual"]


# Beyond what has been studied, or impossible: refused, naming the value and the range.


def test_a_target_above_the_highest_dose_studied_is_refused(profile):
    with pytest.raises(
        PlanRefused,
        match=r"target dose 7 mg is above the highest daily dose "
        r"studied \(6 mg\): the accepted range is more than 0 mg up to 6 mg",
    ):
        plan(profile, target=7)


def test_a_start_above_the_highest_dose_studied_is_refused(profile):
    with pytest.raises(PlanRefused, match="start dose 8 mg is above the highest daily dose"):
        plan(profile, start=8, target=8)


def test_a_target_below_the_start_dose_is_refused(profile):
    with pytest.raises(PlanRefused, match=r"target dose 1 mg is below the start dose 1\.5 mg"):
        plan(profile, target=1)


@pytest.mark.parametrize("interval", [0, -7])
def test_a_step_interval_under_one_day_is_refused(profile, interval):
    with pytest.raises(PlanRefused, match=f"step interval {interval} days is not possible"):
        plan(profile, interval=interval)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("start", 0, "start dose: dose 0 mg is not possible"),
        ("step", -1, "step size: dose -1 mg is not possible"),
        ("target", "lots", "target dose: dose 'lots' is not a number"),
        ("timing", "noon", "timing 'noon' is not known: use night or morning"),
    ],
)
def test_an_impossible_plan_value_is_named(profile, field, value, message):
    with pytest.raises(InvalidValue, match=message):
        plan(profile, **{field: value})


def test_a_trial_ending_before_the_first_dose_is_refused(profile):
    with pytest.raises(PlanRefused, match="before the first dose"):
        plan(profile, end=FIRST - dt.timedelta(days=1))


# Adjusting a schedule.


def test_holding_a_step_moves_every_later_step(profile):
    schedule, _ = plan(profile)
    held = schedule.hold(dt.date(2026, 12, 20), days=7)
    assert doses(held) == [
        (dt.date(2026, 12, 12), "1.5", "night"),
        (dt.date(2027, 1, 2), "3", "night"),
        (dt.date(2027, 1, 16), "4.5", "night"),
    ]
    assert held.end == schedule.end


def test_a_hold_that_pushes_steps_past_the_end_drops_them(profile):
    schedule, _ = plan(profile)
    held = schedule.hold(dt.date(2026, 12, 12), days=80)
    assert [s.dose.text for s in held.steps] == ["1.5"]


def test_stepping_back_for_side_effects_returns_to_the_previous_dose(profile):
    schedule, _ = plan(profile)
    back = schedule.step_back(dt.date(2027, 1, 12))
    assert doses(back) == [
        (dt.date(2026, 12, 12), "1.5", "night"),
        (dt.date(2026, 12, 26), "3", "night"),
        (dt.date(2027, 1, 9), "4.5", "night"),  # taken from 9 to 11 January
        (dt.date(2027, 1, 12), "3", "night"),
    ]
    assert back.steps[-1].reason is StepReason.STEP_BACK
    assert dose_on(back, END) == Dose(3)


def test_stepping_back_cancels_later_increases(profile):
    schedule, _ = plan(profile)
    back = schedule.step_back(dt.date(2026, 12, 30))
    assert doses(back) == [
        (dt.date(2026, 12, 12), "1.5", "night"),
        (dt.date(2026, 12, 26), "3", "night"),
        (dt.date(2026, 12, 30), "1.5", "night"),
    ]
    assert [s.reason for s in back.steps] == [
        StepReason.START,
        StepReason.STEP_UP,
        StepReason.STEP_BACK,
    ]
    assert dose_on(back, END) == Dose(1.5)


def test_a_step_back_can_retry_the_dose_later_keeping_the_spacing(profile):
    schedule, _ = plan(profile)
    back = schedule.step_back(dt.date(2026, 12, 30), retry_after_days=7)
    assert doses(back) == [
        (dt.date(2026, 12, 12), "1.5", "night"),
        (dt.date(2026, 12, 26), "3", "night"),
        (dt.date(2026, 12, 30), "1.5", "night"),
        (dt.date(2027, 1, 6), "3", "night"),
        (dt.date(2027, 1, 20), "4.5", "night"),  # 14 days after the retry, as planned
    ]
    assert [s.reason for s in back.steps[3:]] == [StepReason.RETRY, StepReason.RETRY]


def test_there_is_no_step_back_below_the_start_dose(profile):
    schedule, _ = plan(profile)
    with pytest.raises(PlanRefused, match=r"1\.5 mg is already the lowest dose of this schedule"):
        schedule.step_back(dt.date(2026, 12, 15))


def test_switching_to_morning_dosing_applies_from_that_day_on(profile):
    schedule, _ = plan(profile)
    switched = schedule.switch_timing(dt.date(2026, 12, 20), Timing.MORNING)
    assert doses(switched) == [
        (dt.date(2026, 12, 12), "1.5", "night"),
        (dt.date(2026, 12, 20), "1.5", "morning"),
        (dt.date(2026, 12, 26), "3", "morning"),
        (dt.date(2027, 1, 9), "4.5", "morning"),
    ]
    assert switched.steps[1].reason is StepReason.TIMING_SWITCH


def test_switching_to_the_timing_already_in_use_is_refused(profile):
    schedule, _ = plan(profile)
    with pytest.raises(InvalidValue, match="already taken in the night"):
        schedule.switch_timing(dt.date(2026, 12, 20), Timing.NIGHT)


@pytest.mark.parametrize(
    "action",
    [
        lambda s: s.hold(dt.date(2026, 1, 1), 3),
        lambda s: s.step_back(dt.date(2030, 1, 1)),
        lambda s: s.switch_timing(FIRST - dt.timedelta(days=1), Timing.MORNING),
    ],
)
def test_adjustments_outside_the_schedule_are_refused(profile, action):
    schedule, _ = plan(profile)
    with pytest.raises(InvalidValue, match="the schedule runs from 2026-12-12 to 2027-03-06"):
        action(schedule)


# Custom schedules, checked by the same rules.


def test_a_custom_schedule_is_kept_as_given(profile):
    schedule, warnings = custom_schedule(
        [(FIRST, "1", "night"), (FIRST + dt.timedelta(days=10), "2", "morning")],
        end=END,
        profile=profile,
    )
    assert doses(schedule) == [
        (FIRST, "1", "night"),
        (FIRST + dt.timedelta(days=10), "2", "morning"),
    ]
    assert warnings == ()


def test_a_custom_schedule_beyond_the_studied_dose_is_refused(profile):
    with pytest.raises(PlanRefused, match=r"\(9 mg\) is above the highest daily dose studied"):
        custom_schedule(
            [(FIRST, "1.5", "night"), (FIRST + dt.timedelta(days=14), 9, "night")],
            end=END,
            profile=profile,
        )


def test_a_custom_schedule_gets_the_same_warnings(profile):
    _, warnings = custom_schedule(
        [(FIRST, 2, "night"), (FIRST + dt.timedelta(days=1), 5, "night")], end=END, profile=profile
    )
    assert codes(warnings) == {
        WarningCode.START_ABOVE_USUAL,
        WarningCode.TARGET_ABOVE_USUAL,
        WarningCode.STEPS_TOO_CLOSE,
    }


def test_a_schedule_refuses_steps_out_of_order_repeated_or_past_its_end():
    one = DoseStep(FIRST, Dose(1.5), Timing.NIGHT)
    with pytest.raises(InvalidValue, match="at least one dose step"):
        TitrationSchedule((), END)
    with pytest.raises(InvalidValue, match="in date order"):
        TitrationSchedule((one, DoseStep(FIRST, Dose(3), Timing.NIGHT)), END)
    with pytest.raises(InvalidValue, match="repeats the dose and timing"):
        TitrationSchedule(
            (one, DoseStep(FIRST + dt.timedelta(days=3), Dose(1.5), Timing.NIGHT)), END
        )
    with pytest.raises(InvalidValue, match="before its last step starts"):
        TitrationSchedule((one,), FIRST - dt.timedelta(days=1))


# Properties over many plans.


class DrawnPlan(TypedDict):
    start: str
    step: str
    interval: int
    target: str
    weeks: int


plans = st.builds(
    DrawnPlan,
    start=st.sampled_from(["0.5", "0.75", "1", "1.5", "2", "3"]),
    step=st.sampled_from(["0.25", "0.5", "0.75", "1", "1.5", "3"]),
    interval=st.integers(min_value=1, max_value=28),
    target=st.sampled_from(["1", "1.5", "3", "4.5", "6"]),
    weeks=st.integers(min_value=1, max_value=16),
)


def _planned(
    profile: LdnProfile, p: DrawnPlan
) -> tuple[tuple[TitrationSchedule, tuple[PlanWarning, ...]], Dose, dt.date]:
    if Dose(p["target"]) < Dose(p["start"]):
        p = {**p, "target": p["start"]}
    end = FIRST + dt.timedelta(weeks=p["weeks"])
    return (
        plan(
            profile,
            start=p["start"],
            step=p["step"],
            interval=p["interval"],
            target=p["target"],
            end=end,
        ),
        Dose(p["target"]),
        end,
    )


@settings(max_examples=200, deadline=None)
@given(p=plans)
def test_dates_strictly_increase_and_doses_never_pass_the_target(profile, p):
    (schedule, _), target, _ = _planned(profile, p)
    starts = [s.start for s in schedule.steps]
    assert starts == sorted(set(starts))
    assert schedule.highest_dose <= target <= profile.highest_studied


@settings(max_examples=200, deadline=None)
@given(p=plans)
def test_the_schedule_covers_every_day_of_the_trial(profile, p):
    (schedule, _), _, end = _planned(profile, p)
    days = [day for day, _ in schedule.daily()]
    assert days[0] == FIRST
    assert days[-1] == end
    assert len(days) == len(set(days)) == (end - FIRST).days + 1
    assert sum(period.days for period in schedule.periods()) == len(days)


@settings(max_examples=200, deadline=None)
@given(
    p=plans,
    offset=st.integers(min_value=0, max_value=120),
    retry=st.one_of(st.none(), st.integers(min_value=1, max_value=30)),
)
def test_a_step_back_never_goes_below_the_start_dose(profile, p, offset, retry):
    (schedule, _), target, end = _planned(profile, p)
    on = min(FIRST + dt.timedelta(days=offset), end)
    try:
        back = schedule.step_back(on, retry_after_days=retry)
    except PlanRefused:
        assert dose_on(schedule, on) == schedule.start_dose
        return
    assert min(s.dose for s in back.steps) >= schedule.start_dose
    assert back.highest_dose <= target
    assert dose_on(back, on) < dose_on(schedule, on)
    assert back.end == schedule.end
