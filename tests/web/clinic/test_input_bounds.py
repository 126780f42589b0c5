"""The absurd values of issue 12, one by one: each is a form error naming the field, never a
server error, and nothing is stored. Today is 27 November 2026 in London (the frozen clock)."""

import datetime as dt

import pytest

from ldntrial import data
from ldntrial.core.trial.choices import PlanChoices, design_from_choices
from ldntrial.web.audit.models import Action, AuditEvent
from ldntrial.web.clinic import services
from ldntrial.web.clinic.models import Patient, Trial
from tests.web.conftest import plan_form

NEW_PATIENT = {
    "label": "FM-0500",
    "birth_year": "1980",
    "sex": "female",
    "conditions": ["fibromyalgia"],
    "time_zone": "Europe/London",
}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("start_date", "9999-12-31", "the first baseline day 9999-12-31 is too far ahead"),
        ("start_date", "0001-01-01", "the first baseline day 0001-01-01 is too far back"),
        ("start_date", "1900-01-01", "the first baseline day 1900-01-01 is too far back"),
        ("start_date", "2024-01-01", "give a date from 2025-11-27 on"),
        ("interval_days", "99999999999", "less than or equal to 365"),
        ("interval_days", "0", "greater than or equal to 1"),
        ("baseline_days", "99999999999", "less than or equal to 365"),
        ("reassessment_date", "9999-12-31", "the reassessment date 9999-12-31 is too far ahead"),
    ],
)
def test_an_absurd_trial_plan_is_a_form_error(world, field, value, message):
    patient = world.ana
    before = Trial.objects.count()
    response = world.client("dr_ode").post(
        f"/clinic/patients/{patient.pk}/trials/new/", plan_form(**{field: value})
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Trial.objects.count() == before


def test_a_first_dose_already_past_needs_the_clinicians_acceptance(world):
    url = f"/clinic/patients/{world.ana.pk}/trials/new/"
    past = plan_form(start_date="2026-11-01")  # first dose on 15 November: already past
    refused = world.client("dr_ode").post(url, past)
    assert refused.status_code == 400
    assert "the first dose (2026-11-15) is already past" in refused.content.decode()
    accepted = world.client("dr_ode").post(url, {**past, "allow": ["first_dose_in_past"]})
    assert accepted.status_code == 302
    draft = Trial.objects.get(pk=int(accepted["Location"].rstrip("/").rsplit("/", 1)[1]))
    assert draft.protocol().first_dose_date == dt.date(2026, 11, 15)


def test_starting_a_draft_whose_first_dose_is_past_needs_the_acceptance_again(world):
    dee = services.create_patient(
        by=world.dr_ode,
        label="FM-0501",
        birth_year=1970,
        sex="female",
        conditions=["fibromyalgia"],
        time_zone="Europe/London",
    )
    protocol, _ = design_from_choices(
        PlanChoices(
            condition="fibromyalgia", start_date=dt.date(2026, 11, 1), time_zone="Europe/London"
        ),
        profile=data.ldn_profile(),
        instruments=data.instruments(),
        conditions=data.conditions(),
    )
    draft = services.create_trial(by=world.dr_ode, patient=dee, protocol=protocol)
    client = world.client("dr_ode")
    page = client.get(f"/clinic/trials/{draft.pk}/").content.decode()
    assert 'id="first-dose-warning"' in page
    refused = client.post(f"/clinic/trials/{draft.pk}/start/", follow=True)
    assert "Not started: the first dose (2026-11-15) is already past" in refused.content.decode()
    draft.refresh_from_db()
    assert draft.is_draft
    client.post(f"/clinic/trials/{draft.pk}/start/", {"allow": "first_dose_in_past"})
    draft.refresh_from_db()
    assert not draft.is_draft


@pytest.mark.parametrize(
    ("birth_year", "message"),
    [
        ("2999", "between 1901 and 2026 (got 2999)"),
        ("1900", "between 1901 and 2026 (got 1900)"),
        ("0", "between 1901 and 2026 (got 0)"),
        ("99999999999", "between 1901 and 2026 (got 99999999999)"),
    ],
)
def test_an_absurd_year_of_birth_is_a_form_error(world, birth_year, message):
    response = world.client("dr_ode").post(
        "/clinic/patients/new/", {**NEW_PATIENT, "birth_year": birth_year}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Patient.objects.filter(label="FM-0500").exists()


# Absurd dispensing dates: tests/web/clinic/test_pharmacy_views.py (with the lots they need).


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1900-01-01"])
def test_an_absurd_planned_operation_is_a_form_error(world, day):
    response = world.client("dr_ode").post(
        f"/clinic/patients/{world.ana.pk}/situations/", {"surgery_planned": day}
    )
    assert response.status_code == 400
    assert "the planned operation" in response.content.decode()
    world.ana.refresh_from_db()
    assert world.ana.surgery_planned is None


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1900-01-01"])
def test_an_absurd_last_dose_is_a_form_error(world, day):
    response = world.client("dr_ode").post(
        f"/clinic/patients/{world.ana.pk}/medications/",
        {"text": "tramadol 50 mg", "stopped": "on", "last_dose_on": day, "reason": "GP"},
    )
    assert response.status_code == 400
    assert world.ana.medications.count() == 0


def test_a_refused_path_with_a_nul_is_recorded_escaped_not_a_server_error(world):
    # PostgreSQL text refuses NUL bytes; the refusal's audit event keeps the path escaped.
    response = world.client("dr_ode").get("/me/diary/%00/")
    assert response.status_code == 403
    event = AuditEvent.objects.filter(action=Action.ACCESS_REFUSED).latest("at")
    assert "/me/diary/\\x00/" in event.reason
