"""Session expiry in a real browser: the diary's draft survives a reload and a sign-out, staff
see a countdown before idle sign-out, and a staff form sent after it comes back filled in
(Chromium, driven by Playwright)."""

from __future__ import annotations

import datetime as dt

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from ldntrial.web.accounts.models import Session, TOTPDevice
from ldntrial.web.clinic.models import DiaryEntry, Patient
from ldntrial.web.clinic.queries import today_for
from tests.e2e.test_flows import PHONE, staff_sign_in
from tests.web.conftest import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def patient_sign_in(page: Page, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def choose(page: Page, group: str, answer: str) -> None:
    page.get_by_role("group", name=group).get_by_text(answer, exact=True).click()


def chosen(page: Page, group: str, answer: str):
    return page.get_by_role("group", name=group).get_by_label(answer, exact=True)


def test_the_diary_draft_survives_a_reload_and_an_expired_session(live_server, browser, shots):
    world = World()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/account/login/")
    patient_sign_in(page, "ana")
    expect(page.get_by_role("heading", name="Hello")).to_be_visible()
    day = today_for(world.ana)
    page.goto(f"{live_server.url}/me/diary/{day.isoformat()}/")
    choose(page, "Your average pain", "6")
    choose(page, "How well you slept", "4")
    page.reload()
    expect(chosen(page, "Your average pain", "6")).to_be_checked()
    expect(chosen(page, "How well you slept", "4")).to_be_checked()
    expect(page.locator("#draft-notice")).to_be_visible()
    shots(page, "draft-after-reload")

    Session.objects.update(expire_date=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    choose(page, "How well you could do", "5")
    choose(page, "Did you take your dose?", "Yes")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert not DiaryEntry.objects.filter(trial=world.ana_trial).exists()
    patient_sign_in(page, "ana")
    # Back on the diary page, with every answer as it was before the sign-out.
    expect(page.get_by_role("heading", name="Diary")).to_be_visible()
    expect(chosen(page, "Your average pain", "6")).to_be_checked()
    expect(chosen(page, "How well you could do", "5")).to_be_checked()
    expect(chosen(page, "Did you take your dose?", "Yes")).to_be_checked()
    shots(page, "draft-after-sign-in")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("link", name="Today ✓ filled (change)")).to_be_visible()
    key = f"ldntrial.diary.{world.ana_trial.pk}.{day.isoformat()}"
    assert page.evaluate("key => window.localStorage.getItem(key)", key) is None
    (entry,) = DiaryEntry.objects.filter(trial=world.ana_trial)
    assert entry.scores == {"pain": 6, "sleep_quality": 4, "function": 5}
    context.close()


def test_staff_see_a_countdown_before_idle_sign_out_and_can_stay(
    live_server, page: Page, settings, shots
):
    settings.STAFF_IDLE_SECONDS = 16
    settings.SESSION_WARNING_SECONDS = 8
    world = World()
    staff_sign_in(page, live_server.url, world.phil)
    expect(page.get_by_role("heading", name="Prescriptions to prepare")).to_be_visible()
    warning = page.get_by_role("alertdialog", name="You will be signed out soon")
    expect(warning).to_be_hidden()
    expect(warning).to_be_visible(timeout=15_000)
    expect(page.locator("#session-countdown")).to_contain_text("second")
    expect(page.get_by_role("button", name="Stay signed in")).to_be_focused()
    shots(page, "idle-warning")
    page.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()
    # Nothing more: the warning comes back, then the page says the session has ended.
    expect(page.get_by_text("You have been signed out")).to_be_visible(timeout=30_000)
    shots(page, "signed-out")
    page.reload()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_staff_form_sent_after_idle_sign_out_comes_back_filled_in(live_server, page: Page):
    world = World()
    staff_sign_in(page, live_server.url, world.dr_ode)
    page.goto(f"{live_server.url}/clinic/patients/new/")
    page.get_by_label("Pseudonymous label").fill("FM-0901")
    page.get_by_label("Year of birth").fill("1969")
    page.get_by_label("Sex").select_option("male")
    page.get_by_label("Fibromyalgia").check()
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    Session.objects.update(expire_date=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    page.get_by_role("button", name="Add patient").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill(world.dr_ode.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    device = TOTPDevice.objects.filter(user=world.dr_ode, confirmed=True).order_by("pk").first()
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)  # the code may be used again
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    page.get_by_label("6-digit code from your authenticator app").fill(code)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("What you typed is filled in again below")).to_be_visible()
    expect(page.get_by_label("Pseudonymous label")).to_have_value("FM-0901")
    expect(page.get_by_label("Year of birth")).to_have_value("1969")
    expect(page.get_by_label("Sex")).to_have_value("male")
    expect(page.get_by_label("Fibromyalgia")).to_be_checked()
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Berlin")
    page.get_by_role("button", name="Add patient").click()
    expect(page.get_by_role("heading", name="FM-0901")).to_be_visible()
    assert Patient.objects.get(label="FM-0901").time_zone == "Europe/Berlin"
