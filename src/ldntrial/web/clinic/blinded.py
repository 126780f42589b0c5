"""Blinded n-of-1 trials in the web app: the allocation sealed at start, opened by the pharmacy
alone, the patient's end-of-period answers, and the unblinding.

Periods are those of the protocol version in effect (``trial.protocol()``): an amendment in the
open titration moves them, and every version keeps the commitment to the one allocation.

Every write is one transaction with its audit event (the actor is ``by``). No audit event, log
line or error message carries an arm before unblinding: the allocation's creation is audited
with its commitment only, a pharmacist's reading of it is audited as a read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ldntrial.core.analysis.blinded_safety import Guess as CoreGuess
from ldntrial.core.errors import FieldErrors, IntegrityFailure, InvalidValue
from ldntrial.core.trial.blinded import BlindedPeriod
from ldntrial.core.trial.protocol import Protocol
from ldntrial.core.trial.randomisation import Allocation, draw_allocation, seal, unseal
from ldntrial.core.trial.visit_measures import Pgic
from ldntrial.web import keys
from ldntrial.web.accounts.models import Role, TOTPDevice, User
from ldntrial.web.accounts.security import reauthenticate
from ldntrial.web.audit.chain import audited_create, record
from ldntrial.web.audit.models import Action
from ldntrial.web.clinic.models import (
    BlindedAllocation,
    PeriodReport,
    Trial,
    TrialStatus,
    Unblinding,
    UnblindingKind,
)

if TYPE_CHECKING:
    from django.http import HttpRequest


def _commitment_only(row: BlindedAllocation) -> dict[str, Any]:
    """What the audit event keeps of a sealed allocation: never its content."""
    return {"trial": row.trial_id, "commitment": row.commitment, "key_id": row.key_id}


def commit_allocation(protocol: Protocol) -> tuple[Protocol, Allocation]:
    """A blinded protocol with the commitment to a freshly drawn allocation (before locking)."""
    if protocol.blinded is None:
        raise InvalidValue("only a blinded n-of-1 protocol has an allocation")
    allocation = draw_allocation(protocol.blinded)
    return dataclasses.replace(protocol, allocation_commitment=allocation.commitment), allocation


def store_allocation(*, by: User, trial: Trial, allocation: Allocation) -> BlindedAllocation:
    """Seal the allocation under the current allocation key and keep it (inside the start's
    transaction); its audit event holds the commitment only."""
    ring = keys.ring(keys.Purpose.ALLOCATION)
    return audited_create(
        BlindedAllocation,
        by=by,
        state=_commitment_only,
        reason="blinded allocation drawn and sealed",
        clinic=trial.clinic,
        trial=trial,
        commitment=allocation.commitment,
        sealed=seal(allocation, ring.current),
        key_id=ring.current_id,
        created_by=by,
    )


def _opened(row: BlindedAllocation, protocol: Protocol) -> Allocation:
    key = keys.ring(keys.Purpose.ALLOCATION).get(row.key_id)
    if key is None:
        raise IntegrityFailure(
            f"the allocation of this trial was sealed with key {row.key_id!r}, which is not in "
            "the allocation key ring: restore that key (LDNTRIAL_ALLOCATION_KEYS or "
            "allocation.keys in the key directory)"
        )
    return unseal(bytes(row.sealed), key, expected_commitment=protocol.allocation_commitment)


def allocation_for_pharmacy(*, by: User, trial: Trial) -> Allocation:
    """The allocation, opened for a pharmacist of the trial's clinic; the reading is audited."""
    if not by.has_role(Role.PHARMACIST) or by.clinic_id != trial.clinic_id:
        raise InvalidValue("only the clinic's pharmacy can read a blinded trial's allocation")
    row = BlindedAllocation.objects.filter(trial=trial).first()
    if row is None:
        raise InvalidValue(
            "this trial has no sealed allocation (it is not blinded, or not started)"
        )
    allocation = _opened(row, trial.protocol())
    with transaction.atomic():
        record(
            by=by,
            action=Action.READ,
            instance=row,
            clinic_id=trial.clinic_id,
            patient_id=trial.patient_id,
            reason="blinded allocation read by the pharmacy",
        )
    return allocation


def revealed_allocation(trial: Trial) -> Allocation | None:
    """The allocation once the trial is unblinded (None before)."""
    unblinding = Unblinding.objects.filter(trial=trial).first()
    if unblinding is None:
        return None
    return Allocation.from_content(unblinding.allocation)


# Periods and the patient's answers.


def period_on(protocol: Protocol, day: dt.date) -> BlindedPeriod | None:
    return next((p for p in protocol.periods() if p.contains(day)), None)


def periods_to_report(trial: Trial, today: dt.date) -> list[BlindedPeriod]:
    """Periods whose last day has come and whose end-of-period questions are unanswered (none
    once the trial is unblinded: an answer given knowing the sequence tests nothing)."""
    if Unblinding.objects.filter(trial=trial).exists():
        return []
    protocol = trial.protocol()
    done = set(PeriodReport.objects.filter(trial=trial).values_list("period", flat=True))
    return [p for p in protocol.periods() if p.last <= today and p.number not in done]


