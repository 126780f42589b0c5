"""Signing in, the second factor, lock-out, idle sessions and invitations."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp

from ldntrial.web.accounts import services
from ldntrial.web.accounts.models import Invitation, Role, TOTPDevice, User
from ldntrial.web.clinic.models import Patient
from tests.web.conftest import PASSWORD, make_user

WRONG = "The username and password do not match an account."


def sign_in(client, username, password=PASSWORD):
    return client.post("/account/login/", {"username": username, "password": password})


def current_code(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_a_patient_signs_in_and_lands_on_today(world):
    client = Client()
    response = sign_in(client, "ana")
    assert response.status_code == 302
    assert client.get("/", follow=True).request["PATH_INFO"] == "/me/"


def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(world):
    wrong = sign_in(Client(), "ana", "not the password at all")
    unknown = sign_in(Client(), "nobody-here", "not the password at all")
    assert wrong.status_code == unknown.status_code == 200
    assert WRONG in wrong.content.decode()
    assert WRONG in unknown.content.decode()


@pytest.mark.parametrize("username", ["ana", "nobody-here"])
def test_five_failures_lock_sign_in_without_revealing_the_account(world, username):
    client = Client()
    for _ in range(5):
        sign_in(client, username, "wrong password 123")
    locked = sign_in(client, username, PASSWORD)
    assert locked.status_code == 429
    assert "Signing in is paused for this account" in locked.content.decode()


def test_staff_must_set_up_a_second_factor_before_anything_else(world):
    client = Client()
    sign_in(client, "dr-ode")
    assert client.get("/clinic/")["Location"] == "/account/two-factor/?next=%2Fclinic%2F"
    page = client.get("/account/two-factor/").content.decode()
    assert "Set up your second sign-in step" in page
    assert "<svg" in page
    device = TOTPDevice.objects.get(user=world.dr_ode, confirmed=False)
    refused = client.post("/account/two-factor/", {"token": "000000"})
    assert "That code is not right" in refused.content.decode()
    # django-otp slows down guessing after a failure; a person would wait a moment.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    done = client.post("/account/two-factor/", {"token": current_code(device)})
    assert done.status_code == 302
    assert client.get("/clinic/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_the_api_refuses_staff_without_the_second_factor(world):
    client = Client()
    sign_in(client, "dr-ode")
    response = client.get(f"/api/trials/{world.ana_trial.pk}")
    assert response.status_code == 403
    assert response.json() == {"detail": "complete the second sign-in step first"}


def test_staff_sessions_end_after_30_idle_minutes_and_patients_stay_longer(world):
    staff = world.client("dr_ode")
    staff.get("/clinic/")
    assert staff.session.get_expiry_age() == 30 * 60
    patient = world.client("ana_user")
    patient.get("/me/")
    assert patient.session.get_expiry_age() == 14 * 24 * 3600


def test_an_invitation_sets_a_password_once(world):
    patient = Patient.objects.create(
        clinic=world.clinic_a,
        label="NEW-2",
        birth_year=1990,
        sex="male",
        conditions=["crps"],
        time_zone="UTC",
    )
    _, token = services.invite(
        by=world.dr_ode, role=Role.PATIENT, username="new-2", patient=patient
    )
    client = Client()
    page = client.post("/join/", {"code": token}).content.decode()
    assert "Clinic A" in page
    assert "new-2" in page
    weak = client.post(
        "/join/", {"code": token, "password": "password123", "password_again": "password123"}
    )
    assert weak.status_code == 200
    assert "This password is too short" in weak.content.decode()
    mismatch = client.post(
        "/join/", {"code": token, "password": PASSWORD, "password_again": PASSWORD + "x"}
    )
    assert "The two passwords differ" in mismatch.content.decode()
    done = client.post("/join/", {"code": token, "password": PASSWORD, "password_again": PASSWORD})
    assert done.status_code == 302
    patient.refresh_from_db()
    assert patient.user is not None
    assert patient.user.username == "new-2"
    assert patient.user.role == Role.PATIENT
    assert patient.user.check_password(PASSWORD)
    assert Client().post("/join/", {"code": token}).status_code == 404  # single use


def test_an_expired_invitation_does_not_work(world):
    _, token = services.invite(by=world.ada, role=Role.PHARMACIST, username="late-joiner")
    Invitation.objects.filter(username="late-joiner").update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    response = Client().post(
        "/join/", {"code": token, "password": PASSWORD, "password_again": PASSWORD}
    )
    assert response.status_code == 404
    assert not User.objects.filter(username="late-joiner").exists()


def test_only_the_hash_of_an_invitation_token_is_stored(world):
    invitation, token = services.invite(by=world.ada, role=Role.CLINICIAN, username="dr-new")
    assert token not in invitation.token_hash
    assert invitation.token_hash == Invitation.hash_token(token)


def test_the_clinic_admin_invites_staff(world):
    page = world.client("ada").post("/staff/", {"username": "dr-new", "role": "clinician"})
    body = page.content.decode()
    assert "/join/" in body
    assert Invitation.objects.filter(
        username="dr-new", role=Role.CLINICIAN, clinic=world.clinic_a
    ).exists()


def test_a_taken_username_is_refused_on_the_staff_page(world):
    page = world.client("ada").post("/staff/", {"username": "phil", "role": "pharmacist"})
    assert "the username &#x27;phil&#x27; is taken" in page.content.decode()


def test_a_clinician_cannot_use_the_staff_page(world):
    assert (
        world.client("dr_ode").post("/staff/", {"username": "x", "role": "clinician"}).status_code
        == 403
    )


def test_an_inactive_account_is_refused_everywhere(world):
    client = world.client("dr_ode")
    User.objects.filter(pk=world.dr_ode.pk).update(is_active=False)
    assert client.get("/clinic/").status_code in (302, 403)


def test_make_user_helper_gives_one_clinic_and_one_role(world):
    user = make_user(world.clinic_b, "someone", Role.RESEARCHER)
    assert (user.clinic, user.role, user.is_clinic_staff) == (world.clinic_b, "researcher", True)
