"""The audit page in words: who, what, each field before → after, at a readable local time.
The clock is frozen at 21:15 UTC on 27 November 2026 (21:15 GMT in London, 22:15 in Paris)."""

import datetime as dt
import re

from ldntrial.web.clinic import services
from ldntrial.web.clinic.queries import today_for


def audit_page(world) -> str:
    page = world.client("dr_ode").get(f"/clinic/patients/{world.ana.pk}/audit/")
    return str(page.content.decode())


def test_stopping_a_medicine_reads_as_a_sentence_with_its_status(world):
    medication = services.add_medication(by=world.dr_ode, patient=world.ana, text="tramadol 50 mg")
    services.stop_medication(
        by=world.dr_ode,
        medication=medication,
        last_dose_on=dt.date(2026, 11, 20),
        reason="stopped by GP",
    )
    body = audit_page(world)
    assert "dr-ode (clinician) added medication &#x27;tramadol 50 mg&#x27;" in body
    assert "dr-ode (clinician) changed medication &#x27;tramadol 50 mg&#x27;" in body
    assert "status: active → stopped" in body
    assert "last dose on: – → 2026-11-20" in body
    assert "clinic.Medication" not in body


def test_a_diary_correction_names_the_metric_and_both_scores(world):
    day = today_for(world.ana)
    world.diary(world.ana_trial, world.ana_user, day)
    world.diary(
        world.ana_trial,
        world.ana_user,
        day,
        scores={"pain": 3, "sleep_quality": 5, "function": 4},
        correction_reason="pressed the wrong number",
    )
    body = audit_page(world)
    assert "Pain: 6 → 3" in body
    assert "sleep_quality" not in body
    assert "pressed the wrong number" in body


def test_moments_are_shown_in_the_clinics_zone_to_the_minute(world):
    body = audit_page(world)
    assert re.search(r"27 Nov 2026, 21:1[5-9] GMT", body)
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d{6}", body)  # no microseconds anywhere


def test_a_clinic_in_paris_reads_its_own_time(world):
    world.clinic_a.time_zone = "Europe/Paris"
    world.clinic_a.save()
    body = audit_page(world)
    assert re.search(r"27 Nov 2026, 22:1[5-9] CET", body)
