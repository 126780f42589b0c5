"""How a started trial stands in the registry (core.registry.standing)."""

from __future__ import annotations

import datetime as dt

import pytest

from ldntrial.core.registry.standing import OVERDUE_DAYS, Signed, standing
from ldntrial.core.registry.summaries import Completion, StopReason

DUE = dt.date(2027, 3, 1)
ENOUGH, EARLY = Signed(any_on_enough_data=True), Signed(any_on_enough_data=False)


@pytest.mark.parametrize(
    ("signed", "stopped", "today", "expected"),
    [
        (ENOUGH, False, DUE, (Completion.COMPLETED, None)),  # continue or adjust
        (ENOUGH, True, DUE, (Completion.COMPLETED, None)),  # stop at reassessment
        (EARLY, True, DUE, (Completion.STOPPED_EARLY, StopReason.CLINICIAN_DECISION)),
        (EARLY, False, DUE, (Completion.COMPLETED, None)),  # decided early, still on LDN
        (None, True, DUE, (Completion.STOPPED_EARLY, StopReason.OTHER)),
        (None, False, DUE - dt.timedelta(days=30), (Completion.RUNNING, None)),
        (None, False, DUE + dt.timedelta(days=OVERDUE_DAYS), (Completion.RUNNING, None)),
        (
            None,
            False,
            DUE + dt.timedelta(days=OVERDUE_DAYS + 1),
            (Completion.LOST_TO_FOLLOW_UP, None),
        ),
    ],
)
def test_a_trial_stands_by_its_decisions_its_state_and_the_date(signed, stopped, today, expected):
    assert standing(signed=signed, stopped=stopped, reassessment_date=DUE, today=today) == expected
