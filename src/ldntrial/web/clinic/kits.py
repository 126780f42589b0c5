"""The kits of blinded n-of-1 trials in the web app: dispensing them, what the pharmacy and the
care team see of them, and the pharmacy's acknowledgement of an unblinding.

The rules are the core's: the kit list (``ldntrial.core.trial.kits``) and the dispensing rules
(``ldntrial.core.trial.dispensing.check_kit_dispensing``). Every write is one transaction with
its audit event. What the care team sees of a kit (:func:`kits_for_care_team`) is built from
the kit list and the dispensing rows only, never from the allocation: it cannot name an arm.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from ldntrial.core.errors import FieldErrors, InvalidValue
from ldntrial.core.trial.blinded import Arm
from ldntrial.core.trial.dispensing import check_kit_dispensing
from ldntrial.core.trial.kits import Kit, KitList, PreparationSheet, kit_list, preparation_sheet
from ldntrial.core.trial.protocol import Protocol
from ldntrial.web.accounts.models import Role, User
from ldntrial.web.audit.chain import audited_change, audited_create
from ldntrial.web.clinic.blinded import allocation_for_pharmacy
from ldntrial.web.clinic.models import KitDispensing, Trial, TrialStatus, Unblinding

LOT_LENGTH = KitDispensing._meta.get_field("lot").max_length or 40


def _pharmacist_of(by: User, trial: Trial) -> None:
    if not by.has_role(Role.PHARMACIST) or by.clinic_id != trial.clinic_id:
        raise InvalidValue("only the pharmacy of the trial's clinic records its kits")


def _blinded_protocol(trial: Trial) -> Protocol:
    """The protocol version in effect: an amendment in the open titration may change the
    tolerated dose and the periods' dates, and the kits follow it."""
    protocol = trial.protocol()
    if not protocol.is_blinded:
        raise InvalidValue("this trial is not blinded: it has no kits")
    return protocol


def kits_of(trial: Trial) -> KitList:
    """The kits of a blinded trial."""
    return kit_list(_blinded_protocol(trial))


def _started_on(trial: Trial) -> dt.date:
    """The day the trial started (its allocation was sealed) where the patient is."""
    started = trial.started_at or timezone.now()
    return timezone.localtime(started, ZoneInfo(trial.patient.time_zone)).date()


def _dispensed_already(kit: int) -> InvalidValue:
    return InvalidValue(
        f"kit {kit} is dispensed already: its dispensing stands as recorded (see the kit list)"
    )


def record_kit_dispensing(
    *,
    by: User,
    trial: Trial,
    kit: int,
    lot: str,
    use_by: dt.date | None,
    dispensed_on: dt.date,
    today: dt.date,
) -> KitDispensing:
    """Record one kit of an active blinded trial as handed over, with its lot and use-by date.
    Once per kit: a second submission (or two at once) is told the kit is dispensed already."""
    _pharmacist_of(by, trial)
    protocol = _blinded_protocol(trial)
    kits = kit_list(protocol)
    if trial.status != TrialStatus.ACTIVE:
        raise InvalidValue(
            f"this trial is {trial.get_status_display().lower()}: kits are dispensed for an "
            "active trial only"
        )
    chosen = next((k for k in kits.kits if k.number == kit), None)
    if chosen is None:
        raise FieldErrors(
            {"kit": f"there is no kit {kit}: this trial's kits are 1 to {len(kits.kits)}"}
        )
    other_lots = (
        KitDispensing.objects.filter(trial=trial).exclude(kit=kit).values_list("lot", flat=True)
    )
    checked = check_kit_dispensing(
        chosen,
        lot_number=lot,
        use_by=use_by,
        dispensed_on=dispensed_on,
        started_on=_started_on(trial),
        today=today,
        beyond_use_days=protocol.formulation.beyond_use_days,
        other_lots=list(other_lots),
    )
    checked_lot = checked.lots[0]
    if len(checked_lot.lot_number) > LOT_LENGTH:
        raise FieldErrors({"lot": f"a kit's lot number has at most {LOT_LENGTH} characters"})
    try:
        with transaction.atomic():
            return audited_create(
                KitDispensing,
                by=by,
                reason=f"kit {kit} dispensed",
                clinic=trial.clinic,
                trial=trial,
                kit=kit,
                lot=checked_lot.lot_number,
                use_by=checked_lot.use_by,
                dispensed_on=checked.dispensed_on,
                dispensed_by=by,
            )
    except IntegrityError:  # the database's one-dispensing-per-kit constraint answered
        raise _dispensed_already(kit) from None


# What each reader sees of the kits.


