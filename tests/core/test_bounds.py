"""Input bounds: every typed date and number has a plausible range, with a message that says
what to type instead. Today is 27 November 2026 (a frozen clock passed in)."""

import datetime as dt

import pytest

from ldntrial.core import bounds
from ldntrial.core.errors import FieldErrors

TODAY = dt.date(2026, 11, 27)


@pytest.mark.parametrize(
    ("start", "accepted"),
    [
        (TODAY, True),
        (TODAY - dt.timedelta(days=365), True),
        (TODAY - dt.timedelta(days=366), False),
        (TODAY + dt.timedelta(days=730), True),
        (TODAY + dt.timedelta(days=731), False),
        (dt.date(1, 1, 1), False),
        (dt.date(1900, 1, 1), False),
        (dt.date(9999, 12, 31), False),
    ],
)
def test_a_trial_starts_within_a_year_back_and_two_years_ahead(start, accepted):
    if accepted:
        assert bounds.check_trial_start(start, today=TODAY) == start
    else:
        with pytest.raises(FieldErrors) as refused:
            bounds.check_trial_start(start, today=TODAY)
        message = refused.value.errors["start_date"]
        assert start.isoformat() in message
        assert "give a date" in message


def test_the_extreme_dates_near_the_calendar_ends_are_refused_without_overflow():
    # today - 365 days and today + 730 days never leave the calendar for a real today.
    for start in (dt.date.min, dt.date.max):
        with pytest.raises(FieldErrors):
            bounds.check_trial_start(start, today=TODAY)


@pytest.mark.parametrize(
    ("year", "accepted"),
    [(1975, True), (2026, True), (2027, False), (1901, True), (1900, False), (1, False),
     (9999, False), (99999999999, False), (0, False), (-5, False)],
)  # fmt: skip
def test_a_year_of_birth_is_not_in_the_future_nor_beyond_a_human_life(year, accepted):
    if accepted:
        assert bounds.check_birth_year(year, today=TODAY) == year
    else:
        with pytest.raises(FieldErrors) as refused:
            bounds.check_birth_year(year, today=TODAY)
        assert "between 1901 and 2026" in refused.value.errors["birth_year"]


@pytest.mark.parametrize(
    ("bound", "value", "accepted"),
    [
        (bounds.INTERVAL_DAYS, 14, True),
        (bounds.INTERVAL_DAYS, 0, False),
        (bounds.INTERVAL_DAYS, 365, True),
        (bounds.INTERVAL_DAYS, 99999999999, False),
        (bounds.PAGE_NUMBER, 1, True),
        (bounds.PAGE_NUMBER, 10**30, False),
    ],
)
def test_integers_are_bounded(bound, value, accepted):
    if accepted:
        assert bound.check(value, field="n") == value
    else:
        with pytest.raises(FieldErrors) as refused:
            bound.check(value, field="n")
        assert f"between {bound.low} and {bound.high}" in refused.value.errors["n"]


def test_a_first_dose_already_past_is_a_warning_to_accept():
    warning = bounds.first_dose_warning(TODAY - dt.timedelta(days=1), today=TODAY)
    assert warning is not None
    assert "already past" in warning
    assert bounds.BoundWarning.FIRST_DOSE_IN_PAST.value in warning


@pytest.mark.parametrize("first_dose", [TODAY, TODAY + dt.timedelta(days=14)])
def test_a_first_dose_today_or_later_needs_no_warning(first_dose):
    assert bounds.first_dose_warning(first_dose, today=TODAY) is None
