"""The JSON API: diary submission and trial read-out, with the same checks as the pages."""

import json
import uuid

import pytest

from ldntrial.web.clinic.models import DiaryEntry
from ldntrial.web.clinic.queries import today_for


def payload(day, **overrides):
    body = {
        "client_key": str(uuid.uuid4()),
        "day": day.isoformat(),
        "scores": {"pain": 5, "sleep_quality": 6, "function": 6},
        "dose_taken": True,
        "dose_time": "21:45:00",
        "side_effects": [],
    }
    body.update(overrides)
    return body


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def url(world):
    return f"/api/trials/{world.ana_trial.pk}/diary"


def test_a_patient_submits_a_day_and_a_retry_returns_the_same_entry(world, url):
    body = payload(today_for(world.ana))
    first = post(world.client("ana_user"), url, body)
    again = post(world.client("ana_user"), url, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert DiaryEntry.objects.filter(trial=world.ana_trial).count() == 1


def test_a_correction_through_the_api_needs_a_reason(world, url):
    day = today_for(world.ana)
    post(world.client("ana_user"), url, payload(day))
    refused = post(
        world.client("ana_user"),
        url,
        payload(day, scores={"pain": 1, "sleep_quality": 6, "function": 6}),
    )
    assert refused.status_code == 422
    assert "correction_reason" in refused.json()["detail"]
    done = post(
        world.client("ana_user"),
        url,
        payload(
            day, correction_reason="typo", scores={"pain": 1, "sleep_quality": 6, "function": 6}
        ),
    )
    assert done.status_code == 201
    assert done.json()["version"] == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"scores": {"pain": 11, "sleep_quality": 6, "function": 6}}, "pain"),
        ({"scores": {"pain": 5}}, "sleep_quality"),
        ({"side_effects": ["hiccups"]}, "side_effects"),
        ({"dose_taken": None}, "dose_taken"),
    ],
)
def test_invalid_entries_name_the_field(world, url, change, field):
    response = post(world.client("ana_user"), url, payload(today_for(world.ana), **change))
    assert response.status_code == 422
    assert field in response.json()["detail"]


@pytest.mark.parametrize(
    "change",
    [
        {"scores": {"pain": "5", "sleep_quality": 6, "function": 6}},  # strict: no strings
        {"dose_taken": 0},
        {"colour": "blue"},
        {"client_key": "not-a-uuid"},
    ],
)
def test_wrongly_typed_json_is_refused_not_coerced(world, url, change):
    response = post(world.client("ana_user"), url, payload(today_for(world.ana), **change))
    assert response.status_code == 422
    assert not DiaryEntry.objects.exists()


def test_a_closed_day_is_a_400_with_the_reason(world, url):
    from datetime import timedelta

    day = today_for(world.ana) - timedelta(days=5)
    response = post(world.client("ana_user"), url, payload(day))
    assert response.status_code == 400
    assert "is closed" in response.json()["detail"]


def test_a_clinician_reads_the_trial_with_its_progress(world):
    world.diary(world.ana_trial, world.ana_user, today_for(world.ana))
    response = world.client("dr_ode").get(f"/api/trials/{world.ana_trial.pk}")
    data = response.json()
    assert response.status_code == 200
    assert data["fingerprint"] == world.ana_trial.fingerprint
    assert data["progress"]["stage"] == "titration"
    assert data["progress"]["doses_taken"] == 1
    assert data["protocol"]["condition"] == "fibromyalgia"


def test_the_diary_read_out_lists_current_entries(world):
    world.diary(world.ana_trial, world.ana_user, today_for(world.ana))
    response = world.client("ana_user").get(f"/api/trials/{world.ana_trial.pk}/diary")
    assert [e["scores"]["pain"] for e in response.json()] == [6]


def test_a_clinician_cannot_submit_a_patients_diary(world, url):
    response = post(world.client("dr_ode"), url, payload(today_for(world.ana)))
    assert response.status_code == 403


def test_another_patient_gets_404_whatever_the_body(world, url):
    assert post(world.client("ben_user"), url, {}).status_code == 404
    assert world.client("ben_user").get(f"/api/trials/{world.ana_trial.pk}").status_code == 404


def test_signed_out_callers_get_401(world, url):
    from django.test import Client

    assert Client().get(f"/api/trials/{world.ana_trial.pk}").status_code == 401


def test_the_openapi_document_describes_the_diary_body_and_errors():
    from django.test import Client

    schema = Client().get("/api/openapi.json").json()
    operation = schema["paths"]["/api/trials/{trial_id}/diary"]["post"]
    assert (
        "client_key"
        in operation["requestBody"]["content"]["application/json"]["schema"]["properties"]
    )
    assert {"200", "201", "400", "403", "404", "422"} <= set(operation["responses"])
