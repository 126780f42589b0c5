"""Races on "add patient": Dr Ode's form submitted two or three times at once with one label.

Real threads, each with its own database connection, against committed data (a transactional
test, as in tests/web/security/test_races.py). One patient is stored with one audit event; every
other submission gets the form back with the label's message, never a server error.
"""

from __future__ import annotations

import functools

import pytest
from django.http import HttpResponse
from django.http.response import HttpResponseBase

from ldntrial.web.audit.models import Action, AuditEvent
from ldntrial.web.clinic.models import Patient
from tests.web.concurrency import at_once
from tests.web.conftest import World

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("append_only_lifted"),
]

SUBMITTED = {
    "label": "FM-0777",
    "birth_year": "1980",
    "sex": "female",
    "conditions": ["fibromyalgia"],
    "time_zone": "Europe/London",
    "contact": "",
}


@pytest.mark.parametrize("submissions", [2, 3])
@pytest.mark.parametrize("round_", range(3))
def test_one_label_submitted_at_once_stores_one_patient_and_answers_the_rest(submissions, round_):
    world = World()
    clients = [world.client("dr_ode")] + [_fresh_client_for(world) for _ in range(submissions - 1)]
    responses = at_once(
        [functools.partial(c.post, "/clinic/patients/new/", SUBMITTED) for c in clients]
    )
    answered = [r for r in responses if isinstance(r, HttpResponseBase)]
    assert len(answered) == len(responses), responses
    codes = sorted(r.status_code for r in answered)
    assert codes == [302] + [400] * (submissions - 1), codes
    for refused in (r for r in answered if isinstance(r, HttpResponse) and r.status_code == 400):
        assert "a patient labelled &#x27;FM-0777&#x27; already exists" in refused.content.decode()
    stored = Patient.objects.filter(clinic=world.clinic_a, label="FM-0777")
    assert stored.count() == 1
    events = AuditEvent.objects.filter(object_type="clinic.Patient", action=Action.CREATE)
    assert events.filter(object_id=str(stored.get().pk)).count() == 1
    assert events.count() == 4  # Ana, Ben, Cy and FM-0777: nothing from the refused ones


def _fresh_client_for(world):
    from tests.web.conftest import signed_in

    return signed_in(world.dr_ode)
