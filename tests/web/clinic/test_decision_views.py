"""Decisions that stand: one signature per reassessment, addenda with their own reason and
signature, what stop / continue / adjust do to the trial, and the patient's pages after them.

Persona: Ana's trial restarted 100 days ago with a full diary (due for reassessment; the
protocol's rules suggest continue). Today is the frozen clock's 27 November 2026.
"""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from ldntrial.core.registry.summaries import Completion
from ldntrial.web.clinic.models import Reassessment, Trial, TrialStatus
from ldntrial.web.clinic.queries import today_for
from ldntrial.web.registry import collect
from tests.web.conftest import PASSWORD

NEXT_REVIEW = "2026-12-27"
FOLLOW_UP = "2026-12-11"
YOU_TAKE_IT = "Tell every doctor and pharmacist you take it"


@pytest.fixture
def due(world):
    return world.due_trial(seed=5)


def sign(world, trial, **fields):
    data = {"final_outcome": "continue", "password": PASSWORD, "follow_up_on": NEXT_REVIEW}
    data |= fields
    return world.client("dr_ode").post(f"/clinic/trials/{trial.pk}/reassessment/", data)


def page(world, trial):
    return world.client("dr_ode").get(f"/clinic/trials/{trial.pk}/reassessment/").content.decode()


def test_continue_moves_the_trial_to_follow_up_with_the_next_review(world, due):
    assert sign(world, due).status_code == 302
    due.refresh_from_db()
    assert due.status == TrialStatus.FOLLOW_UP
    assert due.follow_up_on.isoformat() == NEXT_REVIEW
    today = world.client("ana_user").get("/me/").content.decode()
    assert "decided to <strong>continue LDN</strong>" in today
    assert "27 December 2026" in today
    summary = world.client("ana_user").get("/me/summary/").content.decode()
    assert "Your next review: 27 December 2026." in summary
    assert YOU_TAKE_IT in summary


def test_once_signed_the_form_is_gone_and_the_history_shows_the_decision(world, due):
    assert 'id="sign-form"' in page(world, due)
    sign(world, due)
    body = page(world, due)
    assert 'id="sign-form"' not in body
    assert 'id="decision-history"' in body
    assert "Change the decision (an addendum" in body


def test_a_second_signature_is_refused_and_only_one_record_stands(world, due):
    # The same form posted twice (two tabs, or a retry): the second is refused.
    assert sign(world, due).status_code == 302
    response = sign(world, due)
    assert response.status_code == 400
    assert "signed already" in response.content.decode()
    assert Reassessment.objects.count() == 1


def test_a_later_change_is_an_addendum_with_its_own_reason_shown_in_the_history(world, due):
    sign(world, due)
    refused = sign(world, due, addendum="1", final_outcome="stop", override_reason="")
    assert refused.status_code == 400
    assert "This field is required" in refused.content.decode()
    response = sign(
        world,
        due,
        addendum="1",
        final_outcome="stop",
        override_reason="new heart medicine needs an opioid",
        stop_instruction="Last dose tonight.",
        follow_up_on=FOLLOW_UP,
    )
    assert response.status_code == 302
    first, addendum = Reassessment.objects.order_by("pk")
    assert addendum.addendum_to == first
    assert (first.final_outcome, addendum.final_outcome) == ("continue", "stop")
    due.refresh_from_db()
    assert due.status == TrialStatus.STOPPED
    body = page(world, due)
    assert "new heart medicine needs an opioid" in body
    assert body.count("<td>addendum</td>") == 1
    assert body.count("<td>decision</td>") == 1


def test_stop_closes_the_trial_and_the_patient_no_longer_reads_you_take_it(world, due):
    response = sign(
        world,
        due,
        final_outcome="stop",
        override_reason="patient prefers to stop",
        stop_instruction="Last dose on Sunday night; no tapering needed at this dose.",
        follow_up_on=FOLLOW_UP,
    )
    assert response.status_code == 302
    due.refresh_from_db()
    assert due.status == TrialStatus.STOPPED
    assert due.closed_at is not None
    summary = world.client("ana_user").get("/me/summary/").content.decode()
    assert "decided to stop LDN" in summary
    assert "Last dose on Sunday night" in summary
    assert "11 December 2026" in summary
    assert YOU_TAKE_IT not in summary
    today = world.client("ana_user").get("/me/").content.decode()
    assert "decided to <strong>stop LDN</strong>" in today
    assert "that you take LDN" not in today  # the warning for someone who stopped
    assert "more sensitive to opioids" in today
    assert world.client("ana_user").get("/me/calendar.ics").status_code == 404


