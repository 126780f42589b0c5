"""The web app's command-line jobs: first admin, demo clinic, audit verification.

Called from ``ldntrial.cli`` after Django is set up. They print nothing about patients beyond
the synthetic demo labels.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
import secrets
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ldntrial import data
from ldntrial.core.errors import InvalidValue
from ldntrial.core.planning import PlanChoices, design_from_choices
from ldntrial.core.protocol import Protocol
from ldntrial.web.accounts import services as accounts
from ldntrial.web.accounts.models import Clinic, Role, User
from ldntrial.web.audit import chain
from ldntrial.web.clinic import services
from ldntrial.web.clinic.models import Patient, Trial

DEMO_CLINIC = "Demo clinic (synthetic data)"


def create_admin(*, clinic: str, username: str, email: str, password: str) -> User:
    return accounts.create_admin(
        clinic_name=clinic, username=username, email=email, password=password
    )


def verify_audit() -> tuple[int, list[str]]:
    from ldntrial.web.audit.models import AuditEvent

    return AuditEvent.objects.count(), [str(p) for p in chain.verify()]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    password: str
    totp_key: str | None


def _staff(clinic: Clinic, username: str, role: str) -> DemoAccount:
    password = secrets.token_urlsafe(12)
    user = User.objects.create_user(
        username=username, password=password, clinic=clinic, role=role, email=""
    )
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return DemoAccount(username, role, password, base64.b32encode(device.bin_key).decode())


def totp_code(username: str) -> str:
    """The current second-factor code of a demo account (demo clinic only)."""
    user = User.objects.filter(username=username, clinic__is_demo=True).first()
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() if user else None
    if device is None:
        raise InvalidValue(f"{username!r} is not a demo staff account")
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp()
    return f"{totp.token():0{device.digits}d}"


def demo(*, seed: int = 7) -> list[DemoAccount]:
    """A demo clinic with synthetic patients in every phase and weeks of synthetic diaries."""
    if Clinic.objects.filter(name=DEMO_CLINIC).exists():
        raise InvalidValue(
            "the demo clinic exists already: use the accounts printed when it was made"
        )
    rng = random.Random(seed)
    with transaction.atomic():
        clinic = Clinic.objects.create(name=DEMO_CLINIC, is_demo=True)
        accounts_made = [
            _staff(clinic, "demo-admin", Role.CLINIC_ADMIN),
            _staff(clinic, "demo-clinician", Role.CLINICIAN),
            _staff(clinic, "demo-pharmacist", Role.PHARMACIST),
            _staff(clinic, "demo-researcher", Role.RESEARCHER),
        ]
        clinician = User.objects.get(username="demo-clinician")
        pharmacist = User.objects.get(username="demo-pharmacist")
        today = timezone.now().date()
        # (label, condition, days since the trial started, started?)
        plans = [
            ("DEMO-01", "fibromyalgia", 5, True),
            ("DEMO-02", "long_covid", 24, True),
            ("DEMO-03", "crps", 55, True),
            ("DEMO-04", "me_cfs", 100, True),
            ("DEMO-05", "multiple_sclerosis", -3, False),
            ("DEMO-06", "fibromyalgia", 0, False),
        ]
        for number, (label, condition, ago, start) in enumerate(plans):
            patient = services.create_patient(
                by=clinician,
                label=label,
                birth_year=1960 + number * 5,
                sex="female" if number % 2 == 0 else "male",
                conditions=[condition],
                time_zone="UTC",
            )
            services.add_medication(by=clinician, patient=patient, text="paracetamol 500 mg prn")
            if label == "DEMO-06":
                continue
            protocol, _ = design_from_choices(
                PlanChoices(
                    condition=condition,
                    start_date=today - dt.timedelta(days=ago),
                    time_zone="UTC",
                ),
                profile=data.ldn_profile(),
                instruments=data.instruments(),
                conditions=data.conditions(),
            )
            trial = services.create_trial(by=clinician, patient=patient, protocol=protocol)
            if not start:
                continue
            services.start_trial(by=clinician, trial=trial)
            trial.refresh_from_db()
            if ago > 20:
                services.mark_dispensed(
                    by=pharmacist,
                    prescription=trial.prescription,
                    lot_number=f"DEMO-LOT-{number:03d}",
                    dispensed_on=protocol.start_date,
                )
            patient_user = None
            if label == "DEMO-02":
                password = secrets.token_urlsafe(12)
                patient_user = User.objects.create_user(
                    username="demo-patient", password=password, clinic=clinic, role=Role.PATIENT
                )
                Patient.objects.filter(pk=patient.pk).update(user=patient_user)
                accounts_made.append(DemoAccount("demo-patient", Role.PATIENT, password, None))
            _diary(
                trial, protocol, patient_user or clinician, today, rng, silent=label == "DEMO-03"
            )
    return accounts_made


def _diary(
    trial: Trial,
    protocol: Protocol,
    by: User,
    today: dt.date,
    rng: random.Random,
    *,
    silent: bool,
) -> None:
    """Synthetic scores: a baseline level, a modest drift after the first dose, daily noise."""
    last = min(today - dt.timedelta(days=4 if silent else 1), protocol.reassessment_date)
    day = protocol.start_date
    level = rng.uniform(5.5, 7.0)
    while day <= last:
        if rng.random() < 0.1:  # about one day in ten is not filled
            day += dt.timedelta(days=1)
            continue
        dosing = protocol.first_dose_date <= day
        drift = -0.02 * (day - protocol.first_dose_date).days if dosing else 0.0
        scores = {}
        for metric in protocol.metrics:
            base = level if metric.better.value == "lower" else 10 - level
            change = drift if metric.better.value == "lower" else -drift
            scores[metric.key] = max(0, min(10, round(base + change + rng.gauss(0, 1))))
        effects = ["vivid_dreams"] if dosing and rng.random() < 0.08 else []
        taken = (rng.random() > 0.07) if dosing else None
        services.submit_diary(
            by=by,
            trial=trial,
            day=day,
            today=day,
            client_key=uuid.UUID(int=rng.getrandbits(128)),
            scores=scores,
            dose_taken=taken,
            dose_time=dt.time(22, 0) if taken else None,
            side_effects=effects,
        )
        day += dt.timedelta(days=1)
