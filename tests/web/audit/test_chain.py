"""The audit trail: one event per clinical write, hash-chained; verification names a break."""

import datetime as dt
import importlib

import pytest
from django.db import DatabaseError, connection, transaction

from ldntrial.cli import main
from ldntrial.web.audit.chain import verify
from ldntrial.web.audit.models import Action, AppendOnly, AuditEvent
from ldntrial.web.clinic import services
from tests.conftest import NOW


def events_since(sequence):
    return list(AuditEvent.objects.filter(sequence__gt=sequence).order_by("sequence"))


def last_sequence():
    return AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0


@pytest.mark.parametrize(
    ("write", "action", "object_type"),
    [
        (
            lambda w: services.add_medication(by=w.dr_ode, patient=w.ana, text="sertraline 50 mg"),
            Action.CREATE,
            "clinic.Medication",
        ),
        (
            lambda w: services.stop_medication(
                by=w.dr_ode,
                medication=services.add_medication(by=w.dr_ode, patient=w.ana, text="x 1 mg"),
                last_dose_on=dt.date(2026, 1, 2),
                reason="stopped by GP",
            ),
            None,
            "clinic.Medication",
        ),
        (
            lambda w: w.diary(w.ana_trial, w.ana_user, w.ana_trial.protocol().start_date),
            Action.CREATE,
            "clinic.DiaryEntry",
        ),
        (
            lambda w: services.mark_dispensed(
                by=w.phil,
                prescription=w.ana_trial.prescription,
                lot_number="L1",
                dispensed_on=dt.date(2026, 1, 5),
            ),
            Action.UPDATE,
            "clinic.Prescription",
        ),
    ],
    ids=["add medication", "stop medication", "diary entry", "dispense"],
)
def test_every_clinical_write_produces_exactly_one_event(world, write, action, object_type):
    before = last_sequence()
    write(world)
    events = events_since(before)
    if action is None:  # the helper's own add is one event, the stop the other
        assert [(e.action, e.object_type) for e in events] == [
            (Action.CREATE, object_type),
            (Action.UPDATE, object_type),
        ]
    else:
        assert [(e.action, e.object_type) for e in events] == [(action, object_type)]
    assert all(e.actor_id is not None and e.at.tzinfo is not None for e in events)


def test_a_correction_records_before_and_after_with_the_reason(world):
    day = world.ana_trial.protocol().start_date
    world.diary(world.ana_trial, world.ana_user, day)
    before = last_sequence()
    world.diary(
        world.ana_trial,
        world.ana_user,
        day,
        scores={"pain": 3, "sleep_quality": 5, "function": 4},
        correction_reason="tapped the wrong number",
    )
    (event,) = events_since(before)
    assert event.action == Action.UPDATE
    assert event.before["scores"]["pain"] == 6
    assert event.after["scores"]["pain"] == 3
    assert event.reason == "tapped the wrong number"


def test_starting_a_trial_records_the_lock_and_the_prescription(world):
    events = AuditEvent.objects.filter(
        object_type__in=["clinic.Trial", "clinic.Prescription"], patient_id=world.ana.pk
    ).order_by("sequence")
    assert [(e.action, e.object_type) for e in events] == [
        (Action.CREATE, "clinic.Trial"),
        (Action.UPDATE, "clinic.Trial"),
        (Action.CREATE, "clinic.Prescription"),
    ]
    assert events[1].before["status"] == "draft"
    assert events[1].after["status"] == "active"


def test_the_chain_verifies_when_untouched(world):
    assert verify() == []


def test_events_cannot_be_changed_or_deleted_through_the_application(world):
    event = AuditEvent.objects.first()
    event.reason = "rewritten"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()


def _sql(statement, *params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _drop_append_only_triggers():
    """What someone with rights to change the schema could do; the hash chain still tells."""
    triggers = importlib.import_module("ldntrial.web.audit.migrations.0003_append_only_triggers")
    drops = {"sqlite": triggers.SQLITE_DROP, "postgresql": triggers.POSTGRES_DROP}
    for statement in drops[connection.vendor]:
        _sql(statement)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_auditevent SET reason = 'edited'", "DELETE FROM audit_auditevent"],
)
def test_the_database_itself_refuses_to_change_or_delete_events(world, statement):
    count = AuditEvent.objects.count()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql(statement)
    assert AuditEvent.objects.count() == count


def test_editing_an_event_in_the_database_is_detected_and_named(world, capsys):
    _drop_append_only_triggers()
    target = AuditEvent.objects.order_by("sequence")[3]
    _sql("UPDATE audit_auditevent SET reason = %s WHERE id = %s", "edited", target.pk)
    assert [str(p) for p in verify()] == [
        f"event {target.sequence}: altered: its content does not match its hash"
    ]
    code = main(["audit", "verify"], {}, now=NOW)
    err = capsys.readouterr().err
    assert code == 3
    assert f"event {target.sequence}: altered" in err


def test_removing_an_event_in_the_database_is_detected_and_named(world, capsys):
    _drop_append_only_triggers()
    target = AuditEvent.objects.order_by("sequence")[2]
    _sql("DELETE FROM audit_auditevent WHERE id = %s", target.pk)
    problems = [str(p) for p in verify()]
    assert f"event {target.sequence}: missing (removed: {target.sequence})" in problems
    assert main(["audit", "verify"], {}, now=NOW) == 3
    assert "missing" in capsys.readouterr().err


def test_removing_the_last_events_is_detected(world):
    _drop_append_only_triggers()
    last = AuditEvent.objects.order_by("-sequence").first()
    _sql("DELETE FROM audit_auditevent WHERE id = %s", last.pk)
    assert [str(p) for p in verify()] == [
        f"event {last.sequence}: missing (removed: {last.sequence} to {last.sequence})"
    ]


def test_audit_verify_reports_an_intact_trail(world, capsys):
    assert main(["audit", "verify"], {}, now=NOW) == 0
    assert "Audit trail intact" in capsys.readouterr().out


def test_staff_reading_a_patient_record_is_logged(world):
    before = last_sequence()
    response = world.client("dr_ode").get(f"/clinic/patients/{world.ana.pk}/")
    assert response.status_code == 200
    (event,) = events_since(before)
    assert (event.action, event.patient_id, event.actor_id) == (
        Action.READ,
        world.ana.pk,
        world.dr_ode.pk,
    )


def test_staff_reading_a_diary_through_the_api_or_a_prescription_is_logged(world):
    before = last_sequence()
    world.client("dr_ode").get(f"/api/trials/{world.ana_trial.pk}/diary")
    world.client("phil").get(f"/pharmacy/prescriptions/{world.ana_trial.prescription.pk}/")
    events = events_since(before)
    assert [(e.action, e.actor_id, e.patient_id) for e in events] == [
        (Action.READ, world.dr_ode.pk, world.ana.pk),
        (Action.READ, world.phil.pk, world.ana.pk),
    ]
