"""Screening in the web app: the page, resolving unrecognised text, situations, the start gate,
stopped opioids and their interval, and the dashboard alert."""

import datetime as dt

from ldntrial import data
from ldntrial.core.trial.choices import PlanChoices, design_from_choices
from ldntrial.web.audit.models import Action, AuditEvent
from ldntrial.web.clinic import services
from ldntrial.web.clinic.models import Medication, TrialStatus
from ldntrial.web.clinic.queries import today_for
from tests.web.conftest import plan_form


def new_patient(world, label="FM-0300"):
    return services.create_patient(
        by=world.dr_ode,
        label=label,
        birth_year=1970,
        sex="female",
        conditions=["fibromyalgia"],
        time_zone="Europe/London",
    )


def draft_trial(world, patient, *, days_ahead=0):

    start = today_for(patient) + dt.timedelta(days=days_ahead)
    protocol, _ = design_from_choices(
        PlanChoices(condition="fibromyalgia", start_date=start, time_zone=patient.time_zone),
        profile=data.ldn_profile(),
        instruments=data.instruments(),
        conditions=data.conditions(),
    )
    return services.create_trial(by=world.dr_ode, patient=patient, protocol=protocol)


def test_the_screening_page_shows_findings_with_their_sources(world):
    services.add_medication(by=world.dr_ode, patient=world.ana, text="Tylenol #3 1 tab prn")
    body = (
        world.client("dr_ode").get(f"/clinic/patients/{world.ana.pk}/screening/").content.decode()
    )
    assert 'id="verdict" class="alert">contraindicated' in body
    assert "codeine and paracetamol" in body
    assert "drugcentral.org/label" in body


def test_a_trial_cannot_start_with_an_open_contraindication(world):
    patient = new_patient(world)
    services.add_medication(by=world.dr_ode, patient=patient, text="tramadol 50mg prn")
    trial = draft_trial(world, patient)
    page = world.client("dr_ode").post(f"/clinic/trials/{trial.pk}/start/", follow=True)
    body = page.content.decode()
    trial.refresh_from_db()
    assert trial.status == TrialStatus.DRAFT
    assert (
        "the trial cannot start while the safety screening has open findings: tramadol "
        "(contraindicated)" in body
    )


def test_an_unrecognised_medicine_blocks_until_the_clinician_resolves_it(world):
    patient = new_patient(world)
    medication = services.add_medication(by=world.dr_ode, patient=patient, text="Zzzquil 500mg")
    trial = draft_trial(world, patient)
    client = world.client("dr_ode")
    client.post(f"/clinic/trials/{trial.pk}/start/")
    trial.refresh_from_db()
    assert trial.status == TrialStatus.DRAFT
    response = client.post(
        f"/clinic/medications/{medication.pk}/resolve/", {f"m{medication.pk}-not_an_opioid": "on"}
    )
    assert response.status_code == 302
    medication.refresh_from_db()
    assert medication.confirmed_not_opioid
    assert medication.resolved_by == world.dr_ode
    assert (
        AuditEvent.objects.filter(
            object_type="clinic.Medication",
            action=Action.UPDATE,
            reason="screening finding resolved",
        ).count()
        == 1
    )
    client.post(f"/clinic/trials/{trial.pk}/start/")
    trial.refresh_from_db()
    assert trial.status == TrialStatus.ACTIVE


def test_resolving_to_a_catalogue_entry_applies_that_entry(world):
    patient = new_patient(world)
    medication = services.add_medication(by=world.dr_ode, patient=patient, text="Contramal 50")
    world.client("dr_ode").post(
        f"/clinic/medications/{medication.pk}/resolve/", {f"m{medication.pk}-medicine": "tramadol"}
    )
    body = world.client("dr_ode").get(f"/clinic/patients/{patient.pk}/screening/").content.decode()
    assert ">contraindicated<" in body
    assert "tramadol" in body


def test_a_resolution_needs_exactly_one_answer(world):
    medication = services.add_medication(by=world.dr_ode, patient=world.ana, text="zzz pills")
    response = world.client("dr_ode").post(f"/clinic/medications/{medication.pk}/resolve/", {})
    assert response.status_code == 400
    assert (
        "Choose what the medicine is, or confirm it is not an opioid" in response.content.decode()
    )
    medication.refresh_from_db()
    assert not medication.confirmed_not_opioid


def test_situations_are_saved_and_screened(world):
    client = world.client("dr_ode")
    response = client.post(
        f"/clinic/patients/{world.ana.pk}/situations/",
        {"situations": ["pregnant"], "surgery_planned": "2030-01-05"},
    )
    assert response.status_code == 302
    world.ana.refresh_from_db()
    assert world.ana.situations == ["pregnant"]
    body = client.get(f"/clinic/patients/{world.ana.pk}/screening/").content.decode()
    assert "Pregnancy" in body
    assert "Planned operation or procedure on 2030-01-05" in body


