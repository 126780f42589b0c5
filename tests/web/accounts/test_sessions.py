"""Session expiry without lost work: the idle warning, coming back to the page after signing in
again, an interrupted staff form filled in again, the diary's browser draft, and a CSRF failure
page that says what happened.

Personas: Dr Ode (clinician, clinic A), Dr Bo (clinician, clinic B), Ana (patient).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django_otp.oath import totp

from ldntrial.web.accounts.interrupted import STASH_KEY
from ldntrial.web.accounts.models import Session, TOTPDevice
from ldntrial.web.clinic.models import DiaryEntry, Patient
from ldntrial.web.clinic.queries import today_for
from tests.web.clinic.test_patient_views import diary_form
from tests.web.conftest import FROZEN_AT, PASSWORD

NEW_PATIENT = {
    "label": "FM-0900",
    "birth_year": "1980",
    "sex": "female",
    "conditions": ["fibromyalgia"],
    "time_zone": "Europe/Paris",
    "contact": "",
}


def expire_sessions() -> None:
    """What idle sign-out does: the session row is past its end."""
    Session.objects.update(expire_date=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))


def sign_in_again(client: Client, user, *, next_url: str) -> str:
    """Password, then the second step, following ``next`` as the pages carry it; the last
    redirect's target."""
    response = client.post(
        f"/account/login/?next={next_url}", {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302, response.content.decode()
    second_step = client.get(response["Location"])
    assert second_step.status_code == 302
    assert second_step["Location"].startswith("/account/two-factor/")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    device = device or TOTPDevice.new(user, name="phone", confirmed=True)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    done = client.post(second_step["Location"], {"token": code})
    assert done.status_code == 302
    return done["Location"]


def restored_fields(body: str) -> dict[str, list[str]] | None:
    match = re.search(r'<script id="restored-form" type="application/json">(.*?)</script>', body)
    return None if match is None else json.loads(match.group(1))["fields"]


# --- the idle warning -------------------------------------------------------------------------


def test_a_staff_page_carries_the_idle_clock_and_an_accessible_warning(world):
    body = world.client("dr_ode").get("/clinic/").content.decode()
    left = int(re.findall(r'data-session-seconds-left="(\d+)"', body)[0])
    assert settings.STAFF_IDLE_SECONDS - 5 <= left <= settings.STAFF_IDLE_SECONDS
    assert 'data-session-warn-before="120"' in body
    assert 'id="session-warning" class="session-warning" role="alertdialog"' in body
    assert 'aria-describedby="session-warning-text"' in body
    assert "signed out after 30 minutes without activity" in body
    assert '<button type="button" id="session-stay">Stay signed in</button>' in body
    assert '<script src="/static/ldntrial/session.js">' in body


def test_a_patient_page_has_no_idle_warning(world):
    body = world.client("ana_user").get("/me/").content.decode()
    assert "data-session-seconds-left" not in body
    assert "session-warning" not in body


def test_asking_how_long_is_left_does_not_restart_the_clock_and_staying_does(world):
    client = world.client("dr_ode")
    client.get("/clinic/")
    with time_machine.travel(FROZEN_AT + dt.timedelta(minutes=10)):
        asked = client.get("/account/session/").json()
        assert asked["signed_in"] is True
        assert 1190 <= asked["seconds_left"] <= 1200
        assert client.get("/account/session/").json()["seconds_left"] <= 1200
        stayed = client.post("/account/session/").json()
        assert stayed == {"signed_in": True, "seconds_left": settings.STAFF_IDLE_SECONDS}
        assert client.get("/account/session/").json()["seconds_left"] >= 1795


def test_after_idle_sign_out_the_session_answer_says_signed_out(world):
    client = world.client("dr_ode")
    client.get("/clinic/")
    expire_sessions()
    assert client.get("/account/session/").json() == {"signed_in": False, "seconds_left": 0}


# --- back to the page -------------------------------------------------------------------------


def test_after_signing_in_again_staff_return_to_the_page_they_were_on(world):
    client = world.client("dr_ode")
    page = f"/clinic/patients/{world.ana.pk}/"
    client.get(page)
    expire_sessions()
    response = client.get(page)
    assert response["Location"] == f"/account/login/?next=/clinic/patients/{world.ana.pk}/"
    login_page = client.get(response["Location"]).content.decode()
    assert f'<input type="hidden" name="next" value="{page}">' in login_page
    assert sign_in_again(client, world.dr_ode, next_url=page) == page


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/"])
def test_the_way_back_never_leaves_the_site(world, target):
    assert sign_in_again(Client(), world.dr_ode, next_url=target) == "/"


# --- an interrupted staff form ----------------------------------------------------------------


def post_after_expiry(client: Client, data: dict[str, Any], url="/clinic/patients/new/"):
    client.get(url)  # the form is open, the browser knows whose it is
    expire_sessions()
    return client.post(url, data, HTTP_REFERER=f"http://testserver{url}")


def test_an_interrupted_staff_form_is_filled_in_again_after_signing_in(world):
    client = world.client("dr_ode")
    response = post_after_expiry(client, NEW_PATIENT)
    assert response.status_code == 302
    assert response["Location"] == "/account/login/?next=/clinic/patients/new/"
    assert not Patient.objects.filter(label="FM-0900").exists()
    back = sign_in_again(client, world.dr_ode, next_url="/clinic/patients/new/")
    assert back == "/clinic/patients/new/"
    body = client.get(back).content.decode()
    assert "What you typed is filled in again below" in body
    assert restored_fields(body) == {
        "label": ["FM-0900"],
        "birth_year": ["1980"],
        "sex": ["female"],
        "conditions": ["fibromyalgia"],
        "time_zone": ["Europe/Paris"],
        "contact": [""],
    }
    assert restored_fields(client.get(back).content.decode()) is None  # once


def test_a_form_posted_to_another_address_comes_back_to_the_page_it_was_on(world):
    client = world.client("dr_ode")
    page = f"/clinic/patients/{world.ana.pk}/"
    client.get(page)
    expire_sessions()
    response = client.post(
        f"/clinic/patients/{world.ana.pk}/medications/",
        {"text": "tramadol 50 mg"},
        HTTP_REFERER=f"http://testserver{page}",
    )
    assert response["Location"] == f"/account/login/?next={page}"
    sign_in_again(client, world.dr_ode, next_url=page)
    body = client.get(page).content.decode()
    kept = json.loads(re.findall(r'id="restored-form" type="application/json">(.*?)<', body)[0])
    assert kept == {
        "action": f"/clinic/patients/{world.ana.pk}/medications/",
        "fields": {"text": ["tramadol 50 mg"]},
    }


def test_the_kept_form_is_shown_only_to_the_person_who_typed_it(world):
    client = world.client("dr_ode")
    post_after_expiry(client, NEW_PATIENT)
    sign_in_again(client, world.dr_bo, next_url="/clinic/patients/new/")
    body = client.get("/clinic/patients/new/").content.decode()
    assert restored_fields(body) is None
    assert "FM-0900" not in body


def test_passwords_codes_and_csrf_tokens_are_never_kept(world):
    client = world.client("dr_ode")
    post_after_expiry(
        client,
        NEW_PATIENT
        | {"password": "my signing password", "token": "123456", "csrfmiddlewaretoken": "x"},
    )
    kept = client.session[STASH_KEY]["fields"]
    assert set(kept) == set(NEW_PATIENT)


def test_a_kept_form_is_dropped_after_thirty_minutes(world):
    client = world.client("dr_ode")
    post_after_expiry(client, NEW_PATIENT)
    with time_machine.travel(FROZEN_AT + dt.timedelta(minutes=31)):
        sign_in_again(client, world.dr_ode, next_url="/clinic/patients/new/")
        assert restored_fields(client.get("/clinic/patients/new/").content.decode()) is None


def test_an_htmx_form_after_sign_out_takes_the_whole_page_to_sign_in(world):
    client = world.client("dr_ode")
    page = f"/clinic/patients/{world.ana.pk}/screening/"
    client.get(page)
    expire_sessions()
    response = client.post(
        f"/clinic/patients/{world.ana.pk}/situations/",
        {"situations": []},
        HTTP_HX_REQUEST="true",
        HTTP_REFERER=f"http://testserver{page}",
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/account/login/?next={page}"


# --- the patient's diary ----------------------------------------------------------------------


def test_the_diary_keeps_a_browser_draft_which_the_next_page_clears_once_saved(world):
    client = world.client("ana_user")
    day = today_for(world.ana).isoformat()
    key = f"ldntrial.diary.{world.ana_trial.pk}.{day}"
    page = client.get(f"/me/diary/{day}/").content.decode()
    assert f'data-local-draft="{key}"' in page
    assert '<script src="/static/ldntrial/forms.js">' in page
    assert client.post(f"/me/diary/{day}/", diary_form()).status_code == 302
    assert f'data-clear-draft="{key}"' in client.get("/me/").content.decode()
    assert "data-clear-draft" not in client.get("/me/").content.decode()


def test_a_diary_sent_after_sign_out_is_not_kept_on_the_server_and_comes_back(world):
    client = world.client("ana_user")
    day = today_for(world.ana).isoformat()
    url = f"/me/diary/{day}/"
    response = post_after_expiry(client, diary_form(), url=url)
    assert response["Location"] == f"/account/login/?next={url}"
    assert STASH_KEY not in client.session
    assert not DiaryEntry.objects.filter(trial=world.ana_trial).exists()


def test_a_diary_resent_with_its_client_key_is_stored_once(world):
    client = world.client("ana_user")
    day = today_for(world.ana).isoformat()
    form = diary_form(client_key=str(uuid.uuid4()))
    assert client.post(f"/me/diary/{day}/", form).status_code == 302
    assert client.post(f"/me/diary/{day}/", form).status_code == 302  # the draft sent again
    assert DiaryEntry.objects.filter(trial=world.ana_trial).count() == 1


# --- CSRF failures ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "ana_user"])
def test_a_form_refused_by_the_csrf_check_gets_a_page_that_says_what_to_do(world, who):
    client = Client(enforce_csrf_checks=True)
    if who != "anonymous":
        client.force_login(world.ana_user)
    day = today_for(world.ana).isoformat()
    url = "/account/login/" if who == "anonymous" else f"/me/diary/{day}/"
    response = client.post(url, {"username": "ana"}, HTTP_REFERER=f"http://testserver{url}")
    body = response.content.decode()
    assert response.status_code == 403
    assert "Your form was not sent" in body
    assert "Nothing was saved." in body
    assert f'<a href="{url}">Open the page again</a>' in body
    assert "CSRF verification failed" not in body
    assert "Forbidden" not in body
    assert "CSRF_FAILURE_VIEW" not in body
