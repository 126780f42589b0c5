"""The security bar, attack by attack (docs/security.md lists them with these tests).

Personas from tests/web/conftest.py: Dr Ode (clinician, clinic A), Ada (clinic A's admin),
Phil (pharmacist), Ana (patient), Dr Bo (clinic B).
"""

from __future__ import annotations

import datetime as dt
import json
import stat
import uuid

import pytest
from django.conf import settings
from django.test import Client
from django_otp.oath import totp

from ldntrial.core.analysis.decision import Outcome
from ldntrial.web import keys, sealing
from ldntrial.web.accounts import services as accounts
from ldntrial.web.accounts.models import Role, Session, TOTPDevice, User
from ldntrial.web.accounts.sessions import stored_key
from ldntrial.web.audit.chain import verify
from ldntrial.web.audit.models import Action, AuditEvent
from ldntrial.web.clinic import reassessment
from ldntrial.web.clinic.models import DiaryEntry
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def mode(path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


# --- open redirect ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "https:evil.example", "/\\evil.example"],
)
def test_the_second_factor_never_redirects_off_site(world, target):
    client = Client()
    client.post("/account/login/", {"username": "dr-ode", "password": PASSWORD})
    device = TOTPDevice.new(world.dr_ode, confirmed=True)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    response = client.post(f"/account/two-factor/?next={target}", {"token": code})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_second_factor_follows_a_next_on_this_site(world):
    client = Client()
    client.post("/account/login/", {"username": "dr-ode", "password": PASSWORD})
    device = TOTPDevice.new(world.dr_ode, confirmed=True)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    response = client.post("/account/two-factor/?next=/clinic/", {"token": code})
    assert response["Location"] == "/clinic/"


