import datetime as dt

import pytest

from ldntrial.core.errors import InvalidValue
from ldntrial.core.study_days import MAX_STUDY_DAY, StudyDay

START = dt.date(2026, 11, 28)


def test_the_first_day_of_the_trial_is_day_1():
    assert StudyDay.of(START, trial_start=START) == StudyDay(1)
    assert StudyDay.of(dt.date(2026, 12, 11), trial_start=START) == StudyDay(14)


def test_a_study_day_maps_back_to_its_date():
    assert StudyDay(15).date(trial_start=START) == dt.date(2026, 12, 12)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "study day 0 does not exist: the first day is day 1"),
        (-3, "study day -3 does not exist"),
        (MAX_STUDY_DAY + 1, "past the longest trial"),
        (1.0, "must be a whole number"),
        (False, "must be a whole number"),
    ],
)
def test_a_study_day_refuses_days_that_do_not_exist(value, message):
    with pytest.raises(InvalidValue, match=message):
        StudyDay(value)


def test_a_date_before_the_trial_has_no_study_day():
    with pytest.raises(InvalidValue, match="before the trial starts"):
        StudyDay.of(dt.date(2026, 11, 27), trial_start=START)
