"""Amending a started trial's protocol: one audited transaction per amendment.

The core builds the new locked version (ldntrial.core.trial.amendment); here it is stored as a
ProtocolAmendment next to the locked original (whose document and fingerprint never change),
made the version in effect, and sent to the pharmacy as a new prescription covering the rest
of the trial. Prescriptions not yet dispensed are marked replaced. The patient's calendar and
diary follow the version in effect (Trial.protocol()). docs/decisions/0020.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from ldntrial import data
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.amendment import Amendment, amend, remaining_schedule
from ldntrial.core.trial.document import protocol_to_document
from ldntrial.core.trial.kits import open_titration
from ldntrial.core.trial.titration import WarningCode
from ldntrial.web.accounts.models import User
from ldntrial.web.audit.chain import audited_change, audited_create, snapshot
from ldntrial.web.clinic.models import (
    Prescription,
    PrescriptionStatus,
    ProtocolAmendment,
    Trial,
    TrialStatus,
)


def amend_trial(
    *,
    by: User,
    trial: Trial,
    amendment: Amendment,
    accepted: Sequence[WarningCode] = (),
) -> ProtocolAmendment:
    """Apply ``amendment`` to the version in effect of an active trial, in one transaction."""
    from ldntrial.web.clinic.prescriptions import issue_prescription, prescription_snapshot
    from ldntrial.web.clinic.queries import today_for
    from ldntrial.web.clinic.services import _trial_snapshot

    today = today_for(trial.patient)
    profile = data.ldn_profile()
    with transaction.atomic():
        trial = Trial.objects.select_for_update().get(pk=trial.pk)
        if trial.status != TrialStatus.ACTIVE:
            raise InvalidValue(
                f"only an active trial can be amended; this one is {trial.get_status_display()}"
            )
        amended = amend(
            trial.protocol(),
            amendment,
            today=today,
            at=timezone.now(),
            profile=profile,
            accepted=accepted,
        )
        version = trial.version + 1
        document = protocol_to_document(amended.protocol)
        row = audited_create(
            ProtocolAmendment,
            by=by,
            state=_amendment_snapshot,
            reason=f"protocol amended: {amendment.describe()}",
            clinic=trial.clinic,
            trial=trial,
            version=version,
            kind=amendment.kind.value,
            effective_on=amendment.on,
            clinical_reason=amendment.reason,
            parent_fingerprint=amended.parent_fingerprint,
            fingerprint=amended.fingerprint,
            protocol_document=document,
            diff=amended.diff_json(),
            accepted_warnings=[w.code.value for w in amended.warnings],
            created_by=by,
        )
        with audited_change(
            trial, by=by, state=_trial_snapshot, reason=f"amendment {version} in effect"
        ):
            trial.amended_document = document
            trial.version = version
        waiting = Prescription.objects.select_for_update().filter(
            trial=trial, status=PrescriptionStatus.TO_PREPARE
        )
        for old in waiting:
            with audited_change(
                old, by=by, state=prescription_snapshot, reason=f"replaced by amendment {version}"
            ):
                old.status = PrescriptionStatus.SUPERSEDED
        locked = amended.protocol
        dosing = open_titration(locked) if locked.is_blinded else locked.titration
        if dosing is None:  # a blinded trial already at its tolerated dose: kits only
            return row
        rest = remaining_schedule(dosing, amendment.on)
        covers = "the rest of the open titration (the blinded periods are supplied as kits)"
        header = (
            f"AMENDMENT {version} ({amendment.kind.label}) from {amendment.on.isoformat()}: "
            f"covers {covers if locked.is_blinded else 'the rest of the trial'} and replaces any "
            "earlier prescription not yet dispensed.\n\n"
        )
        issue_prescription(
            by=by,
            trial=trial,
            protocol=locked,
            schedule=rest,
            amendment=row,
            header=header,
            reason=f"prescription for amendment {version}",
        )
    return row


def _amendment_snapshot(row: ProtocolAmendment) -> dict[str, Any]:
    return snapshot(row, exclude=("protocol_document",))
