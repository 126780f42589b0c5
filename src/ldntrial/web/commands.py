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
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from ldntrial import data
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.choices import PlanChoices, design_from_choices
from ldntrial.core.trial.protocol import Protocol
from ldntrial.web.accounts import services as accounts
from ldntrial.web.accounts.models import Clinic, Role, TOTPDevice, User
from ldntrial.web.audit import chain
from ldntrial.web.clinic import dispensing, services
from ldntrial.web.clinic.models import Trial

DEMO_CLINIC = "Demo clinic (synthetic data)"


def create_admin(*, clinic: str, username: str, email: str, password: str) -> User:
    return accounts.create_admin(
        clinic_name=clinic, username=username, email=email, password=password
    )


def verify_audit(anchor_files: list[Path] | None = None) -> tuple[int, int, list[str]]:
    """(events, chains, problems) of the audit trail, checked against the anchor file and any
    exported anchors given."""
    from ldntrial.web.audit.models import AuditEvent

    problems = [str(p) for p in chain.verify(anchor_files=anchor_files or [])]
    chains = AuditEvent.objects.values("chain").distinct().count()
    return AuditEvent.objects.count(), chains, problems


def migrate() -> None:
    """Apply migrations: as the owner role when ``$LDNTRIAL_OWNER_DATABASE_URL`` is set, then
    give the app's role its restricted rights (ldntrial.web.dbroles)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    if "owner" not in settings.DATABASES:
        call_command("migrate", interactive=False, verbosity=0)
        return
    from ldntrial.web.dbroles import grant_app_role

    call_command("migrate", database="owner", interactive=False, verbosity=0)
    grant_app_role(connections["owner"], settings.DATABASES["default"]["USER"])


def rotate_key(purpose: str) -> tuple[str, int]:
    """A new current key for ``purpose``; for storage, sealed TOTP secrets move to it."""
    from ldntrial.web import keys, sealing

    try:
        chosen = keys.Purpose(purpose)
    except ValueError:
        raise InvalidValue(
            f"{purpose!r} is not a key purpose: use " + ", ".join(p.value for p in keys.Purpose)
        ) from None
    key_id = keys.rotate(chosen)
    moved = 0
    if chosen is keys.Purpose.STORAGE:
        with transaction.atomic():
            for device in TOTPDevice.objects.select_for_update():
                if sealing.key_id_of(device.sealed_key) != key_id:
                    device.set_secret(device.bin_key)
                    device.save(update_fields=["sealed_key"])
                    moved += 1
    return key_id, moved


def anchor_audit() -> list[str]:
    """Anchor every chain head now; the signed lines, to keep outside this machine too."""
    import json

    from ldntrial.web.audit import anchors

    return [json.dumps(line, sort_keys=True) for line in anchors.anchor_heads()]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    password: str
    totp_key: str | None


def _staff(clinic: Clinic, username: str, role: str) -> DemoAccount:
    password = secrets.token_urlsafe(12)
    user = accounts.create_account(
        by="ldntrial demo", clinic=clinic, username=username, role=role, password=password
    )
    device = TOTPDevice.new(user, confirmed=True)
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
    rng = random.Random(seed)  # noqa: S311 - synthetic demo diaries, not a secret
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
                today = timezone.localdate()
                items = [q["item"] for q in trial.prescription.quantities]
                dispensing.record_dispensing(
                    by=pharmacist,
                    prescription=trial.prescription,
                    # Not before the prescription, which is written today.
                    dispensed_on=today,
                    lot_numbers={
                        item: f"DEMO-LOT-{number:03d}-{n}" for n, item in enumerate(items)
                    },
                    use_by={item: today + dt.timedelta(days=60) for item in items},
                    today=today,
                )
            patient_user = None
            if label == "DEMO-02":
                password = secrets.token_urlsafe(12)
                patient_user = accounts.create_account(
                    by="ldntrial demo",
                    clinic=clinic,
                    username="demo-patient",
                    role=Role.PATIENT,
                    password=password,
                )
                accounts.link_patient_account(
                    by="ldntrial demo", patient=patient, user=patient_user
                )
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
