"""Diary rules: which days are open, what a valid entry is."""

import datetime as dt
from typing import Any

import pytest

from ldntrial.core.errors import FieldErrors, InvalidValue
from ldntrial.core.trial.diary import SideEffect, check_day_open, open_days, validate_entry
from tests.core.conftest import START

FIRST_DOSE = dt.date(2026, 12, 12)


def entry(protocol, day, today=None, **overrides):
    fields: dict[str, Any] = {
        "scores": {"pain": 5, "sleep_quality": 6, "function": 7},
        "dose_taken": True if day >= FIRST_DOSE else None,
        "dose_time": None,
        "side_effects": [],
    }
    fields.update(overrides)
    return validate_entry(protocol, day=day, today=today or day, **fields)


def test_today_and_three_days_back_are_open(protocol):
    today = dt.date(2026, 12, 20)
    assert open_days(protocol, today=today) == [today - dt.timedelta(days=n) for n in range(4)]


def test_open_days_stop_at_the_trial_start(protocol):
    assert open_days(protocol, today=START + dt.timedelta(days=1)) == [
        START + dt.timedelta(days=1),
        START,
    ]


@pytest.mark.parametrize(
    ("day", "today", "message"),
    [
        (
            dt.date(2026, 12, 10),
            dt.date(2026, 12, 14),
            "is closed: days can be filled or corrected up to 3 day\\(s\\) late",
        ),
        (dt.date(2026, 12, 15), dt.date(2026, 12, 14), "has not happened yet"),
        (dt.date(2026, 11, 27), dt.date(2026, 11, 27), "is outside the trial"),
    ],
)
def test_closed_days_say_why(protocol, day, today, message):
    with pytest.raises(InvalidValue, match=message):
        check_day_open(protocol, day, today=today)


def test_a_valid_entry_keeps_scores_and_side_effects(protocol):
    record = entry(protocol, FIRST_DOSE, side_effects=["vivid_dreams"], dose_time=dt.time(22))
    assert {k: int(v) for k, v in record.scores.items()} == {
        "pain": 5,
        "sleep_quality": 6,
        "function": 7,
    }
    assert record.side_effects == {SideEffect.VIVID_DREAMS}


def test_every_wrong_field_is_reported_at_once(protocol):
    with pytest.raises(FieldErrors) as refused:
        entry(
            protocol,
            FIRST_DOSE,
            scores={"pain": 12, "mood": 3},
            dose_taken=None,
            side_effects=["other"],
            note="x" * 1001,
        )
    assert set(refused.value.errors) == {
        "pain",
        "mood",
        "sleep_quality",
        "function",
        "dose_taken",
        "side_effect_other",
        "note",
    }
    assert refused.value.errors["pain"] == "Pain: score 12 is outside the scale: use 0 to 10"
    assert refused.value.errors["mood"] == "'mood' is not measured in this trial"


def test_no_dose_is_recorded_during_the_baseline(protocol):
    with pytest.raises(FieldErrors, match="no dose is taken during the baseline"):
        entry(protocol, START, dose_taken=True)


def test_a_dose_time_goes_only_with_a_dose_taken(protocol):
    with pytest.raises(FieldErrors, match="a dose time only goes with a dose taken"):
        entry(protocol, FIRST_DOSE, dose_taken=False, dose_time=dt.time(22))


def test_describing_another_side_effect_ticks_other(protocol):
    record = entry(protocol, FIRST_DOSE, side_effect_other="dry mouth")
    assert record.side_effects == {SideEffect.OTHER}
    assert record.side_effect_other == "dry mouth"