def test_stop_needs_its_instruction_and_a_follow_up_date(world, due):
    response = sign(world, due, final_outcome="stop", override_reason="x", follow_up_on="")
    body = response.content.decode()
    assert response.status_code == 400
    assert "Write how the patient stops LDN" in body
    assert "Give the follow-up date." in body
    assert not Reassessment.objects.exists()


@pytest.mark.parametrize("day", ["2026-11-27", "2026-01-01", "2028-12-31", "9999-12-31"])
def test_the_follow_up_date_is_after_today_and_within_a_year(world, due, day):
    response = sign(world, due, follow_up_on=day)
    assert response.status_code == 400
    assert "within a year" in response.content.decode()


def test_adjust_keeps_the_trial_active_and_leads_to_an_amendment(world, due):
    response = sign(world, due, final_outcome="adjust", override_reason="try morning dosing")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/clinic/trials/{due.pk}/#amend")
    due.refresh_from_db()
    assert due.status == TrialStatus.ACTIVE
    assert "Amend the protocol" in page(world, due)


def test_signing_on_insufficient_data_needs_the_clinicians_reason(world):
    trial = world.ana_trial  # 20 days in, no diary at all
    url = f"/clinic/trials/{trial.pk}/reassessment/"
    assert 'id="insufficient"' in world.client("dr_ode").get(url).content.decode()
    data = {"final_outcome": "adjust", "password": PASSWORD}
    refused = world.client("dr_ode").post(url, data)
    assert refused.status_code == 400
    assert "Wait for more data, or say why you decide now" in refused.content.decode()
    assert not Reassessment.objects.exists()
    data["data_override"] = "patient moves abroad next week"
    assert world.client("dr_ode").post(url, data).status_code == 302
    assert Reassessment.objects.get().data_override == "patient moves abroad next week"


def test_the_registry_counts_a_stopped_trial_as_ended_not_running(world, due):
    sign(
        world,
        due,
        final_outcome="stop",
        override_reason="x",
        stop_instruction="stop now",
        follow_up_on=FOLLOW_UP,
    )
    by_trial = {r.trial_id: r.status for r in collect.records(world.dr_ode.clinic)}
    assert by_trial[due.pk] is Completion.COMPLETED  # reassessed on enough data, then stopped


def test_the_database_refuses_a_second_signed_decision_for_one_reassessment(world, due):
    sign(world, due)
    item = Reassessment.objects.get()
    item.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        item.save()


def test_the_database_refuses_an_unknown_trial_state(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Trial.objects.filter(pk=world.ana_trial.pk).update(status="paused")


def test_the_database_refuses_two_active_trials_for_one_patient(world):
    second = Trial.objects.get(pk=world.ana_trial.pk)
    second.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()


def test_adjust_then_an_amendment_that_extends_the_trial_is_reassessed_in_its_turn(world, due):
    sign(world, due, final_outcome="adjust", override_reason="partial response: four more weeks")
    today = today_for(world.ana)
    amend = world.client("dr_ode").post(
        f"/clinic/trials/{due.pk}/amend/",
        {
            "kind": "replace_schedule",
            "effective_on": today.isoformat(),
            "reason": "partial response: four more weeks in the morning",
            "steps": f"{today.isoformat()} 4.5 morning",
            "new_reassessment": (today + dt.timedelta(weeks=4)).isoformat(),
        },
    )
    assert amend.status_code == 302
    due.refresh_from_db()
    assert due.version == 1
    assert 'id="sign-form"' in page(world, due)  # version 1 has its own reassessment
    assert (
        sign(
            world,
            due,
            final_outcome="adjust",
            data_override="only a few new days",
            override_reason="too early",
        ).status_code
        == 302
    )
    first, second = Reassessment.objects.order_by("pk")
    assert (first.protocol_version, second.protocol_version) == (0, 1)
    assert not second.is_addendum
    body = page(world, due)
    assert body.count("<td>decision</td>") == 2
    assert "INVALID" not in body  # the first decision still holds on its own version


def test_the_database_states_are_the_cores():
    from ldntrial.core.lifecycle import TrialState
    from ldntrial.core.trial.amendment import AmendmentKind as CoreKind
    from ldntrial.web.clinic.models import AmendmentKind

    assert set(TrialStatus.values) == {s.value for s in TrialState}
    assert set(AmendmentKind.values) == {k.value for k in CoreKind}
    assert dict(TrialStatus.choices) == {s.value: s.label for s in TrialState}
