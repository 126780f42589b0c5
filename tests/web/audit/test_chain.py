"""The audit trail: one event per clinical write, hash-chained; verification names a break."""

import datetime as dt
import importlib
import json
from types import ModuleType

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.test import Client

from ldntrial.cli import main
from ldntrial.web.audit import rows
from ldntrial.web.audit.anchors import anchor_heads
from ldntrial.web.audit.chain import event_hash, verify
from ldntrial.web.audit.models import Action, AppendOnly, AuditEvent, ChainHead
from ldntrial.web.clinic import dispensing, services
from tests.conftest import NOW, as_database_owner

ITEMS = ("1.5 mg capsules", "3 mg capsules", "4.5 mg capsules")


def events_since(last_id: int) -> list[AuditEvent]:
    """Events after ``last_id``, leaving out sign-ins (test clients sign in on first use)."""
    return list(
        AuditEvent.objects.filter(pk__gt=last_id).exclude(action=Action.SIGN_IN).order_by("pk")
    )


def last_sequence() -> int:
    """The id of the newest event (events are numbered per chain; ids across chains)."""
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


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
            lambda w: dispensing.record_dispensing(
                by=w.phil,
                prescription=w.ana_trial.prescription,
                dispensed_on=dt.date(2026, 11, 27),
                lot_numbers=dict.fromkeys(ITEMS, "L1"),
                use_by=dict.fromkeys(ITEMS, dt.date(2027, 1, 5)),
                today=dt.date(2026, 11, 27),
            ),
            # the prescription's status, and the dispensing with its lots
            [(Action.UPDATE, "clinic.Prescription"), (Action.CREATE, "clinic.Dispensing")],
            None,
        ),
    ],
    ids=["add medication", "stop medication", "diary entry", "dispense"],
)
def test_every_clinical_write_produces_exactly_one_event(world, write, action, object_type):
    before = last_sequence()
    write(world)
    events = events_since(before)
    if isinstance(action, list):  # a write of two rows: one event each
        assert [(e.action, e.object_type) for e in events] == action
    elif action is None:  # the helper's own add is one event, the stop the other
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
    assert event.before is not None
    assert event.after is not None
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
    lock = events[1]
    assert lock.before is not None
    assert lock.after is not None
    assert lock.before["status"] == "draft"
    assert lock.after["status"] == "active"


def test_the_chain_verifies_when_untouched(world):
    assert verify() == []


def test_events_cannot_be_changed_or_deleted_through_the_application(world):
    event = AuditEvent.objects.first()
    assert event is not None
    event.reason = "rewritten"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()


def test_each_clinic_has_its_own_chain_and_events_without_a_clinic_go_to_the_system_chain(world):
    chains = set(AuditEvent.objects.values_list("chain", flat=True))
    assert {f"clinic:{world.clinic_a.pk}", f"clinic:{world.clinic_b.pk}"} <= chains
    services.add_medication(by=world.dr_bo, patient=world.cy, text="x 1 mg")
    b_events = AuditEvent.objects.filter(chain=f"clinic:{world.clinic_b.pk}").order_by("sequence")
    assert [e.sequence for e in b_events] == list(range(1, b_events.count() + 1))
    assert all(e.clinic_id == world.clinic_b.pk for e in b_events)
    services_login_failure = Client().post(
        "/account/login/", {"username": "nobody-here", "password": "wrong password 1"}
    )
    assert services_login_failure.status_code == 200
    assert AuditEvent.objects.filter(chain="system", action=Action.SIGN_IN_FAILED).exists()
    assert verify() == []


