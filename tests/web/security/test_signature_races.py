"""Two simultaneous signatures of one reassessment: one signed record, one clear refusal.

Real threads, each with its own database connection, against committed data (a transactional
test), on SQLite and on PostgreSQL (make test runs both). The database is emptied after each
test, which deletes audit events: the append-only triggers are lifted for this module only.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import RequestFactory

from ldntrial.core.analysis.decision import Outcome
from ldntrial.core.errors import InvalidValue
from ldntrial.web.clinic import reassessment
from ldntrial.web.clinic.models import Reassessment, TrialStatus
from tests.web.concurrency import at_once
from tests.web.conftest import PASSWORD, World

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("append_only_lifted"),
]


def _request():
    request = RequestFactory().post("/")
    request.META["REMOTE_ADDR"] = "127.0.0.9"
    return request


def _sign(world, trial, final):
    def call():
        return reassessment.sign(
            by=world.dr_ode,
            trial=trial,
            final=final,
            reason="" if final is Outcome.CONTINUE else "second thoughts",
            password=PASSWORD,
            request=_request(),
            follow_up_on=dt.date(2026, 12, 27),
            stop_instruction="last dose tonight",
        )

    return call


@pytest.mark.parametrize("round_", range(3))
def test_two_signatures_at_once_make_one_record_and_one_refusal(round_):
    world = World()
    trial = world.due_trial(seed=5)
    results = at_once([_sign(world, trial, Outcome.CONTINUE), _sign(world, trial, Outcome.STOP)])
    signed = [r for r in results if isinstance(r, Reassessment)]
    refused = [r for r in results if isinstance(r, InvalidValue)]
    assert len(signed) == 1, results
    assert len(refused) == 1, results
    assert "signed already" in str(refused[0])
    assert Reassessment.objects.filter(trial=trial).count() == 1
    trial.refresh_from_db()
    expected = {"continue": TrialStatus.FOLLOW_UP, "stop": TrialStatus.STOPPED}
    assert trial.status == expected[signed[0].final_outcome]
