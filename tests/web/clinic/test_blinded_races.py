"""Races in blinded trials: the same end-of-period answers sent twice at once, and two
unblindings at once. Real threads, each with its own database connection, against committed
data (as in tests/web/clinic/test_patient_races.py): one row and one audit event are stored,
the other request gets a clear message (409), never a server error."""

from __future__ import annotations

import functools

import pytest
from django.http import HttpResponse
from django.http.response import HttpResponseBase

from ldntrial.web.audit.models import Action, AuditEvent
from ldntrial.web.clinic.models import PeriodReport, Unblinding
from tests.web.concurrency import at_once
from tests.web.conftest import World, signed_in

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("append_only_lifted"),
]


def _codes_and_bodies(responses: list[object]) -> tuple[list[int], list[str]]:
    answered = [r for r in responses if isinstance(r, HttpResponseBase)]
    assert len(answered) == len(responses), responses
    codes = sorted(r.status_code for r in answered)
    bodies = [r.content.decode() for r in answered if isinstance(r, HttpResponse)]
    return codes, bodies


@pytest.mark.parametrize("round_", range(3))
def test_one_period_answered_twice_at_once_keeps_one_answer(round_):
    world = World()
    trial = world.blinded_trial(days_ago=60)
    clients = [signed_in(world.ana_user) for _ in range(2)]
    answers = {"period-1-guess": "dont_know", "period-1-pgic": "no_change"}
    codes, bodies = _codes_and_bodies(
        at_once([functools.partial(c.post, "/me/periods/1/", answers) for c in clients])
    )
    assert codes == [302, 409], codes
    assert any("Period 1 is answered already" in b for b in bodies)
    assert PeriodReport.objects.filter(trial=trial).count() == 1
    assert (
        AuditEvent.objects.filter(object_type="clinic.PeriodReport", action=Action.CREATE).count()
        == 1
    )


@pytest.mark.parametrize("round_", range(3))
def test_two_unblindings_at_once_reveal_once(round_):
    world = World()
    trial = world.blinded_trial(days_ago=126)
    clients = [signed_in(world.dr_ode) for _ in range(2)]
    url = f"/clinic/trials/{trial.pk}/unblind/"
    codes, bodies = _codes_and_bodies(
        at_once([functools.partial(c.post, url, {"kind": "planned"}) for c in clients])
    )
    assert codes == [302, 409], codes
    assert any("This trial is unblinded already." in b for b in bodies)
    assert Unblinding.objects.filter(trial=trial).count() == 1
    assert (
        AuditEvent.objects.filter(object_type="clinic.Unblinding", action=Action.CREATE).count()
        == 1
    )
