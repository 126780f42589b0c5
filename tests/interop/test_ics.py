"""The dosing calendar parses back and expands to exactly the planned doses."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from icalendar import Alarm, Calendar, Event

from ldntrial.core.doses import Dose
from ldntrial.core.trial.compounding import (
    Capsules,
    Formulation,
    default_capsules,
    oral_liquid,
)
from ldntrial.core.trial.drug import LdnProfile, Timing
from ldntrial.core.trial.titration import TitrationPlan, TitrationSchedule, plan_titration
from ldntrial.interop.ics import dose_instruction, dosing_calendar
from tests.conftest import ANA_TZ, BEA_TZ, NOW


def schedule_from(first: dt.date, profile: LdnProfile, weeks: int = 12) -> TitrationSchedule:
    schedule, _ = plan_titration(
        TitrationPlan.of(start=1.5, step=1.5, interval_days=14, target=4.5, timing="night"),
        first_dose=first,
        end=first + dt.timedelta(weeks=weeks),
        profile=profile,
    )
    return schedule


TIMES = {Timing.NIGHT: dt.time(22, 0), Timing.MORNING: dt.time(8, 30)}


def calendar_for(
    schedule: TitrationSchedule,
    profile: LdnProfile,
    zone: str,
    *,
    formulation: Formulation | None = None,
    reminder_minutes_before: int = 0,
) -> bytes:
    return dosing_calendar(
        schedule,
        formulation=formulation or default_capsules(profile),
        time_zone=zone,
        dose_times=TIMES,
        calendar_id="trial-ana",
        created=NOW,
        reminder_minutes_before=reminder_minutes_before,
    )


def start(event: Event) -> dt.datetime:
    """When a dose event starts: a time of day, never a whole day."""
    value = event.start
    assert isinstance(value, dt.datetime), f"{event['SUMMARY']} starts on a day, not at a time"
    return value


def expand(ics: bytes, schedule: TitrationSchedule) -> list[Event]:
    """The calendar's events from two days before the schedule to two days after it, in order."""
    calendar = Calendar.from_ical(ics)
    found = recurring_ical_events.of(calendar).between(
        schedule.first_day - dt.timedelta(days=2), schedule.end + dt.timedelta(days=2)
    )
    events = [event for event in found if isinstance(event, Event)]
    assert len(events) == len(found)
    return sorted(events, key=start)


@pytest.mark.parametrize("zone", [ANA_TZ, BEA_TZ])
@pytest.mark.parametrize(
    "first",
    [
        dt.date(2027, 2, 22),  # spring: clocks go forward 14 March (New York), 28 March (London)
        dt.date(2026, 10, 5),
    ],  # autumn: clocks go back 25 October (London), 1 November (New York)
    ids=["spring", "autumn"],
)
def test_the_calendar_expands_to_exactly_the_planned_dose_dates_across_dst(profile, zone, first):
    schedule = schedule_from(first, profile)
    events = expand(calendar_for(schedule, profile, zone), schedule)
    planned = [(day, step.dose) for day, step in schedule.daily()]
    assert [start(e).date() for e in events] == [day for day, _ in planned]
    assert {(start(e).hour, start(e).minute) for e in events} == {(22, 0)}
    assert {start(e).tzinfo for e in events} == {ZoneInfo(zone)}
    utc_offsets = {start(e).utcoffset() for e in events}
    assert len(utc_offsets) == 2  # the local time holds while the UTC offset changes
    for event, (_, dose) in zip(events, planned, strict=True):
        assert event["SUMMARY"] == f"Take your capsule: {dose}"


def test_the_calendar_carries_the_patients_time_zone_definition(profile):
    schedule = schedule_from(dt.date(2027, 2, 22), profile)
    calendar = Calendar.from_ical(calendar_for(schedule, profile, BEA_TZ))
    zones = list(calendar.walk("VTIMEZONE"))
    assert [str(z["TZID"]) for z in zones] == [BEA_TZ]
    assert {c.name for c in zones[0].subcomponents} >= {"STANDARD", "DAYLIGHT"}


