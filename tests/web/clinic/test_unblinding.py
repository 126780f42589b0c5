"""Unblinding a blinded trial in the web app: planned from the day after the last period, or in
an emergency with a reason, the password and a fresh second-factor code; the sequence is shown
only afterwards.

Ana's blinded trial (conftest ``world.blinded_trial``): six 14-day periods from day 42, the last
ending on day 125. ``days_ago=60`` is mid-trial; ``days_ago=126`` is the day after the end.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone
from django_otp.oath import TOTP
from hypothesis import given, settings

from ldntrial.core.trial.blinded import Arm
from ldntrial.core.trial.randomisation import Allocation
from ldntrial.web.accounts.models import TOTPDevice, User
from ldntrial.web.audit.models import Action, AuditEvent
from ldntrial.web.clinic.models import Trial, Unblinding, UnblindingKind
from tests.web import sweep
from tests.web.conftest import PASSWORD, World

ARM_WORDS = re.compile(r"placebo|active|no_capsule|no capsule", re.IGNORECASE)
ARM_NAMES = {Arm.ACTIVE: "LDN", Arm.PLACEBO: "Placebo", Arm.NO_CAPSULE: "No capsule"}
REASON = "Severe vivid dreams and insomnia: decide whether to stop now"


def code_for(user: User, *, later_steps: int = 0) -> str:
    """The authenticator's code, as the clinician's phone shows it (``web.commands.totp_code``);
    ``later_steps`` ahead for a code not used yet (django-otp refuses a code twice)."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp() + later_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def _url(trial: Trial) -> str:
    return f"/clinic/trials/{trial.pk}/unblind/"


def _emergency(world: World, trial: Trial, **overrides: str):
    client = world.client("dr_ode")  # signs in, with the second factor enrolled
    form = {
        "kind": "emergency",
        "reason": REASON,
        "password": PASSWORD,
        "token": code_for(world.dr_ode),
    }
    form.update(overrides)
    return client.post(_url(trial), form)


def _sequence_rows(body: str) -> list[list[str]]:
    table = re.search(r'<table id="sequence">.*?<tbody>(.*?)</tbody>', body, re.DOTALL)
    assert table, "no sequence on the page"
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table[1])]


# The page and who may see it.


def test_the_trial_page_links_a_blinded_trial_to_its_unblinding(world):
    trial = world.blinded_trial(days_ago=60)
    body = world.client("dr_ode").get(f"/clinic/trials/{trial.pk}/").content.decode()
    assert re.search(
        r'Blinding: <strong>blinded</strong> · <a href="/clinic/trials/\d+/unblind/"', body
    )
    open_label = world.client("dr_ode").get(f"/clinic/trials/{world.ben_trial.pk}/").content
    assert b"/unblind/" not in open_label


def test_before_unblinding_the_page_shows_the_status_and_no_sequence(world):
    trial = world.blinded_trial(days_ago=60)
    response = world.client("dr_ode").get(_url(trial))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Status: <strong>blinded</strong>" in body
    assert 'id="sequence"' not in body
    assert not ARM_WORDS.search(body)
    assert AuditEvent.objects.filter(
        action=Action.READ, actor=world.dr_ode, reason=f"unblinding of trial {trial.pk}"
    ).exists()


@pytest.mark.parametrize("who", ["ana_user", "phil", "rae", "ada"])
def test_no_one_but_a_clinician_may_unblind(world, who):
    trial = world.blinded_trial(days_ago=126)
    client = world.client(who)
    assert client.get(_url(trial)).status_code == 403
    assert client.post(_url(trial), {"kind": "planned"}).status_code == 403
    assert not Unblinding.objects.exists()


def test_another_clinic_s_clinician_gets_not_found(world):
    trial = world.blinded_trial(days_ago=126)
    client = world.client("dr_bo")
    assert client.get(_url(trial)).status_code == 404
    assert client.post(_url(trial), {"kind": "planned"}).status_code == 404
    assert not Unblinding.objects.exists()


def test_an_open_label_trial_has_no_unblinding_page(world):
    assert world.client("dr_ode").get(_url(world.ben_trial)).status_code == 404


# Planned unblinding.


def test_the_planned_unblinding_is_refused_before_the_end_with_its_reason(world):
    trial = world.blinded_trial(days_ago=60)
    last_day = trial.protocol().periods()[-1].last.isoformat()
    client = world.client("dr_ode")
    page = client.get(_url(trial)).content.decode()
    assert f"Not yet: the last period ends on {last_day}" in page
    assert 'name="kind" value="planned"' not in page
    response = client.post(_url(trial), {"kind": "planned"})
    assert response.status_code == 400
    assert f"The last period ends on {last_day}: the planned unblinding is from the day after" in (
        response.content.decode()
    )
    assert not Unblinding.objects.exists()


def test_the_planned_unblinding_is_allowed_from_the_day_after_the_last_period(world):
    trial = world.blinded_trial(days_ago=126)
    client = world.client("dr_ode")
    assert 'name="kind" value="planned"' in client.get(_url(trial)).content.decode()
    response = client.post(_url(trial), {"kind": "planned"})
    assert response.status_code == 302
    unblinding = Unblinding.objects.get(trial=trial)
    assert unblinding.kind == UnblindingKind.PLANNED
    assert not unblinding.is_early
    assert unblinding.unblinded_by == world.dr_ode
    body = client.get(_url(trial)).content.decode()
    assert "The trial is unblinded as planned" in body
    assert "Status: <strong>unblinded as planned</strong>" in body
    allocation = Allocation.from_content(unblinding.allocation)
    assert _sequence_rows(body) == [
        [
            str(p.number),
            str(p.pair),
            p.first.isoformat(),
            p.last.isoformat(),
            str(allocation.kit_of_period(p.number)),
            ARM_NAMES[allocation.arm_of_period(p.number)],
        ]
        for p in trial.protocol().periods()
    ]
    event = AuditEvent.objects.get(object_type="clinic.Unblinding", action=Action.CREATE)
    assert event.reason == "trial unblinded (planned, after the last period)"


