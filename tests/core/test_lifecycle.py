"""The life of a trial: the state a signed decision leads to and what each decision needs."""

import datetime as dt
from typing import Any

import pytest

from ldntrial.core.analysis.decision import Outcome, Rule
from ldntrial.core.errors import FieldErrors
from ldntrial.core.lifecycle import TrialState, check_closure, state_after

TODAY = dt.date(2027, 3, 6)
IN_FOUR_WEEKS = TODAY + dt.timedelta(weeks=4)


@pytest.mark.parametrize(
    ("outcome", "state", "takes_ldn"),
    [
        (Outcome.CONTINUE, TrialState.FOLLOW_UP, True),
        (Outcome.STOP, TrialState.STOPPED, False),
        (Outcome.ADJUST, TrialState.ACTIVE, True),
    ],
)
def test_a_decision_moves_the_trial(outcome, state, takes_ldn):
    assert state_after(outcome) is state
    assert state.takes_ldn is takes_ldn


def close(outcome=Outcome.STOP, rule=Rule.CRITERION_NOT_MET, **kw):
    args: dict[str, Any] = {
        "today": TODAY,
        "follow_up_on": IN_FOUR_WEEKS,
        "stop_instruction": "",
        "data_override": "",
    }
    args |= kw
    return check_closure(outcome=outcome, rule=rule, **args)


def test_stop_needs_an_instruction_and_a_follow_up_date():
    with pytest.raises(FieldErrors) as caught:
        close(follow_up_on=None)
    assert set(caught.value.errors) == {"stop_instruction", "follow_up_on"}
    closure = close(stop_instruction="last dose on 6 March")
    assert closure.follow_up_on == IN_FOUR_WEEKS
    assert closure.stop_instruction


def test_continue_needs_the_next_review_date_and_no_instruction():
    with pytest.raises(FieldErrors, match="next review"):
        close(Outcome.CONTINUE, Rule.SUCCESS_CRITERION_MET, follow_up_on=None)
    closure = close(Outcome.CONTINUE, Rule.SUCCESS_CRITERION_MET, stop_instruction="ignored")
    assert closure.stop_instruction == ""


def test_adjust_needs_no_date_an_amendment_follows():
    closure = close(Outcome.ADJUST, Rule.TOLERABILITY, follow_up_on=None)
    assert closure.follow_up_on is None


@pytest.mark.parametrize(
    "day", [TODAY, TODAY - dt.timedelta(1), TODAY + dt.timedelta(367), dt.date(9999, 12, 31)]
)
def test_the_follow_up_date_is_after_today_and_within_a_year(day):
    with pytest.raises(FieldErrors, match="within a year"):
        close(stop_instruction="stop tonight", follow_up_on=day)


def test_insufficient_data_is_refused_unless_the_clinician_says_why():
    with pytest.raises(FieldErrors, match="Wait for more data"):
        close(Outcome.ADJUST, Rule.INSUFFICIENT_DATA)
    closure = close(Outcome.ADJUST, Rule.INSUFFICIENT_DATA, data_override="patient moving abroad")
    assert closure.data_override == "patient moving abroad"
