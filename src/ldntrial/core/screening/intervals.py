"""The opioid-free interval: after the last dose of an opioid, how soon LDN may start.

Each opioid entry of the catalogue names its interval (short-acting, long-acting, methadone,
buprenorphine, depot buprenorphine...), each interval its days and sources. The first LDN dose
comes after that many whole days without the opioid: last dose on 1 March and a 7-day interval
give 2-8 March opioid-free and the first dose on 9 March at the earliest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from ldntrial.core.errors import FieldErrors, PlanRefused
from ldntrial.core.screening.catalogue import OpioidFreeInterval


@dataclass(frozen=True)
class FirstDoseLimit:
    """A stopped opioid and the earliest first LDN dose it allows."""

    medicine: str  # what was stopped, as the finding names it
    text: str  # as listed
    last_dose: dt.date
    interval: OpioidFreeInterval

    @property
    def earliest(self) -> dt.date:
        return self.last_dose + dt.timedelta(days=self.interval.days + 1)

    def describe(self) -> str:
        return (
            f"{self.medicine} (last dose {self.last_dose.isoformat()}; {self.interval.label}: "
            f"{self.interval.days} days without it) allows a first dose from "
            f"{self.earliest.isoformat()}"
        )


# Product rule: a last dose typed more than 100 years back is a typing error, not a history.
OLDEST_LAST_DOSE_YEARS = 100


def check_last_dose(day: dt.date, *, today: dt.date, field: str = "last_dose_on") -> dt.date:
    """The day of a last dose as a clinician records it: not in the future, not absurdly old."""
    if day > today:
        raise FieldErrors({field: f"the last dose ({day.isoformat()}) cannot be in the future"})
    if day.year < today.year - OLDEST_LAST_DOSE_YEARS:
        raise FieldErrors(
            {field: f"the last dose ({day.isoformat()}) is more than a century ago: check the year"}
        )
    return day


def earliest_first_dose(limits: Iterable[FirstDoseLimit]) -> FirstDoseLimit | None:
    """The limit that comes last, or None when no stopped opioid limits the start."""
    return max(limits, key=lambda limit: limit.earliest, default=None)


def check_first_dose(limits: Iterable[FirstDoseLimit], first_dose: dt.date) -> None:
    """Refuse a first dose inside any opioid-free interval."""
    latest = earliest_first_dose(limits)
    if latest is not None and first_dose < latest.earliest:
        raise PlanRefused(
            f"the first dose on {first_dose.isoformat()} falls inside the opioid-free interval: "
            f"{latest.describe()}. Move the start so that the first dose is on or after "
            f"{latest.earliest.isoformat()}"
        )
