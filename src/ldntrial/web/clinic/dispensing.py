"""The pharmacy's writes: dispensing a prescription and correcting a dispensing.

Each is one transaction with its audit event; the rules (date bounds, a lot and use-by date per
item) are the core's (``ldntrial.core.trial.dispensing``). A correction is a new version with
its reason; the original stays, shown on the prescription page.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from ldntrial.core.errors import FieldErrors, InvalidValue
from ldntrial.core.trial.dispensing import Dispensing as CheckedDispensing
from ldntrial.core.trial.dispensing import check_dispensing
from ldntrial.web.accounts.models import User
from ldntrial.web.audit.chain import audited_change, audited_version
from ldntrial.web.clinic.models import Dispensing, Prescription, PrescriptionStatus
from ldntrial.web.clinic.prescriptions import prescription_snapshot


def record_dispensing(
    *,
    by: User,
    prescription: Prescription,
    dispensed_on: dt.date,
    lot_numbers: dict[str, str],
    use_by: dict[str, dt.date | None],
    today: dt.date,
) -> Dispensing:
    """Mark a prescription dispensed: the day, and each item's lot and use-by date."""
    checked = _check_dispensing(prescription, dispensed_on, lot_numbers, use_by, today)
    with transaction.atomic():
        prescription = Prescription.objects.select_for_update().get(pk=prescription.pk)
        if prescription.status == PrescriptionStatus.DISPENSED:
            raise InvalidValue("this prescription was already marked dispensed")
        with audited_change(prescription, by=by, state=prescription_snapshot, reason="dispensed"):
            prescription.status = PrescriptionStatus.DISPENSED
        return _dispensing_version(by, prescription, checked, current=None, reason="")


def correct_dispensing(
    *,
    by: User,
    prescription: Prescription,
    dispensed_on: dt.date,
    lot_numbers: dict[str, str],
    use_by: dict[str, dt.date | None],
    today: dt.date,
    reason: str,
) -> Dispensing:
    """Correct a recorded dispensing: a new version with its reason; the original is kept."""
    reason = " ".join(reason.split())
    if not reason:
        raise FieldErrors(
            {"reason": "say why the dispensing is corrected (e.g. 'lot misread on the label')"}
        )
    checked = _check_dispensing(prescription, dispensed_on, lot_numbers, use_by, today)
    with transaction.atomic():
        prescription = Prescription.objects.select_for_update().get(pk=prescription.pk)
        current = prescription.dispensings.select_for_update().filter(is_current=True).first()
        if current is None:
            raise InvalidValue("this prescription has not been dispensed yet: nothing to correct")
        return _dispensing_version(by, prescription, checked, current=current, reason=reason)


def _check_dispensing(
    prescription: Prescription,
    dispensed_on: dt.date,
    lot_numbers: dict[str, str],
    use_by: dict[str, dt.date | None],
    today: dt.date,
) -> CheckedDispensing:
    return check_dispensing(
        items=[q["item"] for q in prescription.quantities],
        lot_numbers=lot_numbers,
        use_by=use_by,
        dispensed_on=dispensed_on,
        # The day it was issued where the patient is: "today" comes from the same clock.
        prescribed_on=timezone.localtime(
            prescription.created_at, ZoneInfo(prescription.trial.patient.time_zone)
        ).date(),
        today=today,
        beyond_use_days=prescription.trial.protocol().formulation.beyond_use_days,
    )


def _dispensing_version(
    by: User,
    prescription: Prescription,
    checked: CheckedDispensing,
    *,
    current: Dispensing | None,
    reason: str,
) -> Dispensing:
    return audited_version(
        Dispensing,
        by=by,
        current=current,
        reason=reason,
        event_reason="dispensed",
        clinic=prescription.clinic,
        prescription=prescription,
        dispensed_on=checked.dispensed_on,
        lots=[
            {"item": lot.item, "lot_number": lot.lot_number, "use_by": lot.use_by.isoformat()}
            for lot in checked.lots
        ],
        dispensed_by=by,
    )