def _sql(statement: str, *params: str | int | None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _triggers() -> ModuleType:
    return importlib.import_module("ldntrial.web.audit.migrations.0004_security_chains")


def _drop_append_only_triggers() -> None:
    """What someone with rights to change the schema could do (the database owner, or anyone
    who can write the SQLite file); the MACs, anchors and row states still tell."""
    triggers = _triggers()
    drops = {"sqlite": triggers.SQLITE_DROP, "postgresql": triggers.POSTGRES_DROP}
    for statement in drops[connection.vendor]:
        _sql(statement)


def audit_verify_fails_naming(capsys: pytest.CaptureFixture[str], *fragments: str) -> str:
    """`ldntrial audit verify` exits 3 and its message names every fragment."""
    code = main(["audit", "verify"], {}, now=NOW)
    err = capsys.readouterr().err
    assert code == 3, err
    for fragment in fragments:
        assert fragment in err
    return err


REFUSED = "append-only|permission denied"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET reason = 'edited'",
        "DELETE FROM audit_auditevent",
        "DELETE FROM audit_chainhead",
        "UPDATE audit_chainhead SET sequence = sequence - 1",
    ],
    ids=["update events", "delete events", "delete heads", "move a head back"],
)
def test_the_database_itself_refuses_to_change_or_delete_events(world, statement):
    count = AuditEvent.objects.count()
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        _sql(statement)
    assert AuditEvent.objects.count() == count


def test_the_database_owner_is_refused_too_while_the_triggers_stand(world):
    with as_database_owner():
        for statement in (
            "UPDATE audit_auditevent SET reason = 'edited'",
            "DELETE FROM audit_auditevent",
        ):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                _sql(statement)


def _copy_of_an_event_sql(
    target: AuditEvent, *, sequence: int, reason: str, keep_id: bool
) -> tuple[str, tuple[str, int, int]]:
    left_out = {"reason", "sequence"} | (set() if keep_id else {"id"})
    columns = [
        f.column
        for f in AuditEvent._meta.concrete_fields
        if f.column is not None and f.column not in left_out
    ]
    listed = ", ".join(columns)
    return (
        f"INSERT OR REPLACE INTO audit_auditevent ({listed}, reason, sequence) "
        f"SELECT {listed}, %s, %s FROM audit_auditevent WHERE id = %s",
        (reason, sequence, target.pk),
    )


@pytest.mark.skipif("connection.vendor != 'sqlite'")
@pytest.mark.parametrize("keep_id", [True, False], ids=["same id", "new id"])
def test_sqlite_insert_or_replace_is_refused(world, keep_id):
    """Attack 1: REPLACE deletes the old row without firing the delete trigger; the insert
    trigger refuses any event that does not follow its chain's head."""
    target = AuditEvent.objects.filter(chain=f"clinic:{world.clinic_a.pk}").order_by("sequence")[2]
    statement, params = _copy_of_an_event_sql(
        target, sequence=target.sequence, reason="rewritten", keep_id=keep_id
    )
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql(statement, *params)
    assert AuditEvent.objects.get(pk=target.pk).reason == target.reason
    assert verify() == []


def test_insert_or_replace_without_the_triggers_is_detected(world, capsys):
    """Attack 1 with the triggers dropped: the replaced event no longer matches its MAC."""
    if connection.vendor != "sqlite":
        pytest.skip(
            "INSERT OR REPLACE is SQLite's; on PostgreSQL see the TRUNCATE and UPDATE tests"
        )
    _drop_append_only_triggers()
    target = AuditEvent.objects.filter(chain=f"clinic:{world.clinic_a.pk}").order_by("sequence")[2]
    statement, params = _copy_of_an_event_sql(
        target, sequence=target.sequence, reason="rewritten", keep_id=True
    )
    _sql(statement, *params)
    audit_verify_fails_naming(
        capsys, f"clinic:{world.clinic_a.pk} event {target.sequence}: altered"
    )


def test_editing_an_event_in_the_database_is_detected_and_named(world, capsys):
    with as_database_owner():
        _drop_append_only_triggers()
        target = AuditEvent.objects.order_by("chain", "sequence")[3]
        _sql("UPDATE audit_auditevent SET reason = %s WHERE id = %s", "edited", target.pk)
    assert [str(p) for p in verify()] == [
        f"{target.chain} event {target.sequence}: altered: its content does not match its hash"
    ]
    audit_verify_fails_naming(capsys, f"{target.chain} event {target.sequence}: altered")


