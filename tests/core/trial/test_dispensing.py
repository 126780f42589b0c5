"""Dispensing rules: the date bounds, a lot and use-by date for every item."""

import datetime as dt
from typing import Any

import pytest

from ldntrial.core.errors import FieldErrors
from ldntrial.core.trial.dispensing import (
    Lot,
    check_dispensed_on,
    check_dispensing,
    check_kit_dispensing,
)
from ldntrial.core.trial.kits import Kit

ISSUED = dt.date(2026, 11, 20)
TODAY = dt.date(2026, 11, 27)
ITEMS = ("1.5 mg capsules", "3 mg capsules", "4.5 mg capsules")


def dispense(**overrides):
    fields: dict[str, Any] = {
        "items": ITEMS,
        "lot_numbers": {item: f"LOT-{n}" for n, item in enumerate(ITEMS)},
        "use_by": {item: TODAY + dt.timedelta(days=60) for item in ITEMS},
        "dispensed_on": TODAY,
        "prescribed_on": ISSUED,
        "today": TODAY,
        "beyond_use_days": 180,
    }
    fields.update(overrides)
    return check_dispensing(**fields)


@pytest.mark.parametrize(
    ("dispensed_on", "accepted"),
    [
        (ISSUED - dt.timedelta(days=1), False),  # before the prescription existed
        (dt.date(1999, 1, 1), False),
        (ISSUED, True),
        (TODAY, True),
        (TODAY + dt.timedelta(days=1), True),  # a pharmacy a time zone ahead
        (TODAY + dt.timedelta(days=2), False),
        (dt.date(9999, 12, 31), False),
    ],
)
def test_the_dispensing_date_lies_between_the_prescription_and_tomorrow(dispensed_on, accepted):
    if accepted:
        assert check_dispensed_on(dispensed_on, prescribed_on=ISSUED, today=TODAY) == dispensed_on
    else:
        with pytest.raises(FieldErrors) as refused:
            check_dispensed_on(dispensed_on, prescribed_on=ISSUED, today=TODAY)
        assert "dispensed_on" in refused.value.errors


def test_a_date_before_the_prescription_says_when_it_was_issued():
    with pytest.raises(FieldErrors) as refused:
        check_dispensed_on(dt.date(1999, 1, 1), prescribed_on=ISSUED, today=TODAY)
    assert refused.value.errors["dispensed_on"] == (
        "1999-01-01 is before the prescription was issued (2026-11-20): enter the day the "
        "preparation was handed over"
    )


def test_each_strength_gets_its_own_lot_and_use_by_date():
    dispensing = dispense()
    assert dispensing.lots == tuple(
        Lot(item=item, lot_number=f"LOT-{n}", use_by=dt.date(2027, 1, 26))
        for n, item in enumerate(ITEMS)
    )


def test_a_missing_lot_or_use_by_date_is_named_per_item():
    with pytest.raises(FieldErrors) as refused:
        dispense(
            lot_numbers={ITEMS[0]: "L1", ITEMS[1]: "  "},
            use_by={ITEMS[0]: TODAY, ITEMS[1]: TODAY},
        )
    assert refused.value.errors == {
        "lot_1": "enter the lot number printed on the 3 mg capsules",
        "lot_2": "enter the lot number printed on the 4.5 mg capsules",
        "use_by_2": "enter the use-by date printed on the 4.5 mg capsules",
    }


@pytest.mark.parametrize(
    ("use_by", "message"),
    [
        (TODAY - dt.timedelta(days=1), "an expired preparation cannot be dispensed"),
        (TODAY + dt.timedelta(days=181), "later than the 180-day beyond-use period allows"),
    ],
)
def test_a_use_by_date_is_within_the_beyond_use_period(use_by, message):
    with pytest.raises(FieldErrors) as refused:
        dispense(use_by=dict.fromkeys(ITEMS, use_by))
    assert message in refused.value.errors["use_by_0"]


