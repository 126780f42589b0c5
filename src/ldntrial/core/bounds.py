"""Input bounds: the plausible range of every date and number a person types.

Forms, the API and the CLI check what they are given against these bounds before anything is
computed from it, so that an absurd value (0001-01-01, 9999-12-31, "days between steps"
99999999999) is answered with a message saying what was wrong and how to fix it, not with an
overflow deep in date arithmetic. These are sanity limits on typing, not clinical rules: the
clinical rules (the opioid-free interval, the studied doses) are checked by the modules that hold
them, on values that passed these bounds; dates those modules already bound (a last dose:
``screening.intervals.check_last_dose``; a visit or diary day: ``trial.visits``, ``trial.diary``)
are not bounded again here. Today always comes in as an argument.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from ldntrial.core.errors import FieldErrors


@dataclass(frozen=True)
class IntBound:
    """An integer a person types: ``low`` to ``high`` inclusive, named in the message."""

    low: int
    high: int
    what: str

    def check(self, value: int, *, field: str) -> int:
        if not self.low <= value <= self.high:
            raise FieldErrors(
                {field: f"{self.what} must be between {self.low} and {self.high} (got {value})"}
            )
        return value


# Titration intervals beyond a year are not a titration; the protocol rules narrow it further.
INTERVAL_DAYS = IntBound(1, 365, "the days between steps")
BASELINE_DAYS = IntBound(1, 365, "the baseline days")
RUN_IN_DAYS = IntBound(0, 84, "the days left out after the first dose")
SUCCESS_PERCENT = IntBound(1, 100, "the improvement from baseline (%)")
# A person's age: nobody is older than 125 (the oldest recorded human lived to 122).
OLDEST_AGE = 125
# A page number of a list (the dashboard): large enough for any clinic, small enough to index.
PAGE_NUMBER = IntBound(1, 100_000, "the page number")
# Database ids: the largest a signed 64-bit column holds.
LARGEST_ID = 2**63 - 1


@dataclass(frozen=True)
class DateWindow:
    """A date within ``days_back`` before and ``days_ahead`` after today (inclusive)."""

    days_back: int
    days_ahead: int
    what: str

    def check(self, value: dt.date, *, today: dt.date, field: str) -> dt.date:
        earliest = today - dt.timedelta(days=self.days_back)
        latest = today + dt.timedelta(days=self.days_ahead)
        if value < earliest:
            raise FieldErrors(
                {
                    field: f"{self.what} {value.isoformat()} is too far back: give a date "
                    f"from {earliest.isoformat()} on"
                }
            )
        if value > latest:
            raise FieldErrors(
                {
                    field: f"{self.what} {value.isoformat()} is too far ahead: give a date "
                    f"up to {latest.isoformat()}"
                }
            )
        return value


# A trial is planned for the coming months; one entered late may have begun up to a year ago.
TRIAL_START = DateWindow(365, 2 * 365, "the first baseline day")
# A planned operation: from a year ago (recorded late) to five years ahead.
PLANNED_OPERATION = DateWindow(365, 5 * 365, "the planned operation")
# A reassessment is fixed weeks after the first dose; the protocol rules check the window.
REASSESSMENT = DateWindow(365, 4 * 365, "the reassessment date")


def check_trial_start(start: dt.date, *, today: dt.date, field: str = "start_date") -> dt.date:
    """The first baseline day: within a year back and two years ahead of today."""
    return TRIAL_START.check(start, today=today, field=field)


def check_birth_year(year: int, *, today: dt.date, field: str = "birth_year") -> int:
    """A year of birth: not in the future and not more than :data:`OLDEST_AGE` years ago."""
    return IntBound(today.year - OLDEST_AGE, today.year, "the year of birth").check(
        year, field=field
    )


class BoundWarning(enum.Enum):
    """A plausible value that is still unusual: accepted only when the clinician says so."""

    FIRST_DOSE_IN_PAST = "first_dose_in_past"


def first_dose_warning(first_dose: dt.date, *, today: dt.date) -> str | None:
    """A warning when the first dose is already past: the patient cannot have started on the
    planned day, and the baseline is already over. None when the first dose is today or later."""
    if first_dose >= today:
        return None
    return (
        f"the first dose ({first_dose.isoformat()}) is already past: the baseline is over and "
        "the patient's calendar starts in the past. Move the first baseline day, or tick "
        f"'{BoundWarning.FIRST_DOSE_IN_PAST.value}' to accept it"
    )