def test_rewriting_a_diary_score_and_recomputing_every_hash_is_detected(world, capsys):
    """Attack 2: change a diary score and its event, recompute every later hash with the
    app's own event_hash and move the head. Without the audit key the MACs cannot follow."""
    entry, _ = world.diary(world.ana_trial, world.ana_user, world.ana_trial.protocol().start_date)
    chain = f"clinic:{world.clinic_a.pk}"
    with as_database_owner():
        _drop_append_only_triggers()
        _sql(
            "UPDATE clinic_diaryentry SET scores = %s WHERE id = %s",
            '{"pain": 1, "sleep_quality": 5, "function": 4}',
            entry.pk,
        )
        events = list(AuditEvent.objects.filter(chain=chain).order_by("sequence"))
        previous = None
        for event in events:
            if event.object_type == "clinic.DiaryEntry" and event.object_id == str(entry.pk):
                assert event.after is not None
                event.after = {
                    **event.after,
                    "scores": {"pain": 1, "sleep_quality": 5, "function": 4},
                }
                event.rows = {
                    key: {
                        **state,
                        "scores": rows.digest({"pain": 1, "sleep_quality": 5, "function": 4}),
                    }
                    for key, state in (event.rows or {}).items()
                }
            if previous is not None:
                event.previous_hash = previous
            event.hash = event_hash(event)
            previous = event.hash
            _sql(
                "UPDATE audit_auditevent SET after = %s, rows = %s, previous_hash = %s, hash = %s "
                "WHERE id = %s",
                json.dumps(event.after),
                json.dumps(event.rows),
                event.previous_hash,
                event.hash,
                event.pk,
            )
        _sql("UPDATE audit_chainhead SET hash = %s WHERE chain = %s", previous, chain)
    err = audit_verify_fails_naming(capsys, "forged: its MAC does not match")
    assert "altered" not in err  # every hash was recomputed: only the MACs tell


def test_a_direct_edit_of_a_diary_score_is_detected(world, capsys):
    """Attack 5: UPDATE clinic_diaryentry SET scores = ... (no audit event at all)."""
    entry, _ = world.diary(world.ana_trial, world.ana_user, world.ana_trial.protocol().start_date)
    _sql(
        "UPDATE clinic_diaryentry SET scores = %s WHERE id = %s",
        '{"pain": 0, "sleep_quality": 5, "function": 4}',
        entry.pk,
    )
    audit_verify_fails_naming(
        capsys, f"clinic.DiaryEntry:{entry.pk}: changed outside the application: scores"
    )


@pytest.mark.parametrize(
    ("statement", "found"),
    [
        ("DELETE FROM clinic_medication WHERE id = %s", "removed outside the application"),
        (
            "UPDATE clinic_medication SET text = 'morphine 10 mg' WHERE id = %s",
            "changed outside the application: text",
        ),
    ],
    ids=["row deleted", "row edited"],
)
def test_direct_edits_of_other_audited_tables_are_detected(world, capsys, statement, found):
    medication = services.add_medication(by=world.dr_ode, patient=world.ana, text="x 1 mg")
    _sql(statement, medication.pk)
    audit_verify_fails_naming(capsys, f"clinic.Medication:{medication.pk}: {found}")


def test_a_direct_edit_of_a_dispensing_lot_is_detected(world, capsys):
    recorded = dispensing.record_dispensing(
        by=world.phil,
        prescription=world.ana_trial.prescription,
        dispensed_on=dt.date(2026, 11, 27),
        lot_numbers=dict.fromkeys(ITEMS, "L1"),
        use_by=dict.fromkeys(ITEMS, dt.date(2027, 1, 5)),
        today=dt.date(2026, 11, 27),
    )
    _sql("UPDATE clinic_dispensing SET lots = '[]' WHERE id = %s", recorded.pk)
    audit_verify_fails_naming(
        capsys, f"clinic.Dispensing:{recorded.pk}: changed outside the application: lots"
    )


