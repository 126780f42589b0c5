"""Dr Ode's dashboard: search by label, show a subset, sort by phase or alerts, page through, and
a number of queries that does not grow with the number of patients."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ldntrial.web.clinic import dashboard
from ldntrial.web.clinic.models import DiaryEntry, Medication, Patient, Trial, TrialStatus
from ldntrial.web.clinic.queries import today_for


def add_patients(world, count: int, *, prefix: str = "ZZ") -> None:
    """``count`` more patients in clinic A, each with an active trial (Ana's protocol), three
        diary days (one with side effects and a note) and two medicines (one the catalogue does not
    know, confirmed not an opioid by Dr Ode).
        Written in bulk: these rows are the dashboard's load, not what it audits."""
    template = world.ana_trial
    start = today_for(world.ana) - dt.timedelta(days=2)  # the last three days
    patients = Patient.objects.bulk_create(
        Patient(
            clinic=world.clinic_a,
            label=f"{prefix}-{n:04d}",
            birth_year=1970,
            sex="female",
            conditions=["fibromyalgia"],
            time_zone="Europe/London",
        )
        for n in range(count)
    )
    trials = Trial.objects.bulk_create(
        Trial(
            clinic=world.clinic_a,
            patient=p,
            status=TrialStatus.ACTIVE,
            protocol_document=template.protocol_document,
            fingerprint=template.fingerprint,
            created_by=world.dr_ode,
            started_by=world.dr_ode,
            started_at=template.started_at,
        )
        for p in patients
    )
    DiaryEntry.objects.bulk_create(
        DiaryEntry(
            clinic=world.clinic_a,
            trial=t,
            day=start + dt.timedelta(days=d),
            scores={"pain": 6, "sleep_quality": 5, "function": 4},
            side_effects=["vivid_dreams"] if d == 2 else [],
            note="slept badly" if d == 2 else "",
            client_key=uuid.uuid4(),
            submitted_by=world.ana_user,
        )
        for t in trials
        for d in range(3)
    )
    Medication.objects.bulk_create(
        Medication(
            clinic=world.clinic_a,
            patient=p,
            text=text,
            resolved_by=by,
            confirmed_not_opioid=by is not None,
        )
        for p in patients
        for text, by in (("sertraline 50 mg", None), ("zorblaxine", world.dr_ode))
    )


def queries_for(client, url: str = "/clinic/") -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_dashboard_makes_as_many_queries_for_200_patients_as_for_5(
    world, django_assert_max_num_queries
):
    client = world.client("dr_ode")
    client.get("/clinic/")  # the session and second factor are read once, as on any page
    add_patients(world, 2, prefix="AA")  # Ana, Ben and these: 4 in clinic A (Cy is in B)
    add_patients(world, 1, prefix="AB")
    assert Patient.objects.filter(clinic=world.clinic_a).count() == 5
    at_5 = queries_for(client)
    add_patients(world, 195)
    assert Patient.objects.filter(clinic=world.clinic_a).count() == 200
    with django_assert_max_num_queries(at_5):
        response = client.get("/clinic/?sort=alerts")
    assert response.status_code == 200
    assert queries_for(client) == at_5
    assert queries_for(client, "/clinic/?show=alerts&sort=status&page=3") == at_5


def test_search_finds_labels_containing_the_text(world):
    add_patients(world, 3, prefix="CRPS")
    body = world.client("dr_ode").get("/clinic/?q=crps-000").content.decode()
    assert body.count("CRPS-000") == 3
    assert "FM-0001" not in body
    assert "3 patients" in body


def test_pages_hold_25_patients_and_keep_the_search_in_their_links(world):
    add_patients(world, 60)
    client = world.client("dr_ode")
    first = client.get("/clinic/?q=ZZ").content.decode()
    assert "60 patients · page 1 of 3" in first
    assert "ZZ-0000" in first
    assert "ZZ-0025" not in first
    assert "?q=ZZ&amp;page=2" in first
    third = client.get("/clinic/?q=ZZ&page=3").content.decode()
    assert "ZZ-0050" in third
    assert "ZZ-0059" in third
    assert "ZZ-0049" not in third


@pytest.mark.parametrize("page", ["0", "-1", "99999999999", "x", "1e309"])
def test_an_impossible_page_number_shows_the_first_page_with_a_message(world, page):
    response = world.client("dr_ode").get(f"/clinic/?page={page}")
    assert response.status_code == 200
    assert "FM-0001" in response.content.decode()


def test_sorting_by_alerts_puts_the_patients_with_most_alerts_first(world):
    add_patients(world, 2)  # recent diaries with side effects; Ana's and Ben's are silent
    Medication.objects.create(clinic=world.clinic_a, patient=world.ben, text="tramadol 50 mg")
    rows = world.client("dr_ode").get("/clinic/?sort=alerts").context["rows"]
    counts = [r.alert_count for r in rows]
    assert counts == sorted(counts, reverse=True)
    assert rows[0].patient.label == "CR-0002"  # an opioid on the list of a patient on LDN
    assert len(set(counts)) > 1


def test_showing_only_patients_with_alerts_leaves_out_the_others(world):
    add_patients(world, 2)
    rows = world.client("dr_ode").get("/clinic/?show=alerts").context["rows"]
    assert {r.patient.label for r in rows} >= {"ZZ-0000", "ZZ-0001"}
    assert all(r.alert_count > 0 for r in rows)


def test_showing_patients_without_a_trial(world):
    Patient.objects.create(
        clinic=world.clinic_a,
        label="NEW-0001",
        birth_year=1990,
        sex="male",
        conditions=["crps"],
        time_zone="Europe/London",
    )
    rows = world.client("dr_ode").get("/clinic/?show=no_trial").context["rows"]
    assert [r.patient.label for r in rows] == ["NEW-0001"]


def test_sorting_by_phase_puts_a_trial_due_for_reassessment_first(world):
    world.due_trial(seed=3)  # Ana's trial restarted 100 days ago: due
    rows = world.client("dr_ode").get("/clinic/?sort=status").context["rows"]
    assert rows[0].patient.label == "FM-0001"
    assert rows[0].status.stage.is_due


def test_the_latest_diary_note_is_shown_with_the_alerts_escaped(world):
    day = today_for(world.ana)
    world.diary(
        world.ana_trial,
        world.ana_user,
        day,
        note="<b>nightmares</b> since the dose went up",
        side_effects=["vivid_dreams"],
    )
    body = world.client("dr_ode").get("/clinic/").content.decode()
    assert "&lt;b&gt;nightmares&lt;/b&gt; since the dose went up" in body
    assert "<b>nightmares</b>" not in body


def test_rows_are_computed_by_the_core_from_what_was_read(world):
    page, matching = dashboard.dashboard_page(world.clinic_a.pk, dashboard.DashboardForm({}))
    assert matching == 2
    ana = next(r for r in page.object_list if r.patient.label == "FM-0001")
    assert ana.status is not None
    assert ana.status.study_day is not None