def test_an_opioid_added_during_a_trial_raises_a_dashboard_alert_at_once(world):
    client = world.client("dr_ode")
    assert "opioid on the medicine list" not in client.get("/clinic/").content.decode()
    client.post(f"/clinic/patients/{world.ana.pk}/medications/", {"text": "oxycodone 5mg prn"})
    body = client.get("/clinic/").content.decode()
    assert "opioid on the medicine list: oxycodone" in body


def test_another_clinic_cannot_resolve_or_see_the_screening(world):
    medication = services.add_medication(by=world.dr_ode, patient=world.ana, text="zzz pills")
    client = world.client("dr_bo")
    assert client.get(f"/clinic/patients/{world.ana.pk}/screening/").status_code == 404
    response = client.post(
        f"/clinic/medications/{medication.pk}/resolve/", {f"m{medication.pk}-not_an_opioid": "on"}
    )
    assert response.status_code == 404
    assert not Medication.objects.get(pk=medication.pk).confirmed_not_opioid


def test_the_patient_page_shows_the_screening_verdict(world):
    services.add_medication(by=world.dr_ode, patient=world.ana, text="sertraline 50mg")
    body = world.client("dr_ode").get(f"/clinic/patients/{world.ana.pk}/").content.decode()
    assert 'id="screening-verdict">info' in body


def stop(client, medication, last_dose, reason="stopped by GP"):
    prefix = f"stop{medication.pk}"
    return client.post(
        f"/clinic/medications/{medication.pk}/stop/",
        {f"{prefix}-last_dose_on": last_dose.isoformat(), f"{prefix}-reason": reason},
    )


def test_stopping_an_opioid_sets_the_earliest_first_dose_and_is_audited(world):
    patient = new_patient(world)
    medication = services.add_medication(by=world.dr_ode, patient=patient, text="methadone 40mg")
    client = world.client("dr_ode")
    today = today_for(patient)
    response = stop(client, medication, today)
    assert response.status_code == 302
    body = client.get(f"/clinic/patients/{patient.pk}/screening/").content.decode()
    earliest = today + dt.timedelta(days=15)
    assert f"can be given on <strong>{earliest:%-d %b %Y}</strong> at the earliest" in body
    event = AuditEvent.objects.filter(object_type="clinic.Medication", action=Action.UPDATE).last()
    assert event is not None
    assert event.before is not None
    assert event.after is not None
    assert event.reason == "stopped: stopped by GP"
    assert event.after["last_dose_on"] == today.isoformat()
    assert event.before["removed_at"] is None


def test_a_trial_is_refused_before_the_interval_ends_and_allowed_after(world):
    patient = new_patient(world)
    medication = services.add_medication(by=world.dr_ode, patient=patient, text="methadone 40mg")
    client = world.client("dr_ode")
    stop(client, medication, today_for(patient))
    too_soon = draft_trial(world, patient)  # first dose after a 14-day baseline: day 14
    page = client.post(f"/clinic/trials/{too_soon.pk}/start/", follow=True).content.decode()
    too_soon.refresh_from_db()
    assert too_soon.status == TrialStatus.DRAFT
    assert "falls inside the opioid-free interval" in page
    in_time = draft_trial(world, patient, days_ahead=1)  # first dose on day 15
    client.post(f"/clinic/trials/{in_time.pk}/start/")
    in_time.refresh_from_db()
    assert in_time.status == TrialStatus.ACTIVE


def test_the_trial_form_shows_and_enforces_the_earliest_first_dose(world):
    patient = new_patient(world)
    medication = services.add_medication(by=world.dr_ode, patient=patient, text="codeine 30mg")
    client = world.client("dr_ode")
    stop(client, medication, today_for(patient))
    page = client.get(f"/clinic/patients/{patient.pk}/trials/new/").content.decode()
    assert 'id="earliest-first-dose"' in page
    form = plan_form(start_date=today_for(patient).isoformat(), baseline_days="7")
    response = client.post(f"/clinic/patients/{patient.pk}/trials/new/", form)
    assert response.status_code == 400
    assert "falls inside the opioid-free interval" in response.content.decode()


def test_a_stop_needs_a_plausible_last_dose(world):
    medication = services.add_medication(by=world.dr_ode, patient=world.ana, text="tramadol")
    client = world.client("dr_ode")
    future = today_for(world.ana) + dt.timedelta(days=3)
    assert stop(client, medication, future).status_code == 400
    assert stop(client, medication, dt.date(1900, 1, 1)).status_code == 400
    medication.refresh_from_db()
    assert medication.removed_at is None


def test_the_screening_page_shows_the_standing_advice_with_sources(world):
    body = (
        world.client("dr_ode").get(f"/clinic/patients/{world.ana.pk}/screening/").content.decode()
    )
    assert 'id="advice-sensitivity_after_stopping"' in body
    assert "MORE sensitive to opioids" in body
    assert 'id="advice-liver_tests"' in body
