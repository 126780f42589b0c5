"""PEG at baseline and reassessment, PGIC at reassessment: entered by the patient in their app
or by the clinician at the visit, refused with a message when wrong, audited, in the report."""

import datetime as dt

import pytest

from ldntrial.web.audit.models import AuditEvent
from ldntrial.web.clinic import reassessment, services
from ldntrial.web.clinic.models import VisitMeasure
from tests.web.conftest import start_trial_for


@pytest.fixture
def in_baseline(world):
    """Ana's trial restarted 3 days ago: she is in her baseline."""
    world.ana_trial.status = "draft"
    world.ana_trial.save()
    return start_trial_for(world.ana, world.dr_ode, days_ago=3, condition="fibromyalgia")


@pytest.fixture
def due(world):
    return world.due_trial(seed=5)


PEG = {"peg_pain": "7", "peg_enjoyment": "6", "peg_activity": "8"}


def test_during_the_baseline_the_patient_is_asked_the_peg(world, in_baseline):
    client = world.client("ana_user")
    today = client.get("/me/").content.decode()
    assert "Before your first dose: three questions" in today
    page = client.get("/me/visit/baseline/").content.decode()
    assert "What number best describes your pain on average in the past week?" in page
    assert "0 = Does not interfere, 10 = Completely interferes" in page
    assert "Since the start of this trial" not in page  # no PGIC at baseline
    response = client.post("/me/visit/baseline/", PEG)
    assert response.status_code == 302
    item = VisitMeasure.objects.get(trial=in_baseline)
    assert (item.kind, item.peg_pain, item.peg_enjoyment, item.peg_activity) == (
        "baseline",
        7,
        6,
        8,
    )
    assert AuditEvent.objects.filter(object_type="clinic.VisitMeasure").count() == 1
    assert "✓ answered (change)" in client.get("/me/").content.decode()


def test_a_missing_or_impossible_peg_answer_is_refused_with_a_message(world, in_baseline):
    client = world.client("ana_user")
    response = client.post("/me/visit/baseline/", {"peg_pain": "7", "peg_enjoyment": "11"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Select a valid choice. 11 is not one of the available choices." in body
    response = client.post("/me/visit/baseline/", {"peg_pain": "7", "peg_enjoyment": "6"})
    assert response.status_code == 400
    assert "PEG general activity: choose a whole number from 0 to 10" in response.content.decode()
    assert not VisitMeasure.objects.exists()


def test_a_second_answer_is_a_correction_that_keeps_the_first(world, in_baseline):
    client = world.client("ana_user")
    client.post("/me/visit/baseline/", PEG)
    refused = client.post("/me/visit/baseline/", {**PEG, "peg_pain": "5"})
    assert "say why you change it" in refused.content.decode()
    client.post("/me/visit/baseline/", {**PEG, "peg_pain": "5", "correction_reason": "misread"})
    versions = list(VisitMeasure.objects.order_by("version").values_list("peg_pain", "is_current"))
    assert versions == [(7, False), (5, True)]


def test_the_reassessment_questions_open_only_near_the_reassessment(world, in_baseline):
    assert world.client("ana_user").get("/me/visit/reassessment/").status_code == 404


def test_at_reassessment_the_patient_gives_the_peg_and_the_global_impression(world, due):
    client = world.client("ana_user")
    assert "At the end of your trial" in client.get("/me/").content.decode()
    page = client.get("/me/visit/reassessment/").content.decode()
    assert "Since the start of this trial, how would you describe the change" in page
    assert "Very much improved" in page
    assert "Very much worse" in page
    response = client.post("/me/visit/reassessment/", {**PEG, "pgic": "much_improved"})
    assert response.status_code == 302
    assert VisitMeasure.objects.get(trial=due).pgic == "much_improved"
    missing = client.post(
        "/me/visit/reassessment/", {**PEG, "correction_reason": "again", "pgic": ""}
    )
    assert "condition has changed since the start" in missing.content.decode()


def test_the_clinician_records_the_visit_and_the_report_shows_it(world, due):
    client = world.client("dr_ode")
    url = f"/clinic/trials/{due.pk}/visit/"
    last = due.protocol().reassessment_date
    baseline_day = due.protocol().start_date + dt.timedelta(days=2)
    refused = client.post(
        url, {"kind": "baseline", "day": baseline_day, **PEG, "pgic": "much_improved"}
    )
    assert refused.status_code == 400
    assert "the impression of change is asked at reassessment" in refused.content.decode()
    client.post(url, {"kind": "baseline", "day": baseline_day, **PEG})
    response = client.post(
        url,
        {
            "kind": "reassessment",
            "day": last,
            "peg_pain": "3",
            "peg_enjoyment": "2",
            "peg_activity": "4",
            "pgic": "very_much_improved",
        },
    )
    assert response.status_code == 302
    report = client.get(f"/clinic/trials/{due.pk}/reassessment/").content.decode()
    assert "PEG at baseline (0-10, mean of 3 items)" in report
    assert "7.0 (pain 7, enjoyment of life 6, general activity 8)" in report
    assert "<td>PEG change (negative: better)</td><td>-4.0</td>" in report
    assert "very much improved" in report


def test_a_visit_outside_its_window_is_refused(world, due):
    response = world.client("dr_ode").post(
        f"/clinic/trials/{due.pk}/visit/",
        {"kind": "reassessment", "day": due.protocol().start_date, **PEG, "pgic": "no_change"},
    )
    assert response.status_code == 400
    assert "from a week before to two weeks after reassessment" in response.content.decode()


def test_new_visit_measures_make_an_earlier_signature_invalid(world, due):
    from tests.web.conftest import PASSWORD

    client = world.client("dr_ode")
    client.post(
        f"/clinic/trials/{due.pk}/reassessment/",
        # "adjust" keeps the trial active, so its visit measures can still change
        {"final_outcome": "adjust", "override_reason": "a longer trial", "password": PASSWORD},
    )
    item = reassessment.latest(due)
    assert item is not None
    assert reassessment.is_valid(item)
    services.record_visit(
        by=world.dr_ode,
        trial=due,
        kind="reassessment",
        day=due.protocol().reassessment_date,
        today=due.protocol().reassessment_date,
        peg={"pain": 3, "enjoyment": 3, "activity": 3},
        pgic="no_change",
    )
    assert not reassessment.is_valid(item)
