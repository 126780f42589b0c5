"""Amendments from the trial page: each kind is a new locked version next to the original,
audited, with a new prescription for the pharmacy and a new calendar for the patient.

Persona: Ana's fibromyalgia trial, restarted 30 days ago: 14 baseline days, 1.5 mg from day
15, 3 mg since two days ago (at night). Today is the frozen clock's 27 November 2026.
"""

import datetime as dt

import pytest

from ldntrial.core.trial.drug import Timing
from ldntrial.web.audit.models import AuditEvent
from ldntrial.web.clinic.models import (
    Prescription,
    PrescriptionStatus,
    ProtocolAmendment,
    Trial,
)
from ldntrial.web.clinic.queries import today_for
from tests.web.conftest import start_trial_for


@pytest.fixture
def on_3mg(world):
    world.ana_trial.status = "draft"
    world.ana_trial.save()
    trial = start_trial_for(world.ana, world.dr_ode, days_ago=30, condition="fibromyalgia")
    today = today_for(world.ana)
    step = trial.protocol().titration.step_on(today)
    assert step is not None
    assert str(step.dose) == "3 mg"
    return trial


def post(world, trial, who="dr_ode", **fields):
    data = {"effective_on": today_for(trial.patient).isoformat(), "reason": "side effects"}
    data |= fields
    return world.client(who).post(f"/clinic/trials/{trial.pk}/amend/", data)


def dose_today(trial):
    trial.refresh_from_db()
    step = trial.protocol().titration.step_on(today_for(trial.patient))
    return f"{step.dose} {step.timing.value}"


@pytest.mark.parametrize(
    ("fields", "expected_today"),
    [
        ({"kind": "hold", "hold_days": "7", "reason": "tired"}, "3 mg night"),
        ({"kind": "step_back", "reason": "vivid dreams at 3 mg"}, "1.5 mg night"),
        ({"kind": "switch_timing", "timing": "morning", "reason": "vivid dreams"}, "3 mg morning"),
        (
            {
                "kind": "replace_schedule",
                "steps": "TODAY 2.5 night",
                "reason": "stay lower",
                "accept_warnings": "steps-too-close",  # lower two days after the increase
            },
            "2.5 mg night",
        ),
    ],
    ids=["hold", "step_back", "switch_timing", "replace_schedule"],
)
def test_each_amendment_is_a_new_version_with_a_prescription_and_the_original_stays(
    world, on_3mg, fields, expected_today
):
    today = today_for(world.ana).isoformat()
    fields = {k: v.replace("TODAY", today) for k, v in fields.items()}
    original = on_3mg.fingerprint
    original_document = on_3mg.protocol_document
    first_prescription = on_3mg.prescription
    response = post(world, on_3mg, **fields)
    body = response.content.decode()
    assert response.status_code == 302, body[
        body.find("errorlist") - 200 : body.find("errorlist") + 400
    ]
    on_3mg.refresh_from_db()
    row = ProtocolAmendment.objects.get(trial=on_3mg)
    # The locked original never changes; the amendment has its own fingerprint and the diff.
    assert (on_3mg.fingerprint, on_3mg.protocol_document) == (original, original_document)
    assert on_3mg.original_protocol().fingerprint == original
    assert row.parent_fingerprint == original
    assert row.fingerprint == on_3mg.protocol().fingerprint != original
    assert row.version == on_3mg.version == 1
    assert row.diff
    assert dose_today(on_3mg) == expected_today
    # Audited, in the same transaction as the rows it wrote.
    assert AuditEvent.objects.filter(object_type="clinic.ProtocolAmendment").count() == 1
    # The pharmacy gets a new prescription; the one not yet dispensed is replaced.
    first_prescription.refresh_from_db()
    assert first_prescription.status == PrescriptionStatus.SUPERSEDED
    new = on_3mg.prescription
    assert new.amendment == row
    assert new.status == PrescriptionStatus.TO_PREPARE
    assert f"AMENDMENT 1 ({row.get_kind_display().lower()}) from {today}" in new.text
    queue = world.client("phil").get("/pharmacy/").content.decode()
    assert f"/pharmacy/prescriptions/{new.pk}/" in queue
    assert f"/pharmacy/prescriptions/{first_prescription.pk}/" not in queue
    # The trial page shows the amendment next to the original fingerprint.
    page = world.client("dr_ode").get(f"/clinic/trials/{on_3mg.pk}/").content.decode()
    assert original in page
    assert row.fingerprint in page
    assert fields["reason"] in page


