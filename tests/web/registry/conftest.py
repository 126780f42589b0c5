"""A registry world: clinic A with a cohort of synthetic fibromyalgia patients (never real
people), each with a locked open-label trial started 100 days ago and an 84-day diary.

Some completed (a signed reassessment), one still running. Labels, contacts, notes and the
"other" side-effect text are distinctive strings, so a test can scan an export for them.
"""

from __future__ import annotations

import datetime as dt
import uuid

import numpy as np
import pytest
from django.utils import timezone

from ldntrial.web.clinic import services
from ldntrial.web.clinic.models import DiaryEntry, Patient, Reassessment, Trial
from ldntrial.web.registry import collect
from tests.web.conftest import World, start_trial_for

LABEL = "ZEBRA-LABEL-{:03d}"
CONTACT = "zebra{:03d}@contact.invalid"
NOTE = "SECRET-NOTE-{:03d} my neighbour Mrs Quill"
OTHER_TEXT = "SECRET-OTHER-{:03d} rash on left hand"


def fill_diary(trial: Trial, *, seed: int, drop: float, by, days: int | None = None) -> None:
    """The trial's diary from its first day (bulk, bypassing the service for speed: the
    registry reads diaries, it does not write them); pain falls by ``drop`` in maintenance."""
    protocol = trial.protocol()
    rng = np.random.default_rng(seed)
    maintenance = protocol.phases()[-1].first
    day, u, rows = protocol.start_date, 0.0, []
    last = protocol.reassessment_date if days is None else protocol.start_date + dt.timedelta(days)
    while day <= last:
        u = 0.5 * u + rng.normal(0, 0.8)
        dosing = day >= protocol.first_dose_date
        fall = drop if day >= maintenance else (drop / 2 if dosing else 0.0)
        pain = int(np.clip(round(6.5 - fall + u), 0, 10))
        effects = ["vivid_dreams"] if dosing and rng.random() < 0.1 else []
        if dosing and seed % 2 == 0 and rng.random() < 0.05:
            effects.append("other")
        rows.append(
            DiaryEntry(
                clinic=trial.clinic,
                trial=trial,
                day=day,
                scores={"pain": pain, "sleep_quality": 5, "function": 5},
                dose_taken=True if dosing else None,
                dose_time=dt.time(22, 0) if dosing else None,
                side_effects=effects,
                side_effect_other=OTHER_TEXT.format(seed) if "other" in effects else "",
                note=NOTE.format(seed),
                client_key=uuid.uuid4(),
                submitted_by=by,
            )
        )
        day += dt.timedelta(days=1)
    DiaryEntry.objects.bulk_create(rows)


def complete(trial: Trial, by) -> None:
    """A signed reassessment (its content is not what the registry reads: only that it exists)."""
    Reassessment.objects.create(
        clinic=trial.clinic,
        trial=trial,
        suggested_outcome="continue",
        suggested_rule="test",
        final_outcome="continue",
        content={},
        content_hash="0" * 64,
        signature="0" * 64,
        signed_by=by,
        signed_at=timezone.now(),
    )


class Registry:
    def __init__(self, world: World, completed: int = 7, running: int = 1) -> None:
        self.world = world
        self.patients: list[Patient] = []
        self.trials: list[Trial] = []
        for number in range(completed + running):
            patient = services.create_patient(
                by=world.dr_ode,
                label=LABEL.format(number),
                birth_year=1961,
                sex="female",
                conditions=["fibromyalgia"],
                time_zone="Europe/London",
                contact=CONTACT.format(number),
            )
            trial = start_trial_for(patient, world.dr_ode, days_ago=100, condition="fibromyalgia")
            fill_diary(trial, seed=number, drop=1.0 + 0.4 * number, by=world.dr_ode)
            if number < completed:
                complete(trial, world.dr_ode)
            self.patients.append(patient)
            self.trials.append(trial)


@pytest.fixture
def registry(world: World) -> Registry:
    collect.clear_cache()
    return Registry(world)
