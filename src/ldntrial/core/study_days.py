"""Study days: day 1 is the first day of the trial (the first baseline day)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ldntrial.core.errors import InvalidValue

# A time-limited trial lasts weeks; five years is far past any protocol ldntrial accepts and
# catches dates typed with the wrong year.
MAX_STUDY_DAY = 5 * 366


@dataclass(frozen=True, order=True)
class StudyDay:
    """A day of a trial counted from 1. There is no day 0 and no negative day."""

    number: int

    def __post_init__(self) -> None:
        number = self.number
        if isinstance(number, bool) or not isinstance(number, int):
            raise InvalidValue(f"a study day must be a whole number, not {number!r}")
        if number < 1:
            raise InvalidValue(f"study day {number} does not exist: the first day is day 1")
        if number > MAX_STUDY_DAY:
            raise InvalidValue(
                f"study day {number} is past the longest trial ldntrial supports "
                f"(day {MAX_STUDY_DAY}); check the date's year"
            )

    @classmethod
    def of(cls, day: dt.date, *, trial_start: dt.date) -> StudyDay:
        """The study day on which ``day`` falls, for a trial that starts on ``trial_start``."""
        if day < trial_start:
            raise InvalidValue(
                f"{day.isoformat()} is before the trial starts ({trial_start.isoformat()})"
            )
        return cls((day - trial_start).days + 1)

    def date(self, *, trial_start: dt.date) -> dt.date:
        return trial_start + dt.timedelta(days=self.number - 1)

    def __str__(self) -> str:
        return f"day {self.number}"