@dataclass(frozen=True)
class KitRow:
    """One kit as the care team sees it: its number, dates and count, and its dispensing."""

    kit: Kit
    dispensing: KitDispensing | None


def _dispensings(trial: Trial) -> dict[int, KitDispensing]:
    rows = KitDispensing.objects.filter(trial=trial).select_related("dispensed_by")
    return {row.kit: row for row in rows}


def kits_for_care_team(trial: Trial) -> list[KitRow]:
    """The kits of a blinded trial with what was dispensed (empty for an open-label trial).
    Nothing here comes from the allocation."""
    protocol = trial.protocol()
    if not protocol.is_blinded:
        return []
    dispensed = _dispensings(trial)
    return [KitRow(kit, dispensed.get(kit.number)) for kit in kit_list(protocol).kits]


@dataclass(frozen=True)
class SheetRow:
    """One line of the pharmacy's preparation sheet with the kit's dates and dispensing."""

    kit: Kit
    arm_words: str
    content: str
    capsules: int
    dispensing: KitDispensing | None


ARM_WORDS = {Arm.ACTIVE: "LDN (active)", Arm.PLACEBO: "Placebo"}


@dataclass(frozen=True)
class PharmacyKits:
    kits: KitList
    sheet: PreparationSheet
    rows: tuple[SheetRow, ...]

    @property
    def to_dispense(self) -> list[Kit]:
        return [row.kit for row in self.rows if row.dispensing is None]


def pharmacy_kits(*, by: User, trial: Trial) -> PharmacyKits:
    """The preparation sheet of a blinded trial, for its clinic's pharmacy (the allocation is
    opened by ``blinded.allocation_for_pharmacy``, which audits the reading)."""
    _pharmacist_of(by, trial)
    protocol = _blinded_protocol(trial)
    kits = kit_list(protocol)
    allocation = allocation_for_pharmacy(by=by, trial=trial)
    dispensed = _dispensings(trial)
    sheet = preparation_sheet(
        protocol,
        allocation,
        lots={number: row.lot for number, row in dispensed.items()},
    )
    rows = tuple(
        SheetRow(
            kit=kit,
            arm_words=ARM_WORDS[line.arm],
            content=line.content,
            capsules=line.capsules,
            dispensing=dispensed.get(kit.number),
        )
        for kit, line in zip(kits.kits, sheet.lines, strict=True)
    )
    return PharmacyKits(kits, sheet, rows)


@dataclass(frozen=True)
class QueueTrial:
    """An active blinded trial on the pharmacy's queue: how many of its kits are dispensed."""

    trial: Trial
    total: int
    dispensed: int
    next_kit: Kit | None


def blinded_trials_for_queue(by: User) -> list[QueueTrial]:
    """The clinic's active blinded trials, those with kits still to dispense first."""
    trials = (
        Trial.objects.filter(clinic=by.clinic, status=TrialStatus.ACTIVE, allocation__isnull=False)
        .select_related("patient")
        .prefetch_related("kit_dispensings")
        .order_by("started_at", "pk")
    )
    out = []
    for trial in trials:
        kits = kits_of(trial).kits
        done = {row.kit for row in trial.kit_dispensings.all()}
        waiting = [k for k in kits if k.number not in done]
        out.append(QueueTrial(trial, len(kits), len(done), waiting[0] if waiting else None))
    return sorted(out, key=lambda q: q.next_kit is None)


# The pharmacy told of an unblinding.


def unblindings_to_acknowledge(by: User) -> list[Unblinding]:
    return list(
        Unblinding.objects.filter(clinic=by.clinic, pharmacy_seen_at__isnull=True)
        .select_related("trial__patient")
        .order_by("unblinded_at")
    )


def _seen_state(row: Unblinding) -> dict[str, Any]:
    seen = row.pharmacy_seen_at
    return {
        "trial": row.trial_id,
        "kind": row.kind,
        "pharmacy_seen_at": seen.isoformat() if seen is not None else None,
    }


def acknowledge_unblinding(*, by: User, trial: Trial) -> Unblinding:
    """The pharmacy has seen that the trial is unblinded (its notice leaves the queue). Seeing
    it twice changes nothing."""
    _pharmacist_of(by, trial)
    with transaction.atomic():
        row = Unblinding.objects.select_for_update().filter(trial=trial).first()
        if row is None:
            raise InvalidValue("this trial is not unblinded: there is nothing to acknowledge")
        if row.pharmacy_seen_at is not None:
            return row
        with audited_change(
            row,
            by=by,
            state=_seen_state,
            reason="unblinding seen by the pharmacy",
            fields=["pharmacy_seen_at"],
        ):
            row.pharmacy_seen_at = timezone.now()
    return row