def test_a_lot_number_is_stripped_and_bounded():
    assert dispense(lot_numbers=dict.fromkeys(ITEMS, "  A  1 ")).lots[0].lot_number == "A 1"
    with pytest.raises(FieldErrors) as refused:
        dispense(lot_numbers=dict.fromkeys(ITEMS, "x" * 61))
    assert "at most 60 characters" in refused.value.errors["lot_0"]


def test_an_absurd_dispensing_date_is_refused_without_comparing_use_by_dates_to_it():
    with pytest.raises(FieldErrors) as refused:
        dispense(dispensed_on=dt.date.max)  # no beyond-use date exists after 9999-12-31
    assert set(refused.value.errors) == {"dispensed_on"}
    assert "cannot be in the future" in refused.value.errors["dispensed_on"]


# A kit of a blinded trial: the same rules counted from the trial's start, a use-by date that
# covers the kit's last day, and a lot of its own.

KIT = Kit(
    number=3,
    period=3,
    first=dt.date(2026, 12, 20),
    last=dt.date(2027, 1, 2),
    capsules=16,
    label="Kit 3 of 6",
)
STARTED = dt.date(2026, 11, 25)


def dispense_kit(**overrides):
    fields: dict[str, Any] = {
        "lot_number": "K3-0001",
        "use_by": dt.date(2027, 3, 1),
        "dispensed_on": TODAY,
        "started_on": STARTED,
        "today": TODAY,
        "beyond_use_days": 180,
    }
    fields.update(overrides)
    return check_kit_dispensing(KIT, **fields)


def kit_errors(**overrides) -> dict[str, str]:
    with pytest.raises(FieldErrors) as refused:
        dispense_kit(**overrides)
    return refused.value.errors


def test_a_kit_is_dispensed_with_its_lot_and_use_by_date():
    checked = dispense_kit(lot_number="  K3  0001 ")
    assert checked.dispensed_on == TODAY
    assert checked.lots == (Lot(item="kit 3", lot_number="K3 0001", use_by=dt.date(2027, 3, 1)),)


def test_a_kit_s_use_by_date_is_not_before_its_last_day():
    assert dispense_kit(use_by=KIT.last).lots[0].use_by == KIT.last
    assert kit_errors(use_by=KIT.last - dt.timedelta(days=1)) == {
        "use_by": "use by 2027-01-01 is before the last day of kit 3 (2027-01-02), when the "
        "patient still takes its capsules: check the date or prepare a lot that keeps until then"
    }


def test_a_kit_whose_last_day_is_beyond_the_beyond_use_period_is_dispensed_nearer_its_start():
    errors = kit_errors(use_by=TODAY + dt.timedelta(days=20), beyond_use_days=20)
    assert errors["use_by"].endswith("dispense it nearer its start: a preparation keeps 20 days")


def test_a_kit_is_not_dispensed_before_the_trial_started():
    errors = kit_errors(dispensed_on=STARTED - dt.timedelta(days=1))
    assert errors == {
        "dispensed_on": "2026-11-24 is before the trial started and its kits were allocated "
        "(2026-11-25): enter the day the preparation was handed over"
    }


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lot_number": "  "}, "lot"),
        ({"lot_number": "x" * 61}, "lot"),
        ({"use_by": None}, "use_by"),
        ({"use_by": TODAY - dt.timedelta(days=1)}, "use_by"),  # expired
        ({"use_by": dt.date(9999, 12, 31)}, "use_by"),  # past the beyond-use period
        ({"dispensed_on": dt.date(9999, 12, 31)}, "dispensed_on"),
    ],
)
def test_the_dispensing_rules_apply_to_a_kit_under_its_own_field_names(overrides, field):
    assert field in kit_errors(**overrides)


def test_a_lot_already_on_another_kit_of_the_trial_is_refused():
    errors = kit_errors(lot_number="k3-0001", other_lots=["K1-0001", "K3-0001"])
    assert errors["lot"].startswith("lot k3-0001 is already on another kit of this trial")
    assert dispense_kit(other_lots=["K1-0001"]).lots[0].lot_number == "K3-0001"