def test_a_second_unblinding_gets_a_clear_message(world):
    trial = world.blinded_trial(days_ago=126)
    client = world.client("dr_ode")
    assert client.post(_url(trial), {"kind": "planned"}).status_code == 302
    again = client.post(_url(trial), {"kind": "planned"})
    assert again.status_code == 409
    assert "This trial is unblinded already." in again.content.decode()
    assert Unblinding.objects.count() == 1


def test_a_post_without_a_kind_is_refused(world):
    trial = world.blinded_trial(days_ago=126)
    response = world.client("dr_ode").post(_url(trial), {"kind": "whenever"})
    assert response.status_code == 400
    assert "Choose the planned or the emergency unblinding." in response.content.decode()


# Emergency unblinding.


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"reason": "  "}, "reason", "An emergency unblinding needs its reason"),
        ({"token": ""}, "token", "Enter the current code from your authenticator app."),
        ({"password": "not my password"}, "password", "That is not your password"),
        ({"token": "stale"}, "token", "That code is not right"),
    ],
    ids=["no reason", "no code", "wrong password", "wrong code"],
)
def test_an_emergency_unblinding_needs_reason_password_and_second_factor(
    world, overrides, field, message
):
    trial = world.blinded_trial(days_ago=60)
    if overrides.get("token") == "stale":  # a code of five minutes ago
        world.client("dr_ode")
        overrides = {"token": code_for(world.dr_ode, later_steps=-10)}
    response = _emergency(world, trial, **overrides)
    assert response.status_code == 400
    body = response.content.decode()
    errors = re.search(
        rf'id="field-{field}".*?<ul class="errorlist"[^>]*>(.*?)</ul>', body, re.DOTALL
    )
    assert errors
    assert message in errors.group(1)
    assert not Unblinding.objects.exists()
    assert 'id="sequence"' not in body
    assert not ARM_WORDS.search(body)


def test_a_wrong_password_is_audited_like_any_wrong_e_signature(world):
    trial = world.blinded_trial(days_ago=60)
    wrong = "not my password"
    assert _emergency(world, trial, password=wrong).status_code == 400
    assert AuditEvent.objects.filter(action=Action.REAUTH_FAILED, actor=world.dr_ode).count() == 1


def test_a_code_already_used_is_refused(world):
    trial = world.blinded_trial(days_ago=60)
    world.client("dr_ode")
    code = code_for(world.dr_ode)
    device = TOTPDevice.objects.get(user=world.dr_ode)
    assert device.verify_token(code)  # the code has just been used, e.g. to sign in
    response = _emergency(world, trial, token=code)
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert not Unblinding.objects.exists()


def test_an_emergency_unblinding_is_audited_with_its_reason_and_marks_the_trial_early(world):
    trial = world.blinded_trial(days_ago=60)
    world.client("dr_ode")
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=31), tick=False):
        response = _emergency(world, trial, token=code_for(world.dr_ode, later_steps=1))
    assert response.status_code == 302
    unblinding = Unblinding.objects.get(trial=trial)
    assert unblinding.kind == UnblindingKind.EMERGENCY
    assert unblinding.is_early
    assert unblinding.stated_reason == REASON
    event = AuditEvent.objects.get(object_type="clinic.Unblinding", action=Action.CREATE)
    assert event.actor == world.dr_ode
    assert event.reason == f"trial unblinded (emergency, before the end): {REASON}"
    client = world.client("dr_ode")
    body = client.get(_url(trial)).content.decode()
    assert "Status: <strong>unblinded early (emergency)</strong>" in body
    assert f"Reason: {REASON}" in body
    assert len(_sequence_rows(body)) == 6
    trial_page = client.get(f"/clinic/trials/{trial.pk}/").content.decode()
    assert "Blinding: <strong>unblinded early (emergency)</strong>" in trial_page


def test_after_an_emergency_unblinding_the_planned_one_is_refused(world):
    trial = world.blinded_trial(days_ago=60)
    assert _emergency(world, trial).status_code == 302
    again = world.client("dr_ode").post(_url(trial), {"kind": "planned"})
    assert again.status_code == 409
    assert "This trial is unblinded already." in again.content.decode()
    assert Unblinding.objects.get().kind == UnblindingKind.EMERGENCY


def test_the_unblinding_forms_take_absurd_values_without_a_server_error(world):
    """The input sweep (tests/web/test_input_sweep.py) on the page's two forms: nothing is
    revealed, since no absurd value is Dr Ode's password with a fresh code."""
    trial = world.blinded_trial(days_ago=126)
    client = world.client("dr_ode")
    forms = sweep.forms_in(client.get(_url(trial)).content.decode(), page=_url(trial))
    emergency = [f for f in forms if "token" in f.fields]
    assert len(emergency) == 1

    @settings(max_examples=40, derandomize=True, deadline=None, database=None)
    @given(data=sweep.payloads(emergency[0]))
    def submit(data: dict[str, list[str]]) -> None:
        before = sweep.stored_state()
        response = client.post(_url(trial), data)
        assert response.status_code in (400, 429), (data, response.status_code)
        assert sweep.stored_state() == before

    submit()
    assert not Unblinding.objects.exists()
