"""The patient in a blinded trial: each period named by number and kit, never by arm, and the
end-of-period questions (which do you think you took, and the PGIC) from each period's last day.

Ana's blinded trial (conftest ``world.blinded_trial``): open titration 1.5 -> 3 mg from day 14,
then six 14-day periods from day 42 (three pairs; with no-capsule periods, three blocks of
three). ``days_ago=60`` puts today on day 60: period 2, with period 1 just over.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import recurring_ical_events
import time_machine
from hypothesis import given, settings
from icalendar import Calendar, Event

from ldntrial.core.trial.blinded import Arm, BlindedDesign
from ldntrial.core.trial.randomisation import unseal
from ldntrial.web import keys
from ldntrial.web.audit.models import Action, AuditEvent
from ldntrial.web.clinic.models import BlindedAllocation, PeriodReport, Trial
from ldntrial.web.clinic.queries import today_for
from tests.web import sweep
from tests.web.conftest import FROZEN_AT, World, signed_in

# What must never be tied to a period before unblinding: the arm values and their words.
ARM_WORDS = re.compile(r"placebo|active|no_capsule|no capsule\b", re.IGNORECASE)
FORMS = re.compile(r'<form method="post" action="/me/periods/.*?</form>', re.DOTALL)
PERIOD_CARD = re.compile(r'<p[^>]*id="blinded-period">(.*?)</p>', re.DOTALL)


def _allocation(trial: Trial):
    row = BlindedAllocation.objects.get(trial=trial)
    key = keys.ring(keys.Purpose.ALLOCATION).get(row.key_id)
    assert key is not None
    return unseal(bytes(row.sealed), key)


def _period_words(body: str) -> str:
    found = PERIOD_CARD.search(body)
    assert found, "the page names no blinded period"
    return re.sub(r"<[^>]+>", "", found.group(1))


def _without_forms(body: str) -> str:
    """The page without its end-of-period questions (whose choices name LDN and placebo)."""
    return FORMS.sub("", body)


def _answer(world: World, period: int, guess: str = "placebo", pgic: str = "much_improved"):
    return world.client("ana_user").post(
        f"/me/periods/{period}/",
        {f"period-{period}-guess": guess, f"period-{period}-pgic": pgic},
    )


# The period in words.


def test_the_today_page_names_the_period_and_its_kit_in_neutral_words(world):
    world.blinded_trial(days_ago=60)
    body = world.client("ana_user").get("/me/").content.decode()
    assert _period_words(body).startswith(
        "Today: Blinded period 2 of 6 — take one capsule from kit 2 each night, until"
    )
    assert "Today's dose" not in body
    assert not ARM_WORDS.search(_without_forms(body))


def test_the_diary_day_says_which_period_it_is_in(world):
    trial = world.blinded_trial(days_ago=60)
    today = today_for(trial.patient)
    body = world.client("ana_user").get(f"/me/diary/{today.isoformat()}/").content.decode()
    assert _period_words(body) == (
        "This day: Blinded period 2 of 6 — take one capsule from kit 2 each night."
    )
    assert "Dose for this day" not in body
    assert not ARM_WORDS.search(body)


def test_every_period_is_worded_alike_whether_it_holds_ldn_or_placebo(world):
    """Walk the clock through all six periods: the wording differs only by its numbers and
    dates, though the sealed allocation puts LDN in some of them and placebo in the others."""
    trial = world.blinded_trial(days_ago=42)
    allocation = _allocation(trial)
    seen: dict[Arm, set[str]] = {Arm.ACTIVE: set(), Arm.PLACEBO: set()}
    for period in trial.protocol().periods():
        for offset in (0, period.days - 1):  # the first and the last day of each period
            day = period.first + dt.timedelta(days=offset)
            at = FROZEN_AT + dt.timedelta(days=(day - trial.protocol().periods()[0].first).days)
            with time_machine.travel(at, tick=False):
                client = signed_in(world.ana_user)
                today = client.get("/me/").content.decode()
                diary = client.get(f"/me/diary/{day.isoformat()}/").content.decode()
            assert not ARM_WORDS.search(_without_forms(today))
            assert not ARM_WORDS.search(diary)
            words = _period_words(today) + _period_words(diary)
            seen[allocation.arm_of_period(period.number)].add(
                re.sub(
                    r"\d+|January|February|March|April|May|June|July|August|September|"
                    r"October|November|December",
                    "N",
                    words,
                )
            )
    assert seen[Arm.ACTIVE] == seen[Arm.PLACEBO]
    assert len(seen[Arm.ACTIVE]) == 1


def test_with_no_capsule_periods_the_patient_takes_the_kit_the_pharmacy_gave(world):
    world.blinded_trial(days_ago=60, design=BlindedDesign(no_capsule=True))
    body = world.client("ana_user").get("/me/").content.decode()
    assert _period_words(body).startswith(
        "Today: Blinded period 2 of 9 (block 1) — take one capsule each night from the kit the "
        "pharmacy gave you for this period, or none if you were told this period has no "
        "capsules, until"
    )
    assert "kit 2" not in body
    assert not re.search(r"placebo|active|no_capsule", _without_forms(body), re.IGNORECASE)


def test_the_open_titration_keeps_its_dose_and_the_plan_lists_the_periods_by_kit(world):
    world.blinded_trial(days_ago=20)
    body = world.client("ana_user").get("/me/").content.decode()
    assert "Today's dose: <strong>1.5 mg</strong>, at night." in body
    assert 'id="blinded-period"' not in body
    plan = re.search(r'<ul id="dosing-plan">(.*?)</ul>', body, re.DOTALL)
    assert plan
    items = re.findall(r"<li[^>]*>(.*?)</li>", plan.group(1))
    assert [i.split(": ", 1)[1] for i in items[:2]] == ["1.5 mg, at night", "3 mg, at night"]
    assert [i.split(": ", 1)[1] for i in items[2:]] == [
        f"Blinded period {n} of 6 — take one capsule from kit {n} each night" for n in range(1, 7)
    ]
    assert "4.5 mg" not in body  # the tolerated dose is the kits' business, not a dose to take


def test_the_calendar_names_each_period_by_kit_and_never_its_arm(world):
    """Every day of the calendar: the open titration's dose, then the period's kit."""
    trial = world.blinded_trial(days_ago=20)
    protocol = trial.protocol()
    response = world.client("ana_user").get("/me/calendar.ics")
    assert response.status_code == 200
    ics = response.content.decode()
    assert not ARM_WORDS.search(ics)
    assert "4.5" not in ics
    found = recurring_ical_events.of(Calendar.from_ical(response.content)).between(
        protocol.first_dose_date, protocol.reassessment_date + dt.timedelta(days=1)
    )
    on_day: dict[dt.date, list[str]] = {}
    for event in found:
        assert isinstance(event, Event)
        assert isinstance(event.start, dt.datetime)
        on_day.setdefault(event.start.date(), []).append(str(event["SUMMARY"]))
    expected: dict[dt.date, list[str]] = {}
    for step in protocol.titration.periods()[:2]:
        for n in range(step.days):
            expected[step.first + dt.timedelta(days=n)] = [f"Take your capsule: {step.step.dose}"]
    for period in protocol.periods():
        for n in range(period.days):
            expected[period.first + dt.timedelta(days=n)] = [
                f"Blinded period {period.number} of 6: one capsule from kit {period.number}"
            ]
    assert on_day == expected


def test_the_chart_says_blinded_periods_and_names_no_arm(world):
    world.blinded_trial(days_ago=60)
    body = world.client("ana_user").get("/me/chart/").content.decode()
    assert "the blinded periods, whose capsules look the same in every kit" in body
    assert not ARM_WORDS.search(body)


def test_an_open_label_trial_keeps_its_usual_wording(world):
    body = world.client("ana_user").get("/me/").content.decode()
    assert "Today's dose:" in body
    assert "Blinded period" not in body
    assert "/me/periods/" not in body


# The end-of-period questions.


@pytest.mark.parametrize(
    ("days_ago", "asked"),
    [(54, []), (55, [1]), (60, [1]), (70, [1, 2])],
    ids=["period 1's last day not yet", "on its last day", "after it", "two periods over"],
)
def test_the_questions_are_asked_from_a_period_s_last_day(world, days_ago, asked):
    world.blinded_trial(days_ago=days_ago)
    body = world.client("ana_user").get("/me/").content.decode()
    assert [int(n) for n in re.findall(r'id="period-report-(\d+)"', body)] == asked


def test_the_questions_are_worded_like_the_visit_s_pgic(world):
    world.blinded_trial(days_ago=60)
    body = world.client("ana_user").get("/me/").content.decode()
    form = re.search(r'id="period-report-1".*?</form>', body, re.DOTALL)
    assert form
    text = form.group(0)
    assert "Which do you think you took in period 1?" in text
    for choice in ("LDN (naltrexone)", "Placebo", "I don&#x27;t know"):
        assert choice in text
    assert "Since the start of period 1 (" in text
    assert "how would you describe the change in your condition overall?" in text
    labels = re.findall(r'name="period-1-pgic" value="(\w+)"', text)
    assert labels == [
        "very_much_improved",
        "much_improved",
        "minimally_improved",
        "no_change",
        "minimally_worse",
        "much_worse",
        "very_much_worse",
    ]


def test_answers_are_stored_audited_and_the_questions_go_away(world):
    trial = world.blinded_trial(days_ago=60)
    response = _answer(world, 1, guess="ldn", pgic="minimally_improved")
    assert response.status_code == 302
    report = PeriodReport.objects.get(trial=trial)
    assert (report.period, report.guess, report.pgic) == (1, "ldn", "minimally_improved")
    assert report.submitted_by == world.ana_user
    event = AuditEvent.objects.get(object_type="clinic.PeriodReport", object_id=str(report.pk))
    assert event.action == Action.CREATE
    assert event.actor == world.ana_user
    body = world.client("ana_user").get("/me/").content.decode()
    assert "Thank you: your answers about period 1 are saved." in body
    assert 'id="period-report-1"' not in body


def test_a_second_submission_is_refused_and_the_first_answers_stand(world):
    trial = world.blinded_trial(days_ago=60)
    assert _answer(world, 1, guess="placebo").status_code == 302
    again = _answer(world, 1, guess="ldn")
    assert again.status_code == 409
    assert "Period 1 is answered already: its answers stand as given." in again.content.decode()
    assert PeriodReport.objects.get(trial=trial).guess == "placebo"
    assert AuditEvent.objects.filter(object_type="clinic.PeriodReport").count() == 1


def test_once_unblinded_the_questions_are_no_longer_asked_nor_taken(world):
    """An answer given knowing the sequence would not test the blinding."""
    from tests.web.clinic.blinded_world import unblind_in_an_emergency

    trial = world.blinded_trial(days_ago=60)
    unblind_in_an_emergency(world, trial, "severe nausea: is it LDN?")
    body = world.client("ana_user").get("/me/").content.decode()
    assert 'id="period-report-1"' not in body
    refused = _answer(world, 1)
    assert refused.status_code == 400
    assert "this trial is unblinded" in refused.content.decode().lower()
    assert not PeriodReport.objects.filter(trial=trial).exists()


def test_bad_answers_come_back_with_their_messages_and_what_was_right_kept(world):
    trial = world.blinded_trial(days_ago=60)
    response = _answer(world, 1, guess="ldn", pgic="splendid")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose how you feel this period went" in body
    assert re.search(r'name="period-1-guess" value="ldn"[^>]*checked', body)
    missing = _answer(world, 1, guess="", pgic="")
    assert missing.status_code == 400
    assert "Say which you think you took" in missing.content.decode()
    assert not PeriodReport.objects.filter(trial=trial).exists()


@pytest.mark.parametrize(
    ("period", "message"),
    [
        (2, "Period 2 ends on "),
        (99, "There is no period 99: periods are 1 to 6."),
        (10**20, f"There is no period {10**20}: periods are 1 to 6."),
    ],
    ids=["not over yet", "no such period", "absurd period"],
)
def test_a_period_not_over_or_not_in_the_trial_is_refused_with_its_reason(world, period, message):
    trial = world.blinded_trial(days_ago=60)
    response = _answer(world, period)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PeriodReport.objects.filter(trial=trial).exists()


def test_an_open_label_trial_has_no_period_questions(world):
    response = world.client("ana_user").post(
        "/me/periods/1/", {"period-1-guess": "ldn", "period-1-pgic": "no_change"}
    )
    assert response.status_code == 400
    assert "Only an active blinded trial asks about its periods." in response.content.decode()
    assert not PeriodReport.objects.exists()


@pytest.mark.parametrize("who", ["dr_ode", "phil", "rae"])
def test_only_the_patient_answers_the_period_questions(world, who):
    world.blinded_trial(days_ago=60)
    response = world.client(who).post(
        "/me/periods/1/", {"period-1-guess": "ldn", "period-1-pgic": "no_change"}
    )
    assert response.status_code == 403
    assert not PeriodReport.objects.exists()


def test_the_period_questions_take_absurd_values_without_a_server_error(world):
    """The input sweep (tests/web/test_input_sweep.py) on the blinded trial's own form."""
    world.blinded_trial(days_ago=60)
    client = world.client("ana_user")
    forms = sweep.forms_in(client.get("/me/").content.decode(), page="/me/")
    (form,) = [f for f in forms if f.action == "/me/periods/1/"]

    @settings(max_examples=40, derandomize=True, deadline=None, database=None)
    @given(data=sweep.payloads(form))
    def submit(data: dict[str, list[str]]) -> None:
        before = sweep.stored_state()
        response = client.post(form.action, data)
        assert response.status_code in (302, 400, 409), (data, response.status_code)
        if response.status_code != 302:
            assert sweep.stored_state() == before

    submit()
    assert PeriodReport.objects.count() <= 1
