"""The pharmacist's queue and dispensing; the researcher's counts."""

import datetime as dt

from ldntrial.web.clinic.models import PrescriptionStatus


def test_the_queue_lists_the_clinics_prescriptions_to_prepare(world):
    body = world.client("phil").get("/pharmacy/").content.decode()
    assert "FM-0001" in body
    assert "CR-0002" in body
    assert "FM-0100" not in body
    assert "16 × 1.5 mg capsules" in body


def test_the_prescription_page_shows_the_compounding_order(world):
    body = (
        world.client("phil")
        .get(f"/pharmacy/prescriptions/{world.ana_trial.prescription.pk}/")
        .content.decode()
    )
    assert "PRESCRIPTION - compounded low-dose naltrexone" in body
    assert "4.5 mg capsules: dispense 63 (needed 57)" in body
    assert "FM-0001 - naltrexone 4.5 mg capsules" in body


def test_a_pharmacist_marks_a_prescription_dispensed(world):
    url = f"/pharmacy/prescriptions/{world.ana_trial.prescription.pk}/"
    response = world.client("phil").post(
        url,
        {"lot_number": "LOT-42", "dispensed_on": "2026-11-27"},  # the prescription's day
    )
    prescription = world.ana_trial.prescription
    prescription.refresh_from_db()
    assert response.status_code == 302
    assert (prescription.status, prescription.lot_number, prescription.dispensed_on) == (
        PrescriptionStatus.DISPENSED,
        "LOT-42",
        dt.date(2026, 11, 27),
    )
    assert prescription.dispensed_by == world.phil


def test_dispensing_without_a_lot_number_or_in_the_future_is_refused(world):
    url = f"/pharmacy/prescriptions/{world.ana_trial.prescription.pk}/"
    future = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)).isoformat()
    response = world.client("phil").post(url, {"lot_number": " ", "dispensed_on": future})
    body = response.content.decode()
    assert response.status_code == 400
    assert "enter the lot number printed on the preparation" in body or "required" in body
    response = world.client("phil").post(url, {"lot_number": "L1", "dispensed_on": future})
    assert "the dispensing date cannot be in the future" in response.content.decode()
    world.ana_trial.prescription.refresh_from_db()
    assert world.ana_trial.prescription.status == PrescriptionStatus.TO_PREPARE


def test_a_clinician_cannot_dispense(world):
    url = f"/pharmacy/prescriptions/{world.ana_trial.prescription.pk}/"
    response = world.client("dr_ode").post(url, {"lot_number": "X", "dispensed_on": "2026-01-05"})
    assert response.status_code == 403


def test_the_researcher_sees_counts_per_condition_and_no_patient(world):
    body = world.client("rae").get("/research/").content.decode()
    assert "Fibromyalgia" in body
    assert "Complex regional pain syndrome" in body
    assert "FM-0001" not in body
