"""Personas for the web app (all synthetic).

Clinic A: Dr Ode (clinician), Phil (pharmacist), Rae (researcher), Ada (clinic admin), and two
patients with accounts, Ana (an active fibromyalgia trial) and Ben (an active CRPS trial).
Clinic B: Dr Bo (clinician) and patient Cy, with a trial of their own.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any, TypedDict, Unpack

import numpy as np
import pytest
import time_machine
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from ldntrial import data
from ldntrial.core.trial.blinded import BlindedDesign
from ldntrial.core.trial.choices import PlanChoices, design_from_choices
from ldntrial.web.accounts import services as account_services
from ldntrial.web.accounts.models import Clinic, Role, TOTPDevice, User
from ldntrial.web.clinic import services
from ldntrial.web.clinic.models import DiaryEntry, Patient, Trial
from ldntrial.web.clinic.queries import today_for

PASSWORD = "correct horse battery staple 42"


def make_user(clinic: Clinic, username: str, role: str) -> User:
    return account_services.create_account(
        by="test fixture", clinic=clinic, username=username, role=role, password=PASSWORD
    )


def signed_in(user: User) -> Client:
    """A client signed in as ``user``, with the second factor done for staff."""
    client = Client()
    client.force_login(user)
    if user.is_clinic_staff:
        device = TOTPDevice.new(user, name="test", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def plan_form(**overrides: object) -> dict[str, object]:
    """The trial form as a clinician submits it with the usual regimen, starting tomorrow."""
    form: dict[str, object] = {
        "condition": "fibromyalgia",
        "start_date": (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat(),
        "baseline_days": "14",
        "start_dose": "1.5",
        "step": "1.5",
        "interval_days": "14",
        "target": "4.5",
        "timing": "night",
        "reassessment_date": "",
        "reassessment_override": "",
        "metrics": ["pain", "sleep_quality", "function"],
        "primary_metric": "pain",
        "success_percent": "30",
        "success_probability": "0.8",
        "formulation": "capsules",
        "concentration": "1",
        "titration": "exclude",
        "run_in_days": "0",
    }
    form.update(overrides)
    return form


def start_trial_for(
    patient: Patient,
    by: User,
    *,
    days_ago: int = 20,
    condition: str,
    blinded: BlindedDesign | None = None,
) -> Trial:
    """A started trial; ``blinded`` makes it a blinded n-of-1 trial (allocation drawn, sealed)."""
    protocol, _ = design_from_choices(
        PlanChoices(
            condition=condition,
            start_date=today_for(patient) - dt.timedelta(days=days_ago),
            time_zone=patient.time_zone,
            blinded=blinded,
        ),
        profile=data.ldn_profile(),
        instruments=data.instruments(),
        conditions=data.conditions(),
    )
    trial = services.create_trial(by=by, patient=patient, protocol=protocol)
    services.start_trial(by=by, trial=trial)
    trial.refresh_from_db()
    return trial


class DiaryFields(TypedDict, total=False):
    """What a patient fills in on a diary day (``services.submit_diary``)."""

    scores: dict[str, Any]
    dose_taken: bool | None
    dose_time: dt.time | None
    side_effects: list[str]
    side_effect_other: str
    note: str
    correction_reason: str
    client_key: uuid.UUID


class World:
    """Everyone, with a signed-in client for each (made on first use)."""

    def __init__(self) -> None:
        self.clinic_a = Clinic.objects.create(name="Clinic A")
        self.clinic_b = Clinic.objects.create(name="Clinic B")
        self.dr_ode = make_user(self.clinic_a, "dr-ode", Role.CLINICIAN)
        self.phil = make_user(self.clinic_a, "phil", Role.PHARMACIST)
        self.rae = make_user(self.clinic_a, "rae", Role.RESEARCHER)
        self.ada = make_user(self.clinic_a, "ada", Role.CLINIC_ADMIN)
        self.dr_bo = make_user(self.clinic_b, "dr-bo", Role.CLINICIAN)
        self.ana_user = make_user(self.clinic_a, "ana", Role.PATIENT)
        self.ben_user = make_user(self.clinic_a, "ben", Role.PATIENT)
        self.cy_user = make_user(self.clinic_b, "cy", Role.PATIENT)
        self.ana = self._patient(self.dr_ode, "FM-0001", "fibromyalgia", self.ana_user)
        self.ben = self._patient(self.dr_ode, "CR-0002", "crps", self.ben_user)
        self.cy = self._patient(self.dr_bo, "FM-0100", "fibromyalgia", self.cy_user)
        self.ana_trial = start_trial_for(self.ana, self.dr_ode, condition="fibromyalgia")
        self.ben_trial = start_trial_for(self.ben, self.dr_ode, condition="crps")
        self.cy_trial = start_trial_for(self.cy, self.dr_bo, condition="fibromyalgia")
        self._clients: dict[str, Client] = {}

    def _patient(
        self, by: User, label: str, condition: str, user: User, zone: str = "Europe/London"
    ) -> Patient:
        patient = services.create_patient(
            by=by,
            label=label,
            birth_year=1975,
            sex="female",
            conditions=[condition],
            time_zone=zone,
        )
        return account_services.link_patient_account(by=by, patient=patient, user=user)

    def client(self, name: str) -> Client:
        if name == "anonymous":
            return Client()
        if name not in self._clients:
            self._clients[name] = signed_in(getattr(self, name))
        return self._clients[name]

    def due_trial(self, *, seed: int) -> Trial:
        """Ana's trial restarted 100 days ago with a full synthetic diary: pain falls by about
        1.5 points in titration and 3.5 in maintenance. Due for reassessment."""
        self.ana_trial.status = "draft"
        self.ana_trial.save()
        trial = start_trial_for(self.ana, self.dr_ode, days_ago=100, condition="fibromyalgia")
        protocol = trial.protocol()
        rng = np.random.default_rng(seed)
        maintenance = protocol.phases()[-1].first
        day, u = protocol.start_date, 0.0
        while day <= protocol.reassessment_date:
            u = 0.5 * u + rng.normal(0, 0.8)
            dosing = day >= protocol.first_dose_date
            drop = 3.5 if day >= maintenance else (1.5 if dosing else 0.0)
            pain = int(np.clip(round(6.5 - drop + u), 0, 10))
            self.diary(
                trial,
                self.ana_user,
                day,
                scores={"pain": pain, "sleep_quality": 5, "function": 5},
                dose_time=None,
            )
            day += dt.timedelta(days=1)
        return trial

    def blinded_trial(self, *, days_ago: int = 60, design: BlindedDesign | None = None) -> Trial:
        """Ana's trial replaced by a blinded n-of-1 trial started ``days_ago`` days ago (the
        usual titration: blinded periods from day 42 of the trial)."""
        self.ana_trial.status = "draft"
        self.ana_trial.save()
        return start_trial_for(
            self.ana,
            self.dr_ode,
            days_ago=days_ago,
            condition="fibromyalgia",
            blinded=design or BlindedDesign(),
        )

    def diary(
        self, trial: Trial, by: User, day: dt.date, **overrides: Unpack[DiaryFields]
    ) -> tuple[DiaryEntry, bool]:
        dosing = day >= trial.protocol().first_dose_date
        fields: DiaryFields = {
            "scores": {"pain": 6, "sleep_quality": 5, "function": 4},
            "dose_taken": True if dosing else None,
            "dose_time": dt.time(22, 0) if dosing else None,
            "side_effects": [],
            "client_key": uuid.uuid4(),
        }
        fields.update(overrides)
        return services.submit_diary(by=by, trial=trial, day=day, today=day, **fields)


# Web tests run at a fixed instant (time moves on from it), so that "today" never depends on
# when the suite runs. Browser tests keep the real clock: Chromium's cookies follow it.
FROZEN_AT = dt.datetime(2026, 11, 27, 21, 15, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def append_only_lifted(django_db_setup: object, django_db_blocker: Any) -> Iterator[None]:
    """The append-only audit triggers lifted for a module of transactional tests (their flush
    deletes audit events), and put back afterwards (tests.e2e.conftest)."""
    from tests.e2e.conftest import _append_only_triggers_lifted

    with _append_only_triggers_lifted(django_db_blocker):
        yield


@pytest.fixture(autouse=True)
def frozen_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("browser"):
        yield
        return
    with time_machine.travel(FROZEN_AT, tick=True):
        yield


@pytest.fixture
def world(db: object) -> World:
    return World()
