"""Dr Ode edits a draft trial and discards the ones she will not start (audited)."""

from ldntrial.web.audit.chain import verify
from ldntrial.web.audit.models import Action, AuditEvent
from ldntrial.web.clinic.models import Trial
from tests.web.conftest import plan_form


def a_draft(world):
    client = world.client("dr_ode")
    response = client.post(
        f"/clinic/patients/{world.ben.pk}/trials/new/", plan_form(condition="crps")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Trial.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def test_the_edit_form_starts_from_the_drafts_own_plan(world):
    draft = a_draft(world)
    body = world.client("dr_ode").get(f"/clinic/trials/{draft.pk}/edit/").content.decode()
    assert f"Edit draft trial {draft.pk}" in body
    assert f'value="{draft.protocol().start_date.isoformat()}"' in body
    assert 'name="interval_days" value="14"' in body


def test_editing_a_draft_replaces_its_protocol_and_keeps_the_old_one_in_the_audit(world):
    draft = a_draft(world)
    old_fingerprint = draft.fingerprint
    response = world.client("dr_ode").post(
        f"/clinic/trials/{draft.pk}/edit/", plan_form(condition="crps", interval_days="21")
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_draft
    assert draft.fingerprint != old_fingerprint
    steps = draft.protocol().titration.steps
    assert (steps[1].start - steps[0].start).days == 21
    event = AuditEvent.objects.filter(
        object_type="clinic.Trial", object_id=str(draft.pk), action=Action.UPDATE
    ).get()
    assert event.reason == "draft protocol edited"
    assert event.before is not None
    assert event.before["fingerprint"] == old_fingerprint


def test_an_absurd_edit_is_a_form_error_and_the_draft_is_unchanged(world):
    draft = a_draft(world)
    response = world.client("dr_ode").post(
        f"/clinic/trials/{draft.pk}/edit/", plan_form(condition="crps", start_date="9999-12-31")
    )
    assert response.status_code == 400
    assert Trial.objects.get(pk=draft.pk).fingerprint == draft.fingerprint


def test_discarding_a_draft_removes_it_and_records_why(world):
    draft = a_draft(world)
    response = world.client("dr_ode").post(
        f"/clinic/trials/{draft.pk}/discard/", {"reason": "duplicate"}
    )
    assert response.status_code == 302
    assert not Trial.objects.filter(pk=draft.pk).exists()
    event = AuditEvent.objects.get(
        object_type="clinic.Trial", object_id=str(draft.pk), action=Action.DELETE
    )
    assert event.reason == "draft discarded: duplicate"
    assert event.before is not None
    assert event.before["fingerprint"] == draft.fingerprint
    page = world.client("dr_ode").get(f"/clinic/patients/{world.ben.pk}/audit/").content.decode()
    assert f"dr-ode (clinician) removed trial {draft.pk}" in page
    assert verify() == []  # the removed row is what the audit trail expects


def test_a_discard_needs_a_reason(world):
    draft = a_draft(world)
    world.client("dr_ode").post(f"/clinic/trials/{draft.pk}/discard/", {"reason": " "})
    assert Trial.objects.filter(pk=draft.pk).exists()


def test_a_started_trial_is_neither_edited_nor_discarded(world):
    trial = world.ana_trial
    client = world.client("dr_ode")
    client.post(f"/clinic/trials/{trial.pk}/discard/", {"reason": "oops"})
    edit = client.post(f"/clinic/trials/{trial.pk}/edit/", plan_form(condition="crps"))
    assert edit.status_code == 302
    trial.refresh_from_db()
    assert not trial.is_draft
    assert Trial.objects.filter(pk=trial.pk).exists()


def test_another_clinic_cannot_discard_a_draft(world):
    draft = a_draft(world)
    response = world.client("dr_bo").post(f"/clinic/trials/{draft.pk}/discard/", {"reason": "x"})
    assert response.status_code == 404
    assert Trial.objects.filter(pk=draft.pk).exists()