def test_a_row_added_outside_the_application_is_detected(world, capsys):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO clinic_medication (clinic_id, patient_id, text, added_at, "
            "resolved_medicine, confirmed_not_opioid, removal_reason) "
            "VALUES (%s, %s, 'x', %s, '', %s, '')",
            [world.clinic_a.pk, world.ana.pk, NOW, False],
        )
    audit_verify_fails_naming(capsys, "not in the audit trail: added outside the application")


def test_removing_an_event_in_the_database_is_detected_and_named(world, capsys):
    with as_database_owner():
        _drop_append_only_triggers()
        target = AuditEvent.objects.filter(chain=f"clinic:{world.clinic_a.pk}").order_by(
            "sequence"
        )[2]
        _sql("DELETE FROM audit_auditevent WHERE id = %s", target.pk)
    problems = [str(p) for p in verify()]
    assert (
        f"{target.chain} event {target.sequence}: missing (removed: {target.sequence})" in problems
    )
    audit_verify_fails_naming(capsys, "missing")


def test_removing_the_last_events_is_detected(world):
    with as_database_owner():
        _drop_append_only_triggers()
        last = (
            AuditEvent.objects.filter(chain=f"clinic:{world.clinic_a.pk}")
            .order_by("-sequence")
            .first()
        )
        assert last is not None
        _sql("DELETE FROM audit_auditevent WHERE id = %s", last.pk)
    problems = [str(p) for p in verify()]
    assert (
        f"{last.chain} event {last.sequence}: missing (removed: {last.sequence} to {last.sequence})"
        in problems
    )
    # The row whose event went is no longer vouched for either.
    assert any("not in the audit trail" in p for p in problems)


def test_truncating_the_tail_and_moving_the_head_back_is_detected_by_the_anchors(world, capsys):
    """Attack 3: delete the last N events and move the head back (or delete it). The heads
    anchored outside the database show the truncation."""
    chain = f"clinic:{world.clinic_a.pk}"
    anchor_heads()
    head = ChainHead.objects.get(chain=chain)
    keep = head.sequence - 3
    kept = AuditEvent.objects.get(chain=chain, sequence=keep)
    with as_database_owner():
        _drop_append_only_triggers()
        _sql("DELETE FROM audit_auditevent WHERE chain = %s AND sequence > %s", chain, keep)
        _sql(
            "UPDATE audit_chainhead SET sequence = %s, hash = %s WHERE chain = %s",
            keep,
            kept.hash,
            chain,
        )
    audit_verify_fails_naming(
        capsys, f"{chain} event {head.sequence}: truncated", f"the chain now ends at {keep}"
    )
    with as_database_owner():
        _sql("DELETE FROM audit_chainhead WHERE chain = %s", chain)
    # With the head row gone, audited writes still work (the head is rebuilt from the last
    # event), and the truncation is still named.
    services.add_medication(by=world.dr_ode, patient=world.ana, text="y 2 mg")
    audit_verify_fails_naming(capsys, f"{chain} event {head.sequence}: truncated")


def test_exported_anchors_show_a_truncation_even_when_the_anchor_file_is_emptied(
    world, capsys, tmp_path
):
    chain = f"clinic:{world.clinic_a.pk}"
    exported = tmp_path / "exported.jsonl"
    exported.write_text("".join(json.dumps(line) + "\n" for line in anchor_heads()))
    exported.chmod(0o600)
    settings.AUDIT_ANCHOR_FILE.write_text("")
    head = ChainHead.objects.get(chain=chain)
    with as_database_owner():
        _drop_append_only_triggers()
        _sql("DELETE FROM audit_auditevent WHERE chain = %s AND sequence > 1", chain)
        _sql("DELETE FROM audit_chainhead WHERE chain = %s", chain)
    assert main(["audit", "verify", "--anchors", str(exported)], {}, now=NOW) == 3
    assert f"{chain} event {head.sequence}: truncated" in capsys.readouterr().err


