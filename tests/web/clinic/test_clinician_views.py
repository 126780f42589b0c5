"""The clinician's pages: each way out (success, invalid input with its message, forbidden)."""

import datetime as dt

from ldntrial import data
from ldntrial.core.trial.design import DEFAULT_REASSESSMENT_WEEKS
from ldntrial.web.audit.models import Action, AuditEvent
from ldntrial.web.clinic import services
from ldntrial.web.clinic.models import Medication, Patient, Trial, TrialStatus
from tests.web.conftest import plan_form

NEW_PATIENT = {
    "label": "FM-0077",
    "birth_year": "1980",
    "sex": "female",
    "conditions": ["fibromyalgia"],
    "time_zone": "Europe/London",
    "contact": "",
}


def test_the_dashboard_lists_the_clinics_patients_with_phase_and_alerts(world):
    world.diary(
        world.ana_trial,
        world.ana_user,
        world.ana_trial.protocol().first_dose_date,
        side_effects=["vivid_dreams"],
    )
    response = world.client("dr_ode").get("/clinic/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "FM-0001" in body
    assert "CR-0002" in body
    assert "FM-0100" not in body  # clinic B's patient
    assert "titration" in body
    assert "diary silent" in body


def test_a_clinician_creates_a_patient(world):
    response = world.client("dr_ode").post("/clinic/patients/new/", NEW_PATIENT)
    patient = Patient.objects.get(label="FM-0077")
    assert response.status_code == 302
    assert response["Location"] == f"/clinic/patients/{patient.pk}/"
    assert patient.clinic == world.clinic_a
    assert (
        AuditEvent.objects.filter(
            object_type="clinic.Patient", action=Action.CREATE, object_id=str(patient.pk)
        ).count()
        == 1
    )


def test_an_invalid_patient_shows_each_message_next_to_its_field(world):
    bad = {**NEW_PATIENT, "label": "Ana Smith!", "birth_year": "2999", "conditions": []}
    response = world.client("dr_ode").post("/clinic/patients/new/", bad)
    body = response.content.decode()
    assert response.status_code == 400
    assert "Use letters, digits, spaces, dots, dashes" in body
    assert "The year of birth cannot be in the future." in body
    assert "This field is required." in body
    assert not Patient.objects.filter(label="Ana Smith!").exists()


def test_a_duplicate_label_is_refused_with_a_message(world):
    response = world.client("dr_ode").post(
        "/clinic/patients/new/", {**NEW_PATIENT, "label": "FM-0001"}
    )
    assert response.status_code == 400
    assert "a patient labelled &#x27;FM-0001&#x27; already exists" in response.content.decode()


def test_pharmacists_cannot_create_patients(world):
    response = world.client("phil").post("/clinic/patients/new/", NEW_PATIENT)
    assert response.status_code == 403
    assert not Patient.objects.filter(label="FM-0077").exists()


def test_the_medication_list_is_kept_and_stopping_keeps_the_row_with_its_last_dose(world):
    client = world.client("dr_ode")
    client.post(f"/clinic/patients/{world.ana.pk}/medications/", {"text": "  tramadol   50 mg "})
    medication = Medication.objects.get(patient=world.ana)
    assert medication.text == "tramadol 50 mg"
    prefix = f"stop{medication.pk}"
    response = client.post(
        f"/clinic/medications/{medication.pk}/stop/",
        {f"{prefix}-last_dose_on": "2026-01-02", f"{prefix}-reason": "stopped by GP"},
    )
    assert response.status_code == 302
    medication.refresh_from_db()
    assert medication.removed_at is not None
    assert (medication.last_dose_on, medication.removal_reason) == (
        dt.date(2026, 1, 2),
        "stopped by GP",
    )
    page = client.get(f"/clinic/patients/{world.ana.pk}/").content.decode()
    assert "Recorded as no longer taken: tramadol 50 mg" in page  # once, as a message
    assert "tramadol" not in client.get(f"/clinic/patients/{world.ana.pk}/").content.decode()


def test_stopping_a_medicine_needs_the_last_dose_and_a_reason(world):
    medication = services.add_medication(by=world.dr_ode, patient=world.ana, text="tramadol")
    response = world.client("dr_ode").post(f"/clinic/medications/{medication.pk}/stop/", {})
    assert response.status_code == 400
    medication.refresh_from_db()
    assert medication.removed_at is None


def test_an_empty_medicine_is_refused_with_a_message(world):
    client = world.client("dr_ode")
    response = client.post(f"/clinic/patients/{world.ana.pk}/medications/", {"text": " "})
    assert response.status_code == 400
    assert "Write the medicine as the patient takes it." in response.content.decode()
    assert not Medication.objects.filter(patient=world.ana).exists()


def test_a_clinician_plans_reviews_and_starts_a_trial(world):
    client = world.client("dr_ode")
    patient = services.create_patient(
        by=world.dr_ode,
        label="FM-0009",
        birth_year=1970,
        sex="female",
        conditions=["fibromyalgia"],
        time_zone="Europe/London",
    )
    response = client.post(f"/clinic/patients/{patient.pk}/trials/new/", plan_form())
    trial = Trial.objects.filter(patient=patient).latest("created_at")
    assert response.status_code == 302
    assert trial.status == TrialStatus.DRAFT
    review = client.get(f"/clinic/trials/{trial.pk}/").content.decode()
    assert "draft: changes with any edit" in review
    assert "Pain should fall at least 30% from the baseline mean" in review
    started = client.post(f"/clinic/trials/{trial.pk}/start/", follow=True).content.decode()
    trial.refresh_from_db()
    assert trial.status == TrialStatus.ACTIVE
    assert trial.protocol().is_locked
    assert trial.fingerprint in started
    assert "Trial started: the protocol is locked." in started
    assert trial.prescription.status == "to_prepare"


def test_the_analysis_and_a_pgic_criterion_are_chosen_on_the_form_and_locked(world):
    client = world.client("dr_ode")
    response = client.post(
        f"/clinic/patients/{world.ana.pk}/trials/new/",
        plan_form(titration="model", run_in_days="7", trend="on", pgic_at_least="much_improved"),
    )
    assert response.status_code == 302
    trial = Trial.objects.filter(patient=world.ana).latest("created_at")
    protocol = trial.protocol()
    settings = protocol.analysis_settings
    assert (settings.titration.value, settings.run_in_days, settings.trend) == ("model", 7, True)
    assert protocol.success.pgic_at_least is not None
    assert protocol.success.pgic_at_least.value == "much_improved"
    review = client.get(f"/clinic/trials/{trial.pk}/").content.decode()
    assert "titration days modelled as a level of their own" in review
    assert "the first 7 days after the first dose left out" in review
    assert "much improved or very much improved" in review


def test_a_bad_analysis_choice_is_refused_in_the_form(world):
    response = world.client("dr_ode").post(
        f"/clinic/patients/{world.ana.pk}/trials/new/", plan_form(run_in_days="90")
    )
    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 84" in response.content.decode()


def test_a_plan_beyond_what_was_studied_is_refused_in_the_form(world):
    response = world.client("dr_ode").post(
        f"/clinic/patients/{world.ana.pk}/trials/new/", plan_form(target="7")
    )
    assert response.status_code == 400
    assert "above the highest daily dose studied (6 mg)" in response.content.decode()


def test_a_plan_outside_usual_practice_needs_the_warning_accepted(world):
    url = f"/clinic/patients/{world.ana.pk}/trials/new/"
    client = world.client("dr_ode")
    refused = client.post(url, plan_form(start_dose="3"))
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "start dose 3 mg is above the usual starting range" in page
    assert "--allow" not in page  # the form's own way of accepting, not the command line's
    assert "tick it below (start-above-usual)" in page
    accepted = client.post(url, plan_form(start_dose="3", allow=["start-above-usual"]))
    assert accepted.status_code == 302


def test_a_second_active_trial_for_the_same_patient_is_refused(world):
    client = world.client("dr_ode")
    client.post(f"/clinic/patients/{world.ana.pk}/trials/new/", plan_form())
    draft = Trial.objects.filter(patient=world.ana, status=TrialStatus.DRAFT).get()
    page = client.post(f"/clinic/trials/{draft.pk}/start/", follow=True).content.decode()
    assert "this patient already has an active trial" in page
    draft.refresh_from_db()
    assert draft.status == TrialStatus.DRAFT


def test_a_clinician_of_another_clinic_cannot_start_the_trial(world):
    Trial.objects.filter(pk=world.ana_trial.pk).update(status=TrialStatus.DRAFT)
    response = world.client("dr_bo").post(f"/clinic/trials/{world.ana_trial.pk}/start/")
    assert response.status_code == 404
    world.ana_trial.refresh_from_db()
    assert world.ana_trial.status == TrialStatus.DRAFT


def test_an_invitation_link_is_shown_once(world):
    patient = Patient.objects.create(
        clinic=world.clinic_a,
        label="NEW-1",
        birth_year=1990,
        sex="male",
        conditions=["crps"],
        time_zone="UTC",
    )
    client = world.client("dr_ode")
    page = client.post(f"/clinic/patients/{patient.pk}/invite/", follow=True).content.decode()
    assert "/join/" in page
    again = client.get(f"/clinic/patients/{patient.pk}/").content.decode()
    assert "/join/" not in again


def test_the_audit_history_shows_the_patients_events(world):
    response = world.client("dr_ode").get(f"/clinic/patients/{world.ana.pk}/audit/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "clinic.Trial" in body
    assert "trial started: protocol locked" in body


def test_a_researcher_cannot_read_the_audit_history(world):
    assert world.client("rae").get(f"/clinic/patients/{world.ana.pk}/audit/").status_code == 403


def test_the_trial_form_starts_from_the_profiles_usual_regimen(world):
    body = world.client("dr_ode").get(f"/clinic/patients/{world.ana.pk}/trials/new/").content
    text = body.decode()
    assert (
        "14 drug-free days, 1.5 mg at night stepping up by 1.5 mg every 14 days to 4.5 mg, "
        "reassessment 12 weeks after the first dose"
    ) in text
    assert 'name="start_dose" value="1.5"' in text
    assert 'name="success_percent" value="30"' in text


def test_the_clinician_chooses_which_of_the_patients_conditions_the_trial_is_for(world):
    patient = services.create_patient(
        by=world.dr_ode,
        label="FM-0010",
        birth_year=1970,
        sex="female",
        conditions=["fibromyalgia", "crohns_disease"],
        time_zone="Europe/London",
    )
    client = world.client("dr_ode")
    page = client.get(f"/clinic/patients/{patient.pk}/trials/new/").content.decode()
    assert 'value="crohns_disease"' in page
    client.post(f"/clinic/patients/{patient.pk}/trials/new/", plan_form(condition="crohns_disease"))
    assert Trial.objects.get(patient=patient).protocol().condition == "crohns_disease"


def test_the_trial_form_words_its_defaults_from_the_profile(world):
    profile = data.ldn_profile()
    page = world.client("dr_ode").get(f"/clinic/patients/{world.ana.pk}/trials/new/")
    body = page.content.decode()
    assert f"outside weeks {profile.reassessment_window_weeks}" in body
    assert f"default: {DEFAULT_REASSESSMENT_WEEKS} weeks after the first dose" in body
