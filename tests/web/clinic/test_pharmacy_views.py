"""The pharmacist's queue, dispensing with a lot and use-by date per strength, correcting a
dispensing, printing the order and labels; the researcher's counts."""

import datetime as dt
import re
import subprocess

import pytest

from ldntrial.web.audit.models import Action, AuditEvent
from ldntrial.web.clinic.models import Dispensing, PrescriptionStatus
from tests.web.conftest import FROZEN_AT

TODAY = FROZEN_AT.date()  # 2026-11-27 in London: the day the world's prescriptions were issued
ITEMS = ("1.5 mg capsules", "3 mg capsules", "4.5 mg capsules")


def url(world, suffix=""):
    return f"/pharmacy/prescriptions/{world.ana_trial.prescription.pk}/{suffix}"


def dispense_form(**overrides):
    form = {"dispensed_on": TODAY.isoformat()}
    for n in range(len(ITEMS)):
        form[f"lot_{n}"] = f"LOT-{n}"
        form[f"use_by_{n}"] = (TODAY + dt.timedelta(days=90)).isoformat()
    form.update(overrides)
    return form


def test_the_queue_lists_the_clinics_prescriptions_with_their_needed_by_date(world):
    body = world.client("phil").get("/pharmacy/").content.decode()
    assert "FM-0001" in body
    assert "CR-0002" in body
    assert "FM-0100" not in body
    assert "16 × 1.5 mg capsules" in body
    needed_by = world.ana_trial.protocol().first_dose_date
    assert f"<td>{needed_by.isoformat()}</td>" in body


def test_the_prescription_page_shows_the_order_needed_by_and_prescriber(world):
    body = world.client("phil").get(url(world)).content.decode()
    first_dose = world.ana_trial.protocol().first_dose_date
    assert "PRESCRIPTION - compounded low-dose naltrexone" in body
    assert "4.5 mg capsules: dispense 63 (needed 57)" in body
    assert "FM-0001 - naltrexone 4.5 mg capsules" in body
    assert f"Needed by:     {first_dose.isoformat()} (the first dose)" in body
    assert "Prescriber:    dr-ode (registration: not recorded)" in body
    assert "dr-ode · registration: not recorded" in body


def test_the_prescriber_registration_recorded_on_the_profile_is_printed(world):
    response = world.client("dr_ode").post(
        "/account/profile/",
        {"first_name": "Oona", "last_name": "Ode", "registration_number": "GMC 7654321"},
    )
    assert response.status_code == 302
    world.dr_ode.refresh_from_db()
    assert world.dr_ode.registration_number == "GMC 7654321"
    body = world.client("phil").get(url(world)).content.decode()
    assert "Oona Ode · registration: GMC 7654321" in body


def test_a_pharmacist_records_a_lot_and_use_by_date_for_each_strength(world):
    response = world.client("phil").post(url(world), dispense_form())
    assert response.status_code == 302
    prescription = world.ana_trial.prescription
    prescription.refresh_from_db()
    assert prescription.status == PrescriptionStatus.DISPENSED
    dispensing = prescription.dispensings.get()
    assert (dispensing.dispensed_on, dispensing.dispensed_by, dispensing.version) == (
        TODAY,
        world.phil,
        1,
    )
    assert dispensing.lots == [
        {"item": item, "lot_number": f"LOT-{n}", "use_by": "2027-02-25"}
        for n, item in enumerate(ITEMS)
    ]
    body = world.client("phil").get("/pharmacy/").content.decode()
    assert "1.5 mg capsules lot LOT-0; 3 mg capsules lot LOT-1" in body


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"lot_1": " "}, "lot_1", "enter the lot number printed on the 3 mg capsules"),
        ({"use_by_2": ""}, "use_by_2", "enter the use-by date printed on the 4.5 mg capsules"),
        ({"dispensed_on": "1999-01-01"}, "dispensed_on", "is before the prescription was issued"),
        ({"dispensed_on": "2026-12-27"}, "dispensed_on", "cannot be in the future"),
        ({"use_by_0": "2026-11-01"}, "use_by_0", "an expired preparation cannot be dispensed"),
        ({"use_by_0": "2028-01-01"}, "use_by_0", "beyond-use period allows"),
        ({"dispensed_on": "0001-01-01"}, "dispensed_on", "is before the prescription"),
        ({"dispensed_on": "9999-12-31"}, "dispensed_on", "cannot be in the future"),
        ({"dispensed_on": "99999-01-01"}, "dispensed_on", "Enter a valid date"),
    ],
)
def test_a_dispensing_outside_the_rules_is_refused_next_to_its_field(
    world, overrides, field, message
):
    response = world.client("phil").post(url(world), dispense_form(**overrides))
    body = response.content.decode()
    assert response.status_code == 400
    start = body.index(f'id="field-{field}"')
    assert message in body[start : body.index("</div>", start)]
    world.ana_trial.prescription.refresh_from_db()
    assert world.ana_trial.prescription.status == PrescriptionStatus.TO_PREPARE
    assert not Dispensing.objects.exists()


