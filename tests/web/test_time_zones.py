"""A patient's day is the patient's own: near midnight the UTC date and the patient's date
differ, and the diary, the dosing day and the trial form follow the patient's time zone."""

import datetime as dt

import pytest
import time_machine

from ldntrial.web.accounts.models import Role
from tests.web.conftest import make_user, signed_in, start_trial_for

# 11:30 UTC on 27 November is already 28 November in Auckland (UTC+13 in summer) and still
# 27 November in London and Los Angeles; 05:30 UTC on 28 November is the 27th in Los Angeles.
AUCKLAND_AHEAD = dt.datetime(2026, 11, 27, 11, 30, tzinfo=dt.UTC)
LOS_ANGELES_BEHIND = dt.datetime(2026, 11, 28, 5, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("instant", "zone", "local_day"),
    [
        (AUCKLAND_AHEAD, "Pacific/Auckland", dt.date(2026, 11, 28)),
        (AUCKLAND_AHEAD, "Europe/London", dt.date(2026, 11, 27)),
        (LOS_ANGELES_BEHIND, "America/Los_Angeles", dt.date(2026, 11, 27)),
        (LOS_ANGELES_BEHIND, "Europe/London", dt.date(2026, 11, 28)),
    ],
)
def test_the_diary_offers_the_patients_own_today(world, instant, zone, local_day):
    with time_machine.travel(instant, tick=False):
        user = make_user(world.clinic_a, "zed", Role.PATIENT)
        patient = world._patient(world.dr_ode, "FM-0900", "fibromyalgia", user, zone=zone)
        start_trial_for(patient, world.dr_ode, condition="fibromyalgia")
        client = signed_in(user)
        body = client.get("/me/").content.decode()
        assert f"/me/diary/{local_day.isoformat()}/" in body
        tomorrow = local_day + dt.timedelta(days=1)
        assert f"/me/diary/{tomorrow.isoformat()}/" not in body
        refused = client.get(f"/me/diary/{tomorrow.isoformat()}/").content.decode()
        assert f"{tomorrow.isoformat()} has not happened yet" in refused


@pytest.mark.parametrize(
    ("instant", "zone", "tomorrow"),
    [
        (AUCKLAND_AHEAD, "Pacific/Auckland", dt.date(2026, 11, 29)),
        (LOS_ANGELES_BEHIND, "America/Los_Angeles", dt.date(2026, 11, 28)),
    ],
)
def test_the_trial_form_starts_tomorrow_in_the_patients_zone(world, instant, zone, tomorrow):
    with time_machine.travel(instant, tick=False):
        user = make_user(world.clinic_a, "zoe", Role.PATIENT)
        patient = world._patient(world.dr_ode, "FM-0901", "fibromyalgia", user, zone=zone)
        page = world.client("dr_ode").get(f"/clinic/patients/{patient.pk}/trials/new/")
        assert f'value="{tomorrow.isoformat()}"' in page.content.decode()


def test_a_stopped_medicines_last_dose_may_be_the_patients_today_not_later(world):
    with time_machine.travel(AUCKLAND_AHEAD, tick=False):
        user = make_user(world.clinic_a, "kia", Role.PATIENT)
        patient = world._patient(
            world.dr_ode, "FM-0902", "fibromyalgia", user, zone="Pacific/Auckland"
        )
        client = world.client("dr_ode")
        for day, expected in (("2026-11-28", 302), ("2026-11-29", 400)):
            client.post(f"/clinic/patients/{patient.pk}/medications/", {"text": "codeine 30mg"})
            medication = patient.medications.filter(removed_at=None).latest("pk")
            prefix = f"stop{medication.pk}"
            response = client.post(
                f"/clinic/medications/{medication.pk}/stop/",
                {f"{prefix}-last_dose_on": day, f"{prefix}-reason": "stopped by GP"},
            )
            assert response.status_code == expected, day
