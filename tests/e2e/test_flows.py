"""The three flows of the web app, in a real browser (Chromium, driven by Playwright)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from ldntrial.web.accounts import services as accounts
from ldntrial.web.accounts.models import Role, TOTPDevice
from ldntrial.web.audit.models import AuditEvent
from ldntrial.web.clinic.models import DiaryEntry, Patient, PrescriptionStatus, Trial
from ldntrial.web.clinic.queries import today_for
from tests.web.conftest import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def staff_sign_in(page: Page, base: str, user) -> None:
    device = TOTPDevice.new(user, name="phone", confirmed=True)
    page.goto(f"{base}/account/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Second sign-in step")).to_be_visible()
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    page.get_by_label("6-digit code from your authenticator app").fill(code)
    page.get_by_role("button", name="Continue").click()


def test_a_clinician_creates_a_patient_and_starts_a_trial(live_server, page: Page, shots):
    world = World()
    staff_sign_in(page, live_server.url, world.dr_ode)
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    shots(page, "dashboard")
    page.get_by_role("link", name="Add a patient").click()
    page.get_by_label("Pseudonymous label").fill("FM-0500")
    page.get_by_label("Year of birth").fill("1979")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Fibromyalgia").check()
    page.get_by_label("Time zone").select_option("Europe/London")
    shots(page, "new-patient")
    page.get_by_role("button", name="Add patient").click()
    expect(page.get_by_role("heading", name="FM-0500")).to_be_visible()
    page.get_by_role("link", name="Plan a trial").click()
    shots(page, "plan-trial")
    page.get_by_role("button", name="Save draft protocol").click()
    expect(page.get_by_text("draft: changes with any edit")).to_be_visible()
    shots(page, "review")
    page.get_by_role("button", name="Start trial and lock protocol").click()
    expect(page.get_by_text("Trial started: the protocol is locked.")).to_be_visible()
    trial = Trial.objects.get(patient__label="FM-0500")
    expect(page.locator("#fingerprint")).to_have_text(trial.fingerprint)
    shots(page, "started")
    assert trial.protocol().is_locked


def test_a_patient_joins_fills_the_diary_twice_and_sees_the_chart(live_server, browser, shots):
    world = World()
    patient = Patient.objects.create(
        clinic=world.clinic_a,
        label="FM-0600",
        birth_year=1985,
        sex="female",
        conditions=["fibromyalgia"],
        time_zone="Europe/London",
    )
    from tests.web.conftest import start_trial_for

    trial = start_trial_for(patient, world.dr_ode, condition="fibromyalgia")
    _, token = accounts.invite(
        by=world.dr_ode, role=Role.PATIENT, username="fm-0600", patient=patient
    )
    context = browser.new_context(**PHONE)
    page = context.new_page()
    # The code rides after "#": the page's script puts it in the form and out of the address.
    page.goto(f"{live_server.url}/join/#{token}")
    expect(page.get_by_label("Invitation code")).to_have_value(token)
    assert "#" not in page.url
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#username")).to_have_text("fm-0600")
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("The same password again").fill(PASSWORD)
    shots(page, "join")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Hello")).to_be_visible()
    shots(page, "today")

    page.get_by_role("link", name="Today – fill in").click()
    for name in ("Your average pain", "How well you slept", "How well you could do"):
        page.get_by_role("group", name=name).get_by_text("6", exact=True).click()
    page.get_by_role("group", name="Did you take your dose?").get_by_text("Yes").click()
    page.get_by_text("Vivid dreams").click()
    shots(page, "diary")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("link", name="Today ✓ filled (change)")).to_be_visible()

    page.get_by_role("link", name="Today ✓ filled (change)").click()
    page.get_by_role("group", name="Your average pain").get_by_text("3", exact=True).click()
    page.get_by_label("Why are you changing this day?").fill("pressed the wrong number")
    shots(page, "correction")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("link", name="Today ✓ filled (change)")).to_be_visible()

    day = today_for(patient)
    versions = list(DiaryEntry.objects.filter(trial=trial, day=day).order_by("version"))
    assert [(v.version, v.is_current, v.scores["pain"]) for v in versions] == [
        (1, False, 6),
        (2, True, 3),
    ]

    page.get_by_role("link", name="See my chart").click()
    expect(page.locator(".chart svg")).to_have_count(3)
    shots(page, "chart")
    context.close()


def test_a_pharmacist_marks_a_prescription_dispensed(live_server, page: Page, shots):
    world = World()
    staff_sign_in(page, live_server.url, world.phil)
    expect(page.get_by_role("heading", name="Prescriptions to prepare")).to_be_visible()
    shots(page, "queue")
    page.get_by_role("link", name="FM-0001").click()
    expect(page.get_by_text("PRESCRIPTION - compounded low-dose naltrexone")).to_be_visible()
    today = today_for(world.ana)
    use_by = (today + dt.timedelta(days=90)).isoformat()
    for strength in ("1.5", "3", "4.5"):
        page.get_by_label(f"Lot number, {strength} mg capsules").fill(f"LOT-{strength}")
        page.get_by_label(f"Use by, {strength} mg capsules").fill(use_by)
    page.get_by_label("Date dispensed").fill(today.isoformat())
    shots(page, "prescription")
    page.get_by_role("button", name="Mark dispensed").click()
    expect(page.get_by_text("1.5 mg capsules lot LOT-1.5; 3 mg capsules lot LOT-3")).to_be_visible()
    shots(page, "dispensed")
    prescription = world.ana_trial.prescription
    prescription.refresh_from_db()
    assert prescription.status == PrescriptionStatus.DISPENSED


def test_the_start_button_is_refused_with_an_open_contraindication(live_server, page: Page, shots):
    world = World()
    patient = Patient.objects.create(
        clinic=world.clinic_a,
        label="FM-0700",
        birth_year=1970,
        sex="female",
        conditions=["fibromyalgia"],
        time_zone="Europe/London",
    )
    staff_sign_in(page, live_server.url, world.dr_ode)
    page.goto(f"{live_server.url}/clinic/patients/{patient.pk}/")
    page.get_by_label("Medicine as the patient takes it").fill("Tylenol #3 1 tab prn")
    page.get_by_role("button", name="Add medicine").click()
    expect(page.locator("#screening-verdict")).to_have_text("contraindicated")
    page.get_by_role("link", name="open the screening").click()
    expect(page.locator("#findings")).to_contain_text("codeine and paracetamol")
    shots(page, "screening")
    page.goto(f"{live_server.url}/clinic/patients/{patient.pk}/trials/new/")
    page.get_by_role("button", name="Save draft protocol").click()
    page.get_by_role("button", name="Start trial and lock protocol").click()
    expect(
        page.get_by_text("the trial cannot start while the safety screening has open findings")
    ).to_be_visible()
    shots(page, "start-refused")
    assert Trial.objects.get(patient=patient).status == "draft"


def test_an_opioid_added_during_a_trial_shows_on_the_dashboard(live_server, page: Page, shots):
    world = World()
    staff_sign_in(page, live_server.url, world.dr_ode)
    page.goto(f"{live_server.url}/clinic/patients/{world.ana.pk}/")
    page.get_by_label("Medicine as the patient takes it").fill("oxycodon 5mg prn")
    page.get_by_role("button", name="Add medicine").click()
    page.get_by_role("link", name="Patients").click()
    expect(page.locator("#patients")).to_contain_text("opioid on the medicine list: oxycodone")
    shots(page, "dashboard-alert")


def test_a_clinician_reassesses_and_signs_and_the_patient_sees_the_result(
    live_server, browser, shots
):
    world = World()
    world.due_trial(seed=11)

    context = browser.new_context()
    page = context.new_page()
    staff_sign_in(page, live_server.url, world.dr_ode)
    page.get_by_role("link", name="reassess", exact=True).click()
    expect(page.get_by_text("includes placebo response").first).to_be_visible()
    shots(page, "report")
    review = today_for(world.ana) + dt.timedelta(weeks=4)
    page.get_by_label("Follow-up date (stop) or next review date (continue)").fill(
        review.isoformat()
    )
    page.get_by_label("Your password, to sign").fill(PASSWORD)
    page.get_by_role("button", name="Sign the decision").click()
    expect(page.get_by_text("signature valid")).to_be_visible()
    expect(page.locator("#trial-state")).to_have_text("Follow-up (continuing LDN)")
    shots(page, "signed")
    context.close()

    phone = browser.new_context(**PHONE)
    patient = phone.new_page()
    patient.goto(f"{live_server.url}/account/login/")
    patient.get_by_label("Username").fill("ana")
    patient.get_by_label("Password").fill(PASSWORD)
    patient.get_by_role("button", name="Sign in").click()
    patient.get_by_role("link", name="My result").click()
    expect(patient.locator("#summary")).to_contain_text("You and your clinician decided")
    shots(patient, "patient-result")
    phone.close()


def test_stopping_an_opioid_sets_the_earliest_start_and_the_start_waits_for_it(
    live_server, page: Page, shots
):
    world = World()
    patient = Patient.objects.create(
        clinic=world.clinic_a,
        label="FM-0800",
        birth_year=1970,
        sex="female",
        conditions=["fibromyalgia"],
        time_zone="Europe/London",
    )
    staff_sign_in(page, live_server.url, world.dr_ode)
    page.goto(f"{live_server.url}/clinic/patients/{patient.pk}/")
    page.get_by_label("Medicine as the patient takes it").fill("methadone 40mg daily")
    page.get_by_role("button", name="Add medicine").click()
    page.get_by_role("link", name="open the screening").click()
    today = today_for(patient)
    page.get_by_label("Last dose on").fill(today.isoformat())
    page.get_by_label("Why it is no longer taken").fill("tapered off by the addiction service")
    shots(page, "stop-form")
    page.get_by_role("button", name="Record as stopped").click()
    earliest = today + dt.timedelta(days=15)  # methadone: 14 whole days without it
    expect(page.locator("#earliest-first-dose")).to_contain_text(f"{earliest:%-d %b %Y}")
    shots(page, "earliest")

    page.goto(f"{live_server.url}/clinic/patients/{patient.pk}/trials/new/")
    expect(page.locator("#earliest-first-dose")).to_be_visible()
    page.get_by_label("First baseline day").fill(today.isoformat())
    page.get_by_role("button", name="Save draft protocol").click()
    expect(page.get_by_text("falls inside the opioid-free interval")).to_be_visible()
    shots(page, "form-refused")
    page.get_by_label("First baseline day").fill((today + dt.timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Save draft protocol").click()
    page.get_by_role("button", name="Start trial and lock protocol").click()
    expect(page.get_by_text("Trial started: the protocol is locked.")).to_be_visible()
    shots(page, "started")
    event = AuditEvent.objects.filter(object_type="clinic.Medication", action="update").last()
    assert event is not None
    assert event.reason == "stopped: tapered off by the addiction service"


def test_resolving_a_medicine_updates_the_screening_without_reloading_the_page(
    live_server, page: Page, shots
):
    world = World()
    medication = world.ana.medications.create(clinic=world.clinic_a, text="Zzzquil 500mg")
    staff_sign_in(page, live_server.url, world.dr_ode)
    page.goto(f"{live_server.url}/clinic/patients/{world.ana.pk}/screening/")
    expect(page.locator("#verdict")).to_have_text("unrecognised")
    page.evaluate("window.notReloaded = true")
    form = page.locator(f"#resolve-{medication.pk}")
    form.get_by_role("button", name="Resolve").click()  # neither answer: refused in place
    expect(page.get_by_text("Choose what the medicine is, or confirm")).to_be_visible()
    form = page.locator(f"#resolve-{medication.pk}")
    form.get_by_label("or: I have checked, it is not an opioid").check()
    form.get_by_role("button", name="Resolve").click()
    expect(page.get_by_text("Resolved: Zzzquil 500mg")).to_be_visible()
    expect(page.locator("#verdict")).to_have_text("info")
    assert page.evaluate("window.notReloaded === true")
    shots(page, "resolved-in-place")


def test_the_patient_answers_the_end_of_trial_questions_and_the_report_shows_them(
    live_server, browser, shots
):
    world = World()
    trial = world.due_trial(seed=11)

    phone = browser.new_context(**PHONE)
    patient = phone.new_page()
    patient.goto(f"{live_server.url}/account/login/")
    patient.get_by_label("Username").fill("ana")
    patient.get_by_label("Password").fill(PASSWORD)
    patient.get_by_role("button", name="Sign in").click()
    patient.locator("#visit-reassessment").get_by_role("link", name="Answer now").click()
    for item, answer in (("pain on average", "3"), ("enjoyment of life", "2"), ("general", "4")):
        group = patient.get_by_role("group", name=re.compile(item))
        group.get_by_label(answer, exact=True).check()
    patient.get_by_label("Much improved", exact=True).check()
    shots(patient, "end-of-trial-questions")
    patient.get_by_role("button", name="Save").click()
    expect(patient.locator("#visit-reassessment")).to_contain_text("answered")
    phone.close()

    context = browser.new_context()
    page = context.new_page()
    staff_sign_in(page, live_server.url, world.dr_ode)
    page.goto(f"{live_server.url}/clinic/trials/{trial.pk}/reassessment/")
    expect(page.locator("#visit-measures")).to_contain_text("much improved")
    expect(page.locator("#visit-measures")).to_contain_text("3.0 (pain 3, enjoyment of life 2")
    shots(page, "report-visit-measures")
    context.close()
