"""Screening in the web app: the page, resolving unrecognised text, situations, the start gate
and the dashboard alert."""

from ldntrial.web.audit.models import Action, AuditEvent
from ldntrial.web.clinic import services
from ldntrial.web.clinic.models import Medication, TrialStatus


def new_patient(world, label="FM-0300"):
    return services.create_patient(
        by=world.dr_ode,
        label=label,
        birth_year=1970,
        sex="female",
        conditions=["fibromyalgia"],
        time_zone="Europe/London",
    )


def draft_trial(world, patient):
    from ldntrial import data
    from ldntrial.core.planning import PlanChoices, design_from_choices
    from ldntrial.web.clinic.queries import today_for

    protocol, _ = design_from_choices(
        PlanChoices(
            condition="fibromyalgia", start_date=today_for(patient), time_zone=patient.time_zone
        ),
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
    medication = services.add_medication(by=world.dr_ode, patient=patient, text="metformin 500mg")
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
