"""An amendment in a real browser: Dr Ode steps Ana back after side effects; the pharmacist
sees the new prescription, Ana sees her new plan and calendar, the report shows the change."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from ldntrial.web.clinic.models import PrescriptionStatus, ProtocolAmendment
from ldntrial.web.clinic.queries import today_for
from tests.e2e.test_flows import staff_sign_in
from tests.web.conftest import PASSWORD, World, start_trial_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_step_back_after_side_effects_reaches_pharmacy_patient_and_report(
    live_server, browser: Browser, shots
):
    world = World()
    world.ana_trial.status = "draft"
    world.ana_trial.save()
    trial = start_trial_for(world.ana, world.dr_ode, days_ago=30, condition="fibromyalgia")
    first_prescription = trial.prescription
    today = today_for(world.ana)
    step = trial.protocol().titration.step_on(today)
    assert step is not None
    assert str(step.dose) == "3 mg"
    base = live_server.url

    clinician = browser.new_context().new_page()
    staff_sign_in(clinician, base, world.dr_ode)
    clinician.goto(f"{base}/clinic/trials/{trial.pk}/")
    clinician.get_by_text("Amend the dosing schedule").click()
    clinician.get_by_label("Step back to the previous dose").check()
    clinician.get_by_label("Reason (e.g. vivid dreams at 3 mg)").fill(
        "vivid dreams and nausea at 3 mg"
    )
    shots(clinician, "amend")
    clinician.get_by_role("button", name="Save the amendment").click()
    expect(clinician.get_by_text("Amendment 1 saved")).to_be_visible()
    row = ProtocolAmendment.objects.get(trial=trial)
    expect(clinician.locator("#current-fingerprint")).to_have_text(row.fingerprint)
    expect(clinician.locator("#fingerprint")).to_have_text(trial.fingerprint)  # the original
    expect(clinician.get_by_role("cell", name="vivid dreams and nausea at 3 mg")).to_be_visible()
    shots(clinician, "amended")

    clinician.get_by_role("link", name="Reassessment and report").click()
    expect(clinician.locator("svg .amendment")).to_have_count(1)
    expect(clinician.locator("#amendments")).to_contain_text("step back to the previous dose")
    shots(clinician, "report")

    pharmacy = browser.new_context().new_page()
    staff_sign_in(pharmacy, base, world.phil)
    expect(pharmacy.get_by_role("heading", name="Prescriptions to prepare")).to_be_visible()
    new = trial.prescription
    assert new.pk != first_prescription.pk
    pharmacy.locator(f"a[href='/pharmacy/prescriptions/{new.pk}/']").click()
    expect(pharmacy.get_by_text("AMENDMENT 1 (step back to the previous dose)")).to_be_visible()
    shots(pharmacy, "new-prescription")
    first_prescription.refresh_from_db()
    assert first_prescription.status == PrescriptionStatus.SUPERSEDED

    patient = browser.new_context().new_page()
    patient.goto(f"{base}/account/login/")
    patient.get_by_label("Username").fill("ana")
    patient.get_by_label("Password").fill(PASSWORD)
    patient.get_by_role("button", name="Sign in").click()
    expect(patient.locator("#plan-changed")).to_contain_text("changed your dosing plan")
    expect(patient.get_by_text("Today's dose: 1.5 mg, at night.")).to_be_visible()
    shots(patient, "today")
    with patient.expect_download() as caught:
        patient.get_by_role("link", name="Download my dosing calendar").click()
    calendar = Path(caught.value.path()).read_text(encoding="utf-8")
    assert f"DTSTART;TZID=Europe/London:{today.strftime('%Y%m%d')}T" in calendar
    assert "Take your capsule: 1.5 mg" in calendar
