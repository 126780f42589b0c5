"""Dispensing a compounded prescription: the day it was handed over and, for each item (each
capsule strength, or the liquid), the lot it came from and its use-by date.

The rules: a dispensing is not dated before the prescription was issued, nor later than today
plus one day (a pharmacy a time zone ahead of the server may already be on tomorrow's date);
every item has its own lot and use-by date; a use-by date is not before the dispensing (an
expired preparation is not handed over) and not later than the preparation's beyond-use period
allows, counted from the dispensing day (a preparation is compounded on or before the day it is
dispensed, so its beyond-use date can be no later than that).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from ldntrial.core.errors import FieldErrors
from ldntrial.core.trial.kits import Kit

FUTURE_MARGIN_DAYS = 1
LOT_MAX_LENGTH = 60


@dataclass(frozen=True)
class Lot:
    """The lot of one dispensed item and the day it must be used by."""

    item: str
    lot_number: str
    use_by: dt.date


@dataclass(frozen=True)
class Dispensing:
    dispensed_on: dt.date
    lots: tuple[Lot, ...]


PRESCRIPTION_ISSUED = "the prescription was issued"


def check_dispensed_on(
    dispensed_on: dt.date,
    *,
    prescribed_on: dt.date,
    today: dt.date,
    since: str = PRESCRIPTION_ISSUED,
) -> dt.date:
    """``dispensed_on`` if it is a plausible dispensing day; otherwise a message saying why.
    ``since`` words what happened on ``prescribed_on``, the earliest day."""
    if dispensed_on < prescribed_on:
        raise FieldErrors(
            {
                "dispensed_on": f"{dispensed_on.isoformat()} is before {since} "
                f"({prescribed_on.isoformat()}): enter the day the preparation was "
                "handed over"
            }
        )
    latest = today + dt.timedelta(days=FUTURE_MARGIN_DAYS)
    if dispensed_on > latest:
        raise FieldErrors(
            {
                "dispensed_on": f"the dispensing date cannot be in the future "
                f"({dispensed_on.isoformat()} is after {today.isoformat()}): enter the day "
                "the preparation was handed over"
            }
        )
    return dispensed_on


def check_dispensing(
    *,
    items: Sequence[str],
    lot_numbers: Mapping[str, str],
    use_by: Mapping[str, dt.date | None],
    dispensed_on: dt.date,
    prescribed_on: dt.date,
    today: dt.date,
    beyond_use_days: int,
    since: str = PRESCRIPTION_ISSUED,
) -> Dispensing:
    """One lot and use-by date for every item of the prescription, checked.

    Errors are keyed ``dispensed_on``, ``lot_<n>`` and ``use_by_<n>`` (``n`` counts the items
    from 0, in the order given), so a form can show each next to its field.
    """
    errors: dict[str, str] = {}
    try:
        check_dispensed_on(dispensed_on, prescribed_on=prescribed_on, today=today, since=since)
    except FieldErrors as error:
        errors |= error.errors
    # Use-by dates are compared with a plausible dispensing date only (9999-12-31 has no
    # beyond-use date after it).
    anchor = None if "dispensed_on" in errors else dispensed_on
    latest_use_by = None if anchor is None else anchor + dt.timedelta(days=beyond_use_days)
    lots = []
    for n, item in enumerate(items):
        lot = " ".join((lot_numbers.get(item) or "").split())
        date = use_by.get(item)
        if not lot:
            errors[f"lot_{n}"] = f"enter the lot number printed on the {item}"
        elif len(lot) > LOT_MAX_LENGTH:
            errors[f"lot_{n}"] = f"a lot number has at most {LOT_MAX_LENGTH} characters"
        if date is None:
            errors[f"use_by_{n}"] = f"enter the use-by date printed on the {item}"
        elif anchor is not None and date < anchor:
            errors[f"use_by_{n}"] = (
                f"use by {date.isoformat()} is before the dispensing date: an expired "
                "preparation cannot be dispensed; check the date or prepare a new lot"
            )
        elif latest_use_by is not None and date > latest_use_by:
            errors[f"use_by_{n}"] = (
                f"use by {date.isoformat()} is later than the {beyond_use_days}-day "
                f"beyond-use period allows (at most {latest_use_by.isoformat()}): check the date"
            )
        if date is not None and lot:
            lots.append(Lot(item=item, lot_number=lot, use_by=date))
    if errors:
        raise FieldErrors(errors)
    return Dispensing(dispensed_on=dispensed_on, lots=tuple(lots))


def check_kit_dispensing(
    kit: Kit,
    *,
    lot_number: str,
    use_by: dt.date | None,
    dispensed_on: dt.date,
    started_on: dt.date,
    today: dt.date,
    beyond_use_days: int,
    other_lots: Collection[str] = (),
) -> Dispensing:
    """One kit of a blinded trial handed over, checked: the dispensing rules above, counted
    from the trial's start, a use-by date that covers the kit's last day, and a lot of its own
    (``other_lots``: the lots already recorded on the trial's other kits).

    Errors are keyed ``dispensed_on``, ``lot`` and ``use_by``.
    """
    item = f"kit {kit.number}"
    errors: dict[str, str] = {}
    checked: Dispensing | None = None
    try:
        checked = check_dispensing(
            items=[item],
            lot_numbers={item: lot_number},
            use_by={item: use_by},
            dispensed_on=dispensed_on,
            prescribed_on=started_on,
            today=today,
            beyond_use_days=beyond_use_days,
            since="the trial started and its kits were allocated",
        )
    except FieldErrors as error:
        renamed = {"lot_0": "lot", "use_by_0": "use_by"}
        errors |= {renamed.get(k, k): message for k, message in error.errors.items()}
    lot = " ".join(lot_number.split())
    if "lot" not in errors and lot.casefold() in {
        " ".join(o.split()).casefold() for o in other_lots
    }:
        errors["lot"] = (
            f"lot {lot} is already on another kit of this trial: give every kit its own lot "
            "number (the care team sees lots, and a lot shared by kits would show which kits "
            "hold the same capsules)"
        )
    if "use_by" not in errors and use_by is not None and use_by < kit.last:
        latest = dispensed_on + dt.timedelta(days=beyond_use_days)
        advice = (
            f"dispense it nearer its start: a preparation keeps {beyond_use_days} days"
            if kit.last > latest and "dispensed_on" not in errors
            else "check the date or prepare a lot that keeps until then"
        )
        errors["use_by"] = (
            f"use by {use_by.isoformat()} is before the last day of kit {kit.number} "
            f"({kit.last.isoformat()}), when the patient still takes its capsules: {advice}"
        )
    if errors or checked is None:
        raise FieldErrors(errors)
    return checked