def record_period_report(
    *, by: User, trial: Trial, period: int, guess: str, pgic: str, today: dt.date
) -> PeriodReport:
    """The patient's answers at the end of one period: asked from its last day on, once."""
    protocol = trial.protocol()
    if not protocol.is_blinded or trial.status != TrialStatus.ACTIVE:
        raise InvalidValue("only an active blinded trial asks about its periods")
    chosen = next((p for p in protocol.periods() if p.number == period), None)
    if chosen is None:
        raise InvalidValue(
            f"there is no period {period}: periods are 1 to {len(protocol.periods())}"
        )
    if Unblinding.objects.filter(trial=trial).exists():
        raise InvalidValue(
            "this trial is unblinded: the questions about its periods are no longer asked"
        )
    if chosen.last > today:
        raise InvalidValue(
            f"period {period} ends on {chosen.last.isoformat()}: answer its questions from that day"
        )
    errors: dict[str, str] = {}
    try:
        which = CoreGuess(guess)
    except ValueError:
        errors["guess"] = "Say which you think you took: LDN, placebo, or that you don't know."
    try:
        impression = Pgic(pgic)
    except ValueError:
        errors["pgic"] = (
            "Choose how you feel this period went, from very much improved to very much worse."
        )
    if errors:
        raise FieldErrors(errors)
    answered = "period {period} is answered already: its answers stand as given"
    if PeriodReport.objects.filter(trial=trial, period=period).exists():
        raise InvalidValue(answered.format(period=period))
    try:
        with transaction.atomic():
            return audited_create(
                PeriodReport,
                by=by,
                clinic=trial.clinic,
                trial=trial,
                period=period,
                guess=which.value,
                pgic=impression.value,
                submitted_by=by,
            )
    except IntegrityError:  # a double submission: the database's one-per-period constraint
        raise InvalidValue(answered.format(period=period)) from None


def guesses_of(trial: Trial) -> dict[int, CoreGuess]:
    return {r.period: CoreGuess(r.guess) for r in PeriodReport.objects.filter(trial=trial)}


# Unblinding.


def planned_unblinding_due(trial: Trial, today: dt.date) -> str | None:
    """None when a planned unblinding may happen now; otherwise why not, in words."""
    protocol = trial.protocol()
    periods = protocol.periods()
    if not periods:
        return "this trial is not blinded"
    last = periods[-1]
    if today <= last.last:
        return (
            f"the last period ends on {last.last.isoformat()}: the planned unblinding is from the "
            "day after (an emergency unblinding needs a reason and your second factor)"
        )
    return None


def unblind(
    *,
    by: User,
    trial: Trial,
    kind: UnblindingKind,
    reason: str,
    password: str,
    token: str,
    request: HttpRequest,
    today: dt.date,
) -> Unblinding:
    """Reveal the allocation to the care team. Planned: from the day after the last period.
    Emergency: at any time, with a reason, the clinician's password and a fresh code from their
    second factor; the trial is unblinded early, and the pharmacy is told (its queue shows it)."""
    if not by.has_role(Role.CLINICIAN) or by.clinic_id != trial.clinic_id:
        raise InvalidValue("only a clinician of the trial's clinic can unblind it")
    protocol = trial.protocol()
    if not protocol.is_blinded:
        raise InvalidValue("this trial is not blinded: there is nothing to unblind")
    if trial.status == TrialStatus.DRAFT:
        raise InvalidValue("this trial has not started: nothing has been allocated yet")
    if Unblinding.objects.filter(trial=trial).exists():  # before asking for anything more
        raise InvalidValue("this trial is unblinded already")
    reason = reason.strip()
    if kind == UnblindingKind.PLANNED:
        not_yet = planned_unblinding_due(trial, today)
        if not_yet:
            raise InvalidValue(not_yet)
    else:
        errors = {}
        if not reason:
            errors["reason"] = "An emergency unblinding needs its reason (e.g. the adverse event)."
        if not token.strip():
            code_needed = "Enter the current code from your authenticator app."
            errors["token"] = code_needed
        if errors:
            raise FieldErrors(errors)
        reauthenticate(request, by, password)
        device = TOTPDevice.objects.filter(user=by, confirmed=True).first()
        if device is None or not device.verify_token(token.strip()):
            raise FieldErrors(
                {"token": "That code is not right: wait for the next code and enter it."}
            )
    row = BlindedAllocation.objects.filter(trial=trial).first()
    if row is None:
        raise InvalidValue("this trial has no sealed allocation to reveal")
    allocation = _opened(row, protocol)
    try:
        with transaction.atomic():
            Trial.objects.select_for_update().filter(pk=trial.pk).first()
            if Unblinding.objects.filter(trial=trial).exists():
                raise InvalidValue("this trial is unblinded already")
            return audited_create(
                Unblinding,
                by=by,
                reason=f"trial unblinded ({kind.label.lower()})"
                + (f": {reason}" if reason else ""),
                clinic=trial.clinic,
                trial=trial,
                kind=kind,
                stated_reason=reason,
                allocation=allocation.content(),
                unblinded_by=by,
                unblinded_at=timezone.now(),
            )
    except IntegrityError:  # two unblindings at once: the one-to-one answered
        raise InvalidValue("this trial is unblinded already") from None