def test_a_forged_anchor_line_is_named(world, capsys):
    line = anchor_heads()[0]
    forged = {**line, "sequence": line["sequence"] + 50}
    with settings.AUDIT_ANCHOR_FILE.open("a") as handle:
        handle.write(json.dumps(forged) + "\n")
    audit_verify_fails_naming(capsys, "its MAC does not match: the line was forged")


def test_an_anchor_is_written_after_a_commit(world):
    from ldntrial.web.audit import anchors

    with transaction.atomic():
        pass
    anchors._last_written.clear()
    anchors.after_commit(f"clinic:{world.clinic_a.pk}", using="default")
    (_, line), *_ = anchors.read(settings.AUDIT_ANCHOR_FILE)
    assert line is not None
    assert line["chain"] == f"clinic:{world.clinic_a.pk}"
    assert oct(settings.AUDIT_ANCHOR_FILE.stat().st_mode & 0o777) == "0o600"


def test_postgresql_truncate_is_refused_for_the_app_and_the_owner(world, capsys):
    """Attack 4: TRUNCATE audit_auditevent. The app's role may not; the owner is stopped by
    the TRUNCATE trigger; with the trigger dropped too, the anchors name the loss."""
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE triggers and roles are PostgreSQL's; SQLite has no TRUNCATE")
    # Django's foreign keys are checked at commit; check them now, or PostgreSQL refuses any
    # TRUNCATE in this (test) transaction for that reason instead of ours.
    _sql("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        _sql("TRUNCATE audit_auditevent")
    with (
        as_database_owner(),
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
    ):
        _sql("TRUNCATE audit_auditevent")
    chain = f"clinic:{world.clinic_a.pk}"
    anchor_heads()
    with as_database_owner():
        _drop_append_only_triggers()
        _sql("TRUNCATE audit_auditevent")
        _sql("TRUNCATE audit_chainhead")
    audit_verify_fails_naming(capsys, f"{chain} event", "truncated", "not in the audit trail")


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


@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("UPDATE audit_auditevent SET reason = 'x'", "permission denied"),
        ("DELETE FROM audit_auditevent", "permission denied"),
        ("TRUNCATE audit_auditevent", "permission denied"),
        ("TRUNCATE audit_chainhead", "permission denied"),
        ("DELETE FROM audit_chainhead", "permission denied"),
        ("DROP TRIGGER audit_event_no_change ON audit_auditevent", "must be owner"),
        ("ALTER TABLE audit_auditevent DISABLE TRIGGER ALL", "must be owner"),
    ],
)
def test_signed_in_as_the_app_role_the_audit_tables_can_only_grow(world, statement, refusal):
    """A connection that logs in as the app's role itself (as the server does), not SET ROLE."""
    import os

    import psycopg

    from tests.conftest import APP_ROLE

    if connection.vendor != "postgresql" or not APP_ROLE:
        pytest.skip("the app role exists on PostgreSQL (scripts/with-postgres)")
    given = connection.settings_dict
    with (
        psycopg.connect(
            host=given["HOST"],
            port=given["PORT"],
            dbname=given["NAME"],
            user=APP_ROLE,
            password=os.environ["LDNTRIAL_TEST_APP_PASSWORD"],
        ) as app,
        pytest.raises(psycopg.Error, match=refusal),
    ):
        app.execute(statement)


def test_an_audited_change_that_fails_leaves_neither_the_change_nor_an_event(world):
    from ldntrial.web.audit.chain import audited_change

    before = last_sequence()
    medication = services.add_medication(by=world.dr_ode, patient=world.ana, text="sertraline")
    after_add = last_sequence()

    def change_refused_half_way():
        with audited_change(medication, by=world.dr_ode, reason="x"):
            medication.text = "changed"
            raise RuntimeError("the change is refused half-way")

    with pytest.raises(RuntimeError):
        change_refused_half_way()
    medication.refresh_from_db()
    assert medication.text == "sertraline"
    assert after_add == before + 1
    assert last_sequence() == after_add
