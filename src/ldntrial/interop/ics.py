"""The dosing calendar as iCalendar (RFC 5545): one daily recurring event per dose step.

Wording is neutral on purpose: a calendar is seen on lock screens and shared devices, so it names
neither the medicine's purpose nor the condition ("Take your capsule: 1.5 mg"). In a blinded
trial the open titration keeps that wording and each blinded period is one event named by its
number and kit, the same for every period whatever it holds (core.trial.blinded_instructions):
the calendar never says which periods are LDN and which placebo.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence

from icalendar import Alarm, Calendar, Event

from ldntrial.core.doses import plain_number
from ldntrial.core.trial.blinded_instructions import PeriodInstruction
from ldntrial.core.trial.compounding import Formulation, OralLiquid, fewest_capsules
from ldntrial.core.trial.drug import Timing
from ldntrial.core.trial.protocol import require_time_zone
from ldntrial.core.trial.titration import DoseStep, TitrationSchedule

PRODID = "-//ldntrial//dosing calendar//EN"
DOSE_EVENT_MINUTES = 5


def dose_instruction(step: DoseStep, formulation: Formulation) -> str:
    """What the patient takes, in plain words: 'Take your capsule: 1.5 mg'."""
    if isinstance(formulation, OralLiquid):
        ml = plain_number(formulation.millilitres(step.dose))
        return f"Take your dose: {ml} mL ({step.dose})"
    capsules = fewest_capsules(step.dose, formulation.strengths)
    count = sum(n for _, n in capsules)
    if count == 1:
        return f"Take your capsule: {step.dose}"
    parts = " + ".join(f"{n} × {s}" for s, n in capsules)
    return f"Take your {count} capsules: {step.dose} ({parts})"


def dosing_calendar(
    schedule: TitrationSchedule | None,
    *,
    formulation: Formulation,
    time_zone: str,
    dose_times: Mapping[Timing, dt.time],
    calendar_id: str,
    created: dt.datetime,
    reminder_minutes_before: int = 0,
    blinded_periods: Sequence[PeriodInstruction] = (),
) -> bytes:
    """The schedule as an .ics file in the patient's time zone, with a reminder for each dose;
    ``blinded_periods`` follow it (``schedule`` is then the open titration, or None).

    ``calendar_id`` keeps event UIDs stable: the same step of the same trial always gets the
    same UID, so re-importing a calendar updates events instead of duplicating them.
    """
    zone = require_time_zone(time_zone)
    if created.utcoffset() is None:
        raise ValueError("created must carry a time zone")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Dosing calendar")
    calendar.add("x-wr-timezone", time_zone)
    for period in schedule.periods() if schedule is not None else ():
        step = period.step
        text = dose_instruction(step, formulation)
        calendar.add_component(
            _daily_event(
                uid=_uid(calendar_id, step),
                created=created,
                start=dt.datetime.combine(period.first, dose_times[step.timing], tzinfo=zone),
                days=period.days,
                summary=text,
                description=f"{text}, once a day {step.timing.phrase}, from "
                f"{period.first.isoformat()} to {period.last.isoformat()}.",
                reminder_minutes_before=reminder_minutes_before,
            )
        )
    for instruction in blinded_periods:
        blinded = instruction.period
        calendar.add_component(
            _daily_event(
                uid=_period_uid(calendar_id, blinded.number),
                created=created,
                start=dt.datetime.combine(
                    blinded.first, dose_times[instruction.timing], tzinfo=zone
                ),
                days=blinded.days,
                summary=instruction.short,
                description=f"{instruction.text}, from {blinded.first.isoformat()} to "
                f"{blinded.last.isoformat()}.",
                reminder_minutes_before=reminder_minutes_before,
            )
        )
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def _daily_event(
    *,
    uid: str,
    created: dt.datetime,
    start: dt.datetime,
    days: int,
    summary: str,
    description: str,
    reminder_minutes_before: int,
) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", created.astimezone(dt.UTC))
    event.add("dtstart", start)
    event.add("duration", dt.timedelta(minutes=DOSE_EVENT_MINUTES))
    event.add("rrule", {"freq": "daily", "count": days})
    event.add("summary", summary)
    event.add("description", description)
    event.add("transp", "TRANSPARENT")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", dt.timedelta(minutes=-reminder_minutes_before))
    event.add_component(alarm)
    return event


def _uid(calendar_id: str, step: DoseStep) -> str:
    key = "|".join((calendar_id, step.start.isoformat(), step.dose.text, step.timing.value))
    return hashlib.sha256(key.encode()).hexdigest()[:32] + "@ldntrial"


def _period_uid(calendar_id: str, number: int) -> str:
    key = "|".join((calendar_id, "blinded period", str(number)))
    return hashlib.sha256(key.encode()).hexdigest()[:32] + "@ldntrial"
