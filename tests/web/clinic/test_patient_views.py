"""The patient's pages: today, the daily diary (new, correction, closed days), chart, calendar."""

import datetime as dt
import uuid

import pytest
from icalendar import Calendar

from ldntrial.web.clinic.models import DiaryEntry
from ldntrial.web.clinic.queries import today_for


def diary_form(**overrides):
    form = {
        "client_key": str(uuid.uuid4()),
        "score_pain": "6",
        "score_sleep_quality": "4",
        "score_function": "5",
        "dose_taken": "yes",
        "dose_time": "22:05",
        "side_effects": ["vivid_dreams"],
        "side_effect_other": "",
        "note": "",
        "correction_reason": "",
    }
    form.update(overrides)
    return form


@pytest.fixture
def today(world):
    return today_for(world.ana)


def test_today_lists_the_days_that_can_be_filled_and_the_dose(world, today):
    body = world.client("ana_user").get("/me/").content.decode()
    assert "Today" in body
    assert f"/me/diary/{today.isoformat()}/" in body
    assert f"/me/diary/{(today - dt.timedelta(days=3)).isoformat()}/" in body
    assert f"/me/diary/{(today - dt.timedelta(days=4)).isoformat()}/" not in body
    assert "Today's dose: <strong>1.5 mg</strong>, at night." in body  # day 21: first step


def test_the_patient_page_warns_about_opioids_and_sensitivity_after_stopping(world):
    body = world.client("ana_user").get("/me/").content.decode()
    assert 'id="opioid-warning"' in body
    assert "more sensitive to opioids than before" in body
    assert "Carry a card" in body


def test_a_patient_fills_today(world, today):
    response = world.client("ana_user").post(f"/me/diary/{today.isoformat()}/", diary_form())
    entry = DiaryEntry.objects.get(trial=world.ana_trial, day=today)
    assert response.status_code == 302
    assert entry.scores == {"pain": 6, "sleep_quality": 4, "function": 5}
    assert (entry.dose_taken, entry.dose_time, entry.side_effects) == (
        True,
        dt.time(22, 5),
        ["vivid_dreams"],
    )


def test_a_retried_submission_is_stored_once(world, today):
    form = diary_form()
    client = world.client("ana_user")
    client.post(f"/me/diary/{today.isoformat()}/", form)
    client.post(f"/me/diary/{today.isoformat()}/", form)
    assert DiaryEntry.objects.filter(trial=world.ana_trial, day=today).count() == 1


def test_a_correction_needs_a_reason_and_keeps_the_old_version(world, today):
    client = world.client("ana_user")
    url = f"/me/diary/{today.isoformat()}/"
    client.post(url, diary_form())
    refused = client.post(url, diary_form(score_pain="2"))
    assert refused.status_code == 400
    assert "this day is filled already: say why you are changing it" in refused.content.decode()
    client.post(url, diary_form(score_pain="2", correction_reason="wrong button"))
    versions = list(DiaryEntry.objects.filter(trial=world.ana_trial, day=today).order_by("version"))
    assert [(v.version, v.is_current, v.scores["pain"]) for v in versions] == [
        (1, False, 6),
        (2, True, 2),
    ]
    assert versions[1].correction_reason == "wrong button"


def test_missing_answers_are_shown_next_to_their_questions(world, today):
    form = diary_form(score_pain="", dose_taken="", dose_time="")
    response = world.client("ana_user").post(f"/me/diary/{today.isoformat()}/", form)
    body = response.content.decode()
    assert response.status_code == 400
    assert body.count("This field is required.") == 1
    assert "Say whether you took your dose." in body
    assert not DiaryEntry.objects.filter(trial=world.ana_trial).exists()


def test_a_day_past_the_backfill_window_is_closed(world, today):
    day = today - dt.timedelta(days=4)
    url = f"/me/diary/{day.isoformat()}/"
    client = world.client("ana_user")
    assert "can be filled or corrected up to 3 day(s) late" in client.get(url).content.decode()
    assert client.post(url, diary_form()).status_code == 400
    assert not DiaryEntry.objects.filter(trial=world.ana_trial).exists()


def test_a_future_day_is_closed(world, today):
    url = f"/me/diary/{(today + dt.timedelta(days=1)).isoformat()}/"
    assert "has not happened yet" in world.client("ana_user").get(url).content.decode()


def test_a_malformed_day_is_not_found(world):
    assert world.client("ana_user").get("/me/diary/yesterday/").status_code == 404


def test_a_clinician_cannot_fill_a_patients_diary(world, today):
    response = world.client("dr_ode").post(f"/me/diary/{today.isoformat()}/", diary_form())
    assert response.status_code == 403


def test_the_chart_shows_one_svg_per_metric(world, today):
    world.diary(world.ana_trial, world.ana_user, today)
    body = world.client("ana_user").get("/me/chart/").content.decode()
    assert body.count("<svg") == 3
    assert f"{today.isoformat()}: 6" in body


def test_the_calendar_download_is_the_patients_dosing_calendar(world):
    response = world.client("ana_user").get("/me/calendar.ics")
    calendar = Calendar.from_ical(response.content)
    assert response["Content-Type"].startswith("text/calendar")
    assert len(calendar.walk("VEVENT")) == len(world.ana_trial.protocol().titration.steps)


def test_a_patient_without_a_trial_is_told_it_has_not_started(world):
    world.ana_trial.status = "draft"
    world.ana_trial.save()
    body = world.client("ana_user").get("/me/").content.decode()
    assert "Your trial has not started yet." in body
    assert world.client("ana_user").get("/me/chart/").status_code == 404