def test_every_dose_has_a_reminder_alarm(profile):
    schedule = schedule_from(dt.date(2026, 12, 12), profile)
    calendar = Calendar.from_ical(
        calendar_for(schedule, profile, ANA_TZ, reminder_minutes_before=15)
    )
    events = calendar.walk("VEVENT")
    assert len(events) == len(schedule.steps)
    for event in events:
        (alarm,) = event.walk("VALARM")
        assert isinstance(alarm, Alarm)
        assert str(alarm["ACTION"]) == "DISPLAY"
        assert -dt.timedelta(minutes=15) == alarm.TRIGGER
        assert str(alarm["DESCRIPTION"]) == str(event["SUMMARY"])


def test_uids_are_stable_across_runs_and_unique_per_step(profile):
    schedule = schedule_from(dt.date(2026, 12, 12), profile)
    first = Calendar.from_ical(calendar_for(schedule, profile, ANA_TZ))
    later = Calendar.from_ical(
        dosing_calendar(
            schedule,
            formulation=default_capsules(profile),
            time_zone=ANA_TZ,
            dose_times=TIMES,
            calendar_id="trial-ana",
            created=NOW + dt.timedelta(days=3),
        )
    )
    uids = [str(e["UID"]) for e in first.walk("VEVENT")]
    assert uids == [str(e["UID"]) for e in later.walk("VEVENT")]
    assert len(set(uids)) == len(uids)


def test_a_held_step_keeps_the_uids_of_the_steps_it_did_not_move(profile):
    schedule = schedule_from(dt.date(2026, 12, 12), profile)
    held = schedule.hold(dt.date(2026, 12, 30), 7)
    before = [
        str(e["UID"])
        for e in Calendar.from_ical(calendar_for(schedule, profile, ANA_TZ)).walk("VEVENT")
    ]
    after = [
        str(e["UID"])
        for e in Calendar.from_ical(calendar_for(held, profile, ANA_TZ)).walk("VEVENT")
    ]
    assert before[:2] == after[:2]
    assert before[2] != after[2]


@pytest.mark.parametrize("word", ["naltrexone", "ldn", "fibromyalgia", "pain", "opioid", "trial"])
def test_the_wording_names_neither_the_drug_nor_its_purpose(profile, word):
    schedule = schedule_from(dt.date(2026, 12, 12), profile)
    text = calendar_for(schedule, profile, ANA_TZ).decode().lower()
    assert word not in text.replace("ldntrial", "")


def test_liquid_doses_are_given_in_millilitres(profile):
    step = schedule_from(dt.date(2026, 12, 12), profile).steps[0]
    assert dose_instruction(step, oral_liquid(Decimal(1), profile)) == (
        "Take your dose: 1.5 mL (1.5 mg)"
    )


def test_a_dose_made_of_several_capsules_says_so(profile):
    step = schedule_from(dt.date(2026, 12, 12), profile).steps[-1]
    capsules = Capsules((Dose(1.5), Dose(3)), 180)
    assert dose_instruction(step, capsules) == (
        "Take your 2 capsules: 4.5 mg (1 × 3 mg + 1 × 1.5 mg)"
    )


def test_after_a_switch_to_morning_doses_are_reminded_at_the_morning_time(profile):
    schedule = schedule_from(dt.date(2026, 12, 12), profile).switch_timing(
        dt.date(2026, 12, 20), Timing.MORNING
    )
    events = expand(calendar_for(schedule, profile, ANA_TZ), schedule)
    london = ZoneInfo(ANA_TZ)
    assert start(events[7]) == dt.datetime(2026, 12, 19, 22, 0, tzinfo=london)
    assert start(events[8]) == dt.datetime(2026, 12, 20, 8, 30, tzinfo=london)
    assert "once a day at night" in str(events[7]["DESCRIPTION"])
    assert "once a day in the morning" in str(events[-1]["DESCRIPTION"])
    assert len(events) == schedule.days
