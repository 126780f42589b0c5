"""A blinded n-of-1 trial in a real browser: the pharmacist prepares and dispenses the kits, Ana
answers the end-of-period questions of her last two periods, Dr Ode unblinds at the end and
reads the placebo-controlled result and its report.

Ana's trial started 126 days ago: 42 days of baseline and open titration, then three pairs of
14-day periods that ended yesterday. Her diary and her first four periods' answers (filled
beforehand, synthetic: tests/web/clinic/blinded_world.py) have pain about 2 points lower in the
LDN periods than in the placebo ones.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from ldntrial.web.clinic.models import KitDispensing, PeriodReport, Trial, Unblinding
from ldntrial.web.clinic.queries import today_for
from tests.e2e.test_flows import staff_sign_in
from tests.web.clinic.blinded_world import fill_diary
from tests.web.conftest import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARM_WORDS = ("placebo period", "LDN period", "active", "no_capsule")


def _blinded_world() -> tuple[World, Trial]:
    world = World()
    trial = world.blinded_trial(days_ago=42 + 6 * 14)
    fill_diary(world, trial, unanswered={5, 6})
    return world, trial


def test_pharmacy_kits_patient_periods_unblinding_and_the_blinded_report(
    live_server, browser: Browser, shots, tmp_path: Path
):
    world, trial = _blinded_world()
    base = live_server.url

    # The pharmacist: the kit list, the preparation sheet, a dispensing and the labels.
    pharmacy = browser.new_context().new_page()
    staff_sign_in(pharmacy, base, world.phil)
    pharmacy.goto(f"{base}/pharmacy/trials/{trial.pk}/kits/")
    expect(pharmacy.locator("#preparation-sheet tbody tr")).to_have_count(6)
    expect(pharmacy.locator("#identical-statement")).to_contain_text("identical")
    form = pharmacy.locator("#dispense-kit-1")
    form.get_by_label("Lot number").fill("LDN-2611-K1")
    form.get_by_label("Use by").fill((today_for(world.ana) + dt.timedelta(days=60)).isoformat())
    # The trial was set up (started) today with its dates in the past: dispensed today.
    form.get_by_label("Date dispensed").fill(today_for(world.ana).isoformat())
    shots(pharmacy, "kit-dispensing")
    form.get_by_role("button", name="Record kit 1 as dispensed").click()
    shots(pharmacy, "kit-dispensed")
    expect(pharmacy.locator('#preparation-sheet tr[data-kit="1"]')).to_contain_text("LDN-2611-K1")
    assert KitDispensing.objects.filter(trial=trial, kit=1, lot="LDN-2611-K1").exists()
    pharmacy.get_by_role("link", name="Print the labels").click()
    labels = pharmacy.content()
    assert labels.count("naltrexone 4.5 mg or placebo") == 6
    shots(pharmacy, "kit-labels")

    # Ana: the last two periods' questions, then the diary of yesterday names the period only.
    patient = browser.new_context().new_page()
    patient.goto(f"{base}/account/login/")
    patient.get_by_label("Username").fill("ana")
    patient.get_by_label("Password").fill(PASSWORD)
    patient.get_by_role("button", name="Sign in").click()
    for number, guess, impression in ((5, "Placebo", "No change"), (6, "LDN", "Much improved")):
        question = patient.locator(f"#period-report-{number}")
        expect(question).to_be_visible()
        question.get_by_label(guess, exact=False).first.check()
        question.get_by_label(impression, exact=True).check()
        shots(patient, f"period-{number}-questions")
        question.get_by_role("button", name="Save my answers").click()
        expect(patient.locator(f"#period-report-{number}")).to_have_count(0)
    assert PeriodReport.objects.filter(trial=trial).count() == 6
    yesterday = today_for(world.ana) - dt.timedelta(days=1)
    patient.goto(f"{base}/me/diary/{yesterday.isoformat()}/")
    page = patient.content()
    assert "Blinded period 6 of 6" in page
    assert not [w for w in ARM_WORDS if w in page]

    # Dr Ode: the planned unblinding, the sequence, the blinded result and its report.
    clinician = browser.new_context().new_page()
    staff_sign_in(clinician, base, world.dr_ode)
    clinician.goto(f"{base}/clinic/trials/{trial.pk}/unblind/")
    clinician.get_by_role("button", name="Unblind as planned").click()
    expect(clinician.locator("#sequence tbody tr")).to_have_count(6)
    unblinding = Unblinding.objects.get(trial=trial)
    assert not unblinding.is_early
    shots(clinician, "unblinded")
    clinician.get_by_role("link", name="Reassessment and report").click()
    expect(clinician.locator("#blinded-result")).to_contain_text("LDN minus placebo")
    shots(clinician, "blinded-result")
    with clinician.expect_download() as caught:
        clinician.get_by_role("link", name="Download the report (PDF)").click()
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(Path(caught.value.path()).read_bytes())
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "LDN minus placebo" in text
    assert "Sequence" in text

    # The pharmacy is told of the unblinding.
    pharmacy.goto(f"{base}/pharmacy/")
    expect(pharmacy.get_by_text("unblinded", exact=False).first).to_be_visible()
