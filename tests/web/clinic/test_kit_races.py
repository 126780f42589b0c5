"""Races on a kit: the pharmacy's "dispensed" form for one kit sent twice at once (a double
click, or two pharmacists). Real threads, each with its own database connection, against
committed data (as in tests/web/clinic/test_patient_races.py). One dispensing is stored with one
audit event; the other submission is told the kit is dispensed already, never a server error.
"""

from __future__ import annotations

import datetime as dt
import functools

import pytest
from django.http import HttpResponse
from django.http.response import HttpResponseBase

from ldntrial.web.audit.models import Action, AuditEvent
from ldntrial.web.clinic.models import KitDispensing
from tests.web.concurrency import at_once
from tests.web.conftest import FROZEN_AT, World, signed_in

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("append_only_lifted"),
]

TODAY = FROZEN_AT.date()


@pytest.mark.parametrize("round_", range(2))
def test_one_kit_sent_twice_at_once_is_dispensed_once(round_):
    world = World()
    trial = world.blinded_trial(days_ago=30)
    form = {
        "kit": "1",
        "lot": "K1-2611",
        "use_by": (TODAY + dt.timedelta(days=150)).isoformat(),
        "dispensed_on": TODAY.isoformat(),
    }
    clients = [world.client("phil"), signed_in(world.phil)]
    url = f"/pharmacy/trials/{trial.pk}/kits/"
    responses = at_once([functools.partial(c.post, url, form) for c in clients])
    answered = [r for r in responses if isinstance(r, HttpResponseBase)]
    assert len(answered) == len(responses), responses
    assert sorted(r.status_code for r in answered) == [302, 400]
    refused = next(r for r in answered if isinstance(r, HttpResponse) and r.status_code == 400)
    assert "kit 1 is dispensed already" in refused.content.decode()
    stored = KitDispensing.objects.get(trial=trial)
    events = AuditEvent.objects.filter(object_type="clinic.KitDispensing", action=Action.CREATE)
    assert list(events.values_list("object_id", flat=True)) == [str(stored.pk)]