def test_the_patient_sees_the_new_plan_and_calendar(world, on_3mg):
    assert post(world, on_3mg, kind="switch_timing", timing="morning").status_code == 302
    today = world.client("ana_user").get("/me/").content.decode()
    assert "changed your dosing plan" in today
    assert "3 mg</strong>, in the morning" in today
    calendar = world.client("ana_user").get("/me/calendar.ics").content.decode()
    on_3mg.refresh_from_db()
    morning = on_3mg.protocol().dose_times[Timing.MORNING].strftime("%H%M")
    from_today = f"{today_for(world.ana).strftime('%Y%m%d')}T{morning}"
    assert from_today in calendar  # the morning step starts today, at the morning dose time


def test_the_report_diagram_shows_the_amendment(world, on_3mg):
    assert post(world, on_3mg, kind="step_back", reason="nausea").status_code == 302
    body = world.client("dr_ode").get(f"/clinic/trials/{on_3mg.pk}/reassessment/").content.decode()
    assert 'class="amendment"' in body
    assert "amendment 1" in body
    assert "step back to the previous dose" in body
    assert "The analysis uses the phases of the version in effect" in body


def test_a_second_amendment_amends_the_first(world, on_3mg):
    assert post(world, on_3mg, kind="switch_timing", timing="morning").status_code == 302
    assert post(world, on_3mg, kind="step_back", reason="still dreams").status_code == 302
    first, second = ProtocolAmendment.objects.filter(trial=on_3mg).order_by("version")
    assert second.parent_fingerprint == first.fingerprint
    assert dose_today(on_3mg) == "1.5 mg morning"
    assert Prescription.objects.filter(trial=on_3mg, status="to_prepare").count() == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "hold", "hold_days": "7", "reason": "  "}, "This field is required"),
        ({"kind": "hold", "hold_days": "0"}, "greater than or equal to 1"),
        ({"kind": "hold", "hold_days": "99999999999"}, "less than or equal to 84"),
        (
            {"kind": "hold", "hold_days": "3", "effective_on": "2026-11-01"},
            "doses already taken cannot change",
        ),
        ({"kind": "hold", "hold_days": "3", "effective_on": "9999-12-31"}, "new reassessment date"),
        ({"kind": "switch_timing"}, "choose the new time of day"),
        ({"kind": "switch_timing", "timing": "night"}, "already taken in the night"),
        ({"kind": "replace_schedule", "steps": "tomorrow 3 night"}, "is not a date"),
        ({"kind": "replace_schedule", "steps": "TODAY 9 night"}, "above the highest daily dose"),
        ({"kind": "nonsense"}, "Select a valid choice"),
    ],
)
def test_a_wrong_amendment_is_explained_and_nothing_is_stored(world, on_3mg, fields, message):
    today = today_for(world.ana).isoformat()
    fields = {k: v.replace("TODAY", today) for k, v in fields.items()}
    response = post(world, on_3mg, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ProtocolAmendment.objects.exists()
    assert Prescription.objects.filter(trial=on_3mg).count() == 1


def test_no_step_back_below_the_first_dose(world):
    response = post(world, world.ana_trial, kind="step_back")  # Ana is on 1.5 mg here
    assert response.status_code == 400
    assert "already the lowest dose" in response.content.decode()


def test_a_departure_from_usual_practice_must_be_accepted(world, on_3mg):
    today = today_for(world.ana)
    steps = f"{today.isoformat()} 4.5 night\n{(today + dt.timedelta(days=1)).isoformat()} 6 night"
    response = post(world, on_3mg, kind="replace_schedule", steps=steps)
    assert response.status_code == 400
    assert "tick the ones you accept" in response.content.decode()
    accepted = post(
        world,
        on_3mg,
        kind="replace_schedule",
        steps=steps,
        accept_warnings=["target-above-usual", "steps-too-close"],
    )
    assert accepted.status_code == 302
    assert ProtocolAmendment.objects.get().accepted_warnings


@pytest.mark.parametrize(("who", "status"), [("dr_bo", 404), ("phil", 403), ("ana_user", 403)])
def test_only_the_trials_clinic_clinicians_amend(world, on_3mg, who, status):
    assert post(world, on_3mg, who=who, kind="hold", hold_days="3").status_code == status
    assert not ProtocolAmendment.objects.exists()


def test_a_stopped_trial_is_not_amended(world, on_3mg):
    Trial.objects.filter(pk=on_3mg.pk).update(status="stopped")
    response = post(world, on_3mg, kind="hold", hold_days="3")
    assert response.status_code == 400
    assert "only an active trial can be amended" in response.content.decode()