def test_a_correction_keeps_the_original_and_is_audited_with_its_reason(world):
    client = world.client("phil")
    client.post(url(world), dispense_form())
    response = client.post(url(world), dispense_form(lot_1="LOT-1B", reason=""))
    assert response.status_code == 400
    assert "say why the dispensing is corrected" in response.content.decode()
    last = AuditEvent.objects.order_by("-pk").first()
    assert last is not None
    before = last.pk
    response = client.post(
        url(world), dispense_form(lot_1="LOT-1B", reason="lot misread on the label")
    )
    assert response.status_code == 302
    first, second = Dispensing.objects.order_by("version")
    assert (first.is_current, second.is_current, second.version) == (False, True, 2)
    assert first.lots[1]["lot_number"] == "LOT-1"
    assert second.lots[1]["lot_number"] == "LOT-1B"
    (event,) = AuditEvent.objects.filter(pk__gt=before, object_type="clinic.Dispensing")
    assert (event.action, event.reason) == (Action.UPDATE, "lot misread on the label")
    assert event.before is not None
    assert event.before["lots"][1]["lot_number"] == "LOT-1"
    body = client.get(url(world)).content.decode()
    assert "1 (replaced)" in body
    assert "2 (current)" in body
    assert "lot misread on the label" in body
    assert "3 mg capsules: lot LOT-1," in body  # the original stays visible


def test_a_correction_outside_the_rules_leaves_the_dispensing_as_it_was(world):
    client = world.client("phil")
    client.post(url(world), dispense_form())
    response = client.post(url(world), dispense_form(dispensed_on="1999-01-01", reason="typo"))
    assert response.status_code == 400
    assert list(Dispensing.objects.values_list("version", flat=True)) == [1]


def test_the_print_view_links_the_print_stylesheet_and_fills_the_lots_in(world):
    world.client("phil").post(url(world), dispense_form())
    page = world.client("phil").get(url(world))
    assert 'href="/static/ldntrial/print.css" media="print"' in page.content.decode()
    response = world.client("phil").get(url(world, "print/") + "?paper=letter")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<link rel="stylesheet" href="/static/ldntrial/print.css">' in body
    assert 'class="printable paper-letter"' in body
    assert "Lot: LOT-2   Use by: 2027-02-25" in body
    assert "Lot: __________" not in body
    css = (world_static("print.css")).read_text()
    assert "@media print" in css
    assert "@page" in css


def world_static(name):
    from pathlib import Path

    import ldntrial.web

    return Path(ldntrial.web.__file__).parent / "static" / "ldntrial" / name


@pytest.mark.parametrize(
    ("paper", "size"), [("a4", "595.276 x 841.89 pts (A4)"), ("letter", "612 x 792 pts (letter)")]
)
def test_the_order_and_labels_render_as_a_pdf_on_a4_and_letter(world, tmp_path, paper, size):
    response = world.client("phil").get(
        f"/pharmacy/prescriptions/{world.ana_trial.prescription.pk}.pdf?paper={paper}"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / "order.pdf"
    path.write_bytes(response.content)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert f"Page size:       {size}" in info.stdout
    pages = int(re.findall(r"Pages:\s+(\d+)", info.stdout)[0])
    assert pages >= 2  # the labels start on a sheet of their own
    last = subprocess.run(
        ["pdftotext", "-f", str(pages), "-l", str(pages), str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    first = subprocess.run(
        ["pdftotext", "-l", "1", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Compounding order" in first
    assert "FM-0001 - naltrexone 4.5 mg capsules" in last
    assert "Compounding order" not in last


def test_a_clinician_cannot_dispense_or_print(world):
    response = world.client("dr_ode").post(url(world), dispense_form())
    assert response.status_code == 403
    assert world.client("dr_ode").get(url(world, "print/")).status_code == 403


def test_another_clinics_pharmacist_sees_no_prescription(world):
    cy_rx = world.cy_trial.prescription.pk
    assert world.client("phil").get(f"/pharmacy/prescriptions/{cy_rx}/print/").status_code == 404


def test_the_researcher_sees_counts_per_condition_and_no_patient(world):
    body = world.client("rae").get("/research/").content.decode()
    assert "Fibromyalgia" in body
    assert "Complex regional pain syndrome" in body
    assert "FM-0001" not in body