def test_sign_in_never_redirects_off_site(world):
    response = Client().post(
        "/account/login/?next=https://evil.example/",
        {"username": "ana", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


# --- sessions ---------------------------------------------------------------------------------


def test_sessions_are_stored_under_a_hash_of_their_key(world):
    client = world.client("ana_user")
    client.get("/me/")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert not Session.objects.filter(session_key=cookie).exists()
    assert Session.objects.filter(session_key=stored_key(cookie)).exists()


def test_a_session_key_read_from_a_copy_of_the_database_signs_no_one_in(world):
    world.client("ana_user").get("/me/")
    thief = Client()
    for row in Session.objects.all():
        thief.cookies[settings.SESSION_COOKIE_NAME] = row.session_key
        response = thief.get("/me/")
        assert response.status_code == 302
        assert response["Location"].startswith("/account/login/")


def test_the_session_key_changes_at_the_second_factor(world):
    client = Client()
    client.post("/account/login/", {"username": "dr-ode", "password": PASSWORD})
    after_password = client.cookies[settings.SESSION_COOKIE_NAME].value
    device = TOTPDevice.new(world.dr_ode, confirmed=True)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    client.post("/account/two-factor/", {"token": code})
    after_factor = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after_factor != after_password
    assert client.get("/clinic/").status_code == 200
    old = Client()
    old.cookies[settings.SESSION_COOKIE_NAME] = after_password
    assert old.get("/clinic/").status_code == 302


def test_a_signed_in_get_does_not_write_the_session(world):
    client = world.client("dr_ode")
    client.get("/clinic/")  # the first request starts the idle clock
    row = Session.objects.get()
    response = client.get("/clinic/")
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert Session.objects.get().expire_date == row.expire_date
    assert Session.objects.get().session_data == row.session_data


def test_idle_sign_out_still_happens(world):
    client = world.client("dr_ode")
    client.get("/clinic/")
    Session.objects.update(expire_date=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    assert client.get("/clinic/").status_code == 302


# --- data at rest -----------------------------------------------------------------------------


def test_totp_secrets_are_sealed_with_a_key_outside_the_database(world):
    device = TOTPDevice.new(world.dr_ode, confirmed=True)
    row = TOTPDevice.objects.filter(pk=device.pk).values().get()
    assert device.bin_key.hex() not in json.dumps(row, default=str)
    assert row["sealed_key"].startswith("v1.")
    # Moved onto another account's row, the sealed secret does not open.
    stolen = TOTPDevice(user=world.phil, sealed_key=row["sealed_key"])
    with pytest.raises(sealing.SealBroken):
        _ = stolen.bin_key


def test_rotating_the_storage_key_keeps_old_secrets_readable_and_moves_them(world):
    from ldntrial.web import commands

    device = TOTPDevice.new(world.dr_ode, confirmed=True)
    secret = device.bin_key
    key_id, moved = commands.rotate_key("storage")
    device.refresh_from_db()
    assert moved >= 1
    assert sealing.key_id_of(device.sealed_key) == key_id
    assert device.bin_key == secret


def test_key_files_and_the_data_directory_are_private():
    for purpose in keys.Purpose:
        keys.ring(purpose)
        assert mode(keys.key_dir() / f"{purpose.value}.keys") == "0o600"
    assert mode(keys.key_dir()) == "0o700"
    assert mode(settings.CONFIG.data_dir) == "0o700"


def test_a_key_file_open_to_others_is_refused_with_the_fix(tmp_path, settings):
    settings.LDNTRIAL_KEY_DIR = tmp_path / "keys"
    keys.ring(keys.Purpose.AUDIT)
    (tmp_path / "keys" / "audit.keys").chmod(0o644)
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match=r"chmod 600 .*audit.keys"):
        keys.ring(keys.Purpose.AUDIT)


def test_a_database_open_to_others_stops_start_up_with_the_fix(tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    from ldntrial.web import config

    database = tmp_path / "ldntrial.sqlite3"
    database.write_text("")
    database.chmod(0o644)
    tmp_path.chmod(0o700)
    with pytest.raises(ImproperlyConfigured, match=r"chmod 600 .*ldntrial.sqlite3"):
        config.private_data_dir(tmp_path)


def test_audit_keys_rotate_and_old_events_still_verify(world):
    old_events = AuditEvent.objects.count()
    keys.rotate(keys.Purpose.AUDIT)
    from ldntrial.web.clinic import services

    services.add_medication(by=world.dr_ode, patient=world.ana, text="z 3 mg")
    key_ids = set(AuditEvent.objects.values_list("key_id", flat=True))
    assert len(key_ids) == 2
    assert AuditEvent.objects.count() == old_events + 1
    assert verify() == []


# --- reassessment signatures ------------------------------------------------------------------


def _sign(world, trial, password, client=None):
    client = client or world.client("dr_ode")
    return client.post(
        f"/clinic/trials/{trial.pk}/reassessment/",
        {
            "final_outcome": "continue",
            "override_reason": "test",
            "password": password,
            "follow_up_on": "2026-12-27",
        },
    )


def test_signatures_use_the_signing_key_and_survive_a_new_secret_key(world, settings):
    trial = world.due_trial(seed=3)
    item = reassessment.sign(
        by=world.dr_ode,
        trial=trial,
        final=Outcome.CONTINUE,
        reason="clinical judgement",
        password=PASSWORD,
        request=_request(),
        follow_up_on=dt.date(2026, 12, 27),
    )
    assert item.signature_key_id == keys.ring(keys.Purpose.SIGNING).current_id
    settings.SECRET_KEY = "a-completely-different-secret-key-" + "x" * 40
    assert reassessment.is_valid(item)
    keys.rotate(keys.Purpose.SIGNING)
    assert reassessment.is_valid(item)  # the old key stays in the ring


def _request():
    from django.test import RequestFactory

    request = RequestFactory().post("/")
    request.META["REMOTE_ADDR"] = "127.0.0.9"
    return request


def test_wrong_signature_passwords_lock_the_account_and_are_audited(world):
    trial = world.due_trial(seed=4)
    client = world.client("dr_ode")
    for _ in range(5):
        response = _sign(world, trial, "not my password at all")
        assert response.status_code in (400, 429)
    failed = AuditEvent.objects.filter(action=Action.REAUTH_FAILED, actor=world.dr_ode).count()
    assert failed == 5
    assert AuditEvent.objects.filter(action=Action.LOCKED_OUT).exists()
    # Locked: even the right password signs nothing, and sign-in is refused from anywhere.
    refused = _sign(world, trial, PASSWORD, client)
    assert refused.status_code == 429
    assert not trial.reassessments.exists()
    elsewhere = Client(REMOTE_ADDR="127.0.0.2")
    response = elsewhere.post("/account/login/", {"username": "dr-ode", "password": PASSWORD})
    assert response.status_code == 429


def test_lock_out_is_per_account_whatever_the_address(world):
    for number in range(5):
        Client(REMOTE_ADDR=f"127.0.0.{number + 10}").post(
            "/account/login/", {"username": "ana", "password": "wrong password 1"}
        )
    response = Client(REMOTE_ADDR="127.0.0.99").post(
        "/account/login/", {"username": "ana", "password": PASSWORD}
    )
    assert response.status_code == 429


def test_an_address_with_many_failures_is_throttled_for_every_account(world):
    from ldntrial.web.accounts.security import IP_FAILURE_LIMIT

    for number in range(IP_FAILURE_LIMIT):
        Client(REMOTE_ADDR="127.0.0.50").post(
            "/account/login/", {"username": f"guess-{number}", "password": "wrong password 1"}
        )
    response = Client(REMOTE_ADDR="127.0.0.50").post(
        "/account/login/", {"username": "ana", "password": PASSWORD}
    )
    assert response.status_code != 302
    assert (
        Client(REMOTE_ADDR="127.0.0.51")
        .post("/account/login/", {"username": "ana", "password": PASSWORD})
        .status_code
        == 302
    )


def test_sign_in_and_failures_and_enrolment_are_audited(world):
    Client().post("/account/login/", {"username": "rae", "password": "wrong password 1"})
    client = Client()
    client.post("/account/login/", {"username": "rae", "password": PASSWORD})
    client.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=world.rae, confirmed=False)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    client.post("/account/two-factor/", {"token": code})
    actions = list(
        AuditEvent.objects.filter(object_type="accounts.User", object_id=str(world.rae.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions[-3:] == [Action.SIGN_IN_FAILED, Action.SIGN_IN, Action.FACTOR_ENROLLED]


# --- invitations and resets -------------------------------------------------------------------


def test_an_old_style_link_spends_its_code(world):
    _, token = accounts.invite(by=world.ada, role=Role.PHARMACIST, username="new-pharm")
    assert Client().get(f"/join/{token}/").status_code == 404
    assert Client().post("/join/", {"code": token}).status_code == 404
    assert verify() == []


def test_an_invitation_makes_only_the_invited_account_and_only_once(world):
    _, token = accounts.invite(by=world.ada, role=Role.PHARMACIST, username="new-pharm")
    client = Client()
    form = {"code": token, "password": PASSWORD, "password_again": PASSWORD, "username": "x"}
    assert client.post("/join/", form).status_code == 302
    user = User.objects.get(username="new-pharm")
    assert (user.role, user.clinic_id) == (Role.PHARMACIST, world.clinic_a.pk)
    assert not User.objects.filter(username="x").exists()
    assert Client().post("/join/", form).status_code == 404
    (event,) = AuditEvent.objects.filter(
        object_type="accounts.User", object_id=str(user.pk), action=Action.CREATE
    )
    assert "first and only use" in event.reason


def test_the_admin_deactivates_and_reactivates_staff(world):
    phil = world.client("phil")
    assert phil.get("/pharmacy/").status_code == 200
    ada = world.client("ada")
    ada.post("/staff/", {"action": "deactivate", "member": world.phil.pk})
    assert not User.objects.get(pk=world.phil.pk).is_active
    assert phil.get("/pharmacy/").status_code in (302, 403)
    ada.post("/staff/", {"action": "reactivate", "member": world.phil.pk})
    assert User.objects.get(pk=world.phil.pk).is_active
    assert [
        e.action
        for e in AuditEvent.objects.filter(
            action__in=[Action.DEACTIVATE, Action.REACTIVATE]
        ).order_by("pk")
    ] == [Action.DEACTIVATE, Action.REACTIVATE]
    assert verify() == []


def test_the_admin_resets_a_password_and_second_factor(world):
    phil = world.client("phil")
    page = world.client("ada").post("/staff/", {"action": "reset", "member": world.phil.pk})
    body = page.content.decode()
    assert "/join/#" in body
    token = body.split("/join/#")[1].split("<")[0]
    member = User.objects.get(pk=world.phil.pk)
    assert not member.has_usable_password()
    assert not TOTPDevice.objects.filter(user=member).exists()
    assert phil.get("/pharmacy/").status_code == 302  # the old session is gone
    client = Client()
    new_password = PASSWORD + " new"
    form = {"code": token, "password": new_password, "password_again": new_password}
    assert client.post("/join/", form).status_code == 302
    assert (
        client.get("/pharmacy/")["Location"] == "/account/two-factor/?next=%2Fpharmacy%2F"
    )  # enrol again
    assert Client().post("/join/", form).status_code == 404  # single use
    assert AuditEvent.objects.filter(action=Action.CREDENTIALS_RESET).count() == 1
    assert verify() == []


@pytest.mark.parametrize("target", ["self", "other clinic", "patient"])
def test_the_admin_cannot_reset_outside_their_staff(world, target):
    member = {"self": world.ada, "other clinic": world.dr_bo, "patient": world.ana_user}[target]
    page = world.client("ada").post("/staff/", {"action": "reset", "member": member.pk})
    assert "/join/#" not in page.content.decode()
    assert User.objects.get(pk=member.pk).has_usable_password()


def test_a_clinician_cannot_deactivate_anyone(world):
    response = world.client("dr_ode").post(
        "/staff/", {"action": "deactivate", "member": world.phil.pk}
    )
    assert response.status_code == 403
    assert User.objects.get(pk=world.phil.pk).is_active


# --- headers ----------------------------------------------------------------------------------

PAGES = {
    "ana_user": ["/me/", "/me/chart/"],
    "dr_ode": ["/clinic/", "/evidence/"],
    "ada": ["/staff/"],
    "rae": ["/research/", "/research/fibromyalgia/"],
}


@pytest.mark.parametrize(("caller", "url"), [(c, u) for c, urls in PAGES.items() for u in urls])
def test_signed_in_pages_carry_a_strict_csp_and_no_store(world, caller, url):
    response = world.client(caller).get(url)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "no-store" in response["Cache-Control"]


def test_the_api_answers_no_store(world):
    response = world.client("ana_user").get(f"/api/trials/{world.ana_trial.pk}")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_no_template_has_inline_script_style_or_handlers():
    import re
    from pathlib import Path

    from ldntrial.reports.rendering import TEMPLATE_DIR

    templates = Path(settings.BASE_DIR) / "templates"
    # The reports' partials are included in pages too; their whole documents are not pages
    # (the report's is a PDF only; the handout's one <style> is allowed by its hash).
    partials = TEMPLATE_DIR.rglob("_*.html")
    offenders = []
    for path in [*templates.rglob("*.html"), *partials]:
        text = path.read_text()
        for pattern in (r"<script(?![^>]*\bsrc=)", r"<style", r"\sstyle=", r"\son[a-z]+="):
            if re.search(pattern, text):
                offenders.append(f"{path.name}: {pattern}")
    assert offenders == []


# --- diary: 422 cases -------------------------------------------------------------------------


def _post_diary(world, **fields):
    body = {
        "client_key": str(uuid.uuid4()),
        "day": world.ana_trial.protocol().start_date.isoformat(),
        "scores": {"pain": 5, "sleep_quality": 5, "function": 5},
        **fields,
    }
    return world.client("ana_user").post(
        f"/api/trials/{world.ana_trial.pk}/diary",
        data=json.dumps(body),
        content_type="application/json",
    )


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"dose_time": "22:00:00+05:00"}, "dose_time", "without a time zone"),
        ({"dose_time": "22:00Z"}, "dose_time", "without a time zone"),
        ({"note": "a\u0000b"}, "note", "NUL"),
        ({"side_effect_other": "\u0000"}, "side_effect_other", "NUL"),
        ({"side_effects": ["vivid_dreams\u0000"]}, "side_effects", "NUL"),
        ({"scores": {"pain\u0000": 5}}, "scores", "NUL"),
    ],
    ids=["offset time", "utc time", "nul note", "nul other", "nul side effect", "nul metric"],
)
def test_bad_text_and_zoned_times_are_refused_with_422(world, fields, field, words):
    response = _post_diary(world, **fields)
    assert response.status_code == 422
    assert words in response.json()["detail"][field]
    assert not DiaryEntry.objects.filter(trial=world.ana_trial).exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"dose_time": "22:00:00+05:00"}, "Enter a valid time."),
        ({"note": "a\u0000b"}, "Null characters are not allowed."),
    ],
    ids=["offset time", "nul note"],
)
def test_the_diary_form_refuses_them_with_a_form_error(world, fields, message):
    from ldntrial.web.clinic.queries import today_for

    day = today_for(world.ana)
    response = world.client("ana_user").post(f"/me/diary/{day.isoformat()}/", fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not DiaryEntry.objects.filter(trial=world.ana_trial).exists()


def test_a_refused_page_is_audited(world):
    response = world.client("dr_ode").get("/staff/")
    assert response.status_code == 403
    (event,) = AuditEvent.objects.filter(action=Action.ACCESS_REFUSED)
    assert (event.actor_id, event.reason) == (world.dr_ode.pk, "refused: GET /staff/")


def test_audit_anchor_prints_signed_heads_that_verify_accepts(world, capsys, tmp_path):
    from ldntrial.cli import main
    from tests.conftest import NOW

    assert main(["audit", "anchor"], {}, now=NOW) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    assert {line["chain"] for line in lines} >= {f"clinic:{world.clinic_a.pk}"}
    assert all(line["mac"] and line["key_id"] for line in lines)
    exported = tmp_path / "kept-elsewhere.jsonl"
    exported.write_text("".join(json.dumps(line) + "\n" for line in lines))
    exported.chmod(0o600)
    assert main(["audit", "verify", "--anchors", str(exported)], {}, now=NOW) == 0
    assert "Audit trail intact" in capsys.readouterr().out


def test_keys_rotate_from_the_command_line(world, capsys):
    from ldntrial.cli import main
    from tests.conftest import NOW

    before = keys.ring(keys.Purpose.SIGNING).current_id
    assert main(["keys", "rotate", "signing"], {}, now=NOW) == 0
    after = keys.ring(keys.Purpose.SIGNING).current_id
    assert after != before
    assert f"New signing key {after} is current" in capsys.readouterr().out
    assert main(["keys", "rotate", "nonsense"], {}, now=NOW) == 2
    assert "not a key purpose" in capsys.readouterr().err


def test_keys_can_come_from_the_environment(monkeypatch):
    import base64

    from django.core.exceptions import ImproperlyConfigured

    key = base64.urlsafe_b64encode(b"k" * 32).decode()
    monkeypatch.setenv("LDNTRIAL_AUDIT_KEYS", f"old:{key},new:{key}")
    ring = keys.ring(keys.Purpose.AUDIT)
    assert (ring.current_id, ring.source) == ("new", "$LDNTRIAL_AUDIT_KEYS")
    with pytest.raises(ImproperlyConfigured, match="add a new id:key pair"):
        keys.rotate(keys.Purpose.AUDIT)
    monkeypatch.setenv("LDNTRIAL_AUDIT_KEYS", "short:abc")
    with pytest.raises(ImproperlyConfigured, match="base64url key of at least 16 bytes"):
        keys.ring(keys.Purpose.AUDIT)


def test_serve_with_an_open_data_directory_stops_with_the_fix_and_no_traceback(tmp_path):
    import os
    import subprocess
    import sys

    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    env = {**os.environ, "LDNTRIAL_DATA_DIR": str(data)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "ldntrial", "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"chmod 700 {data}" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_patient_invitation_link_is_sealed_in_the_session_until_shown(world):
    from ldntrial.web.clinic.models import Patient

    patient = Patient.objects.create(
        clinic=world.clinic_a,
        label="NEW-9",
        birth_year=1990,
        sex="male",
        conditions=["crps"],
        time_zone="UTC",
    )
    client = world.client("dr_ode")
    client.post(f"/clinic/patients/{patient.pk}/invite/")
    stored = " ".join(row.session_data for row in Session.objects.all())
    decoded = json.dumps(dict(client.session.items()))
    assert "/join/#" not in stored
    assert "/join/#" not in decoded
    page = client.get(f"/clinic/patients/{patient.pk}/").content.decode()
    assert "/join/#" in page
