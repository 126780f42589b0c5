"""Every write to clinical data: one function per use case, one transaction, one audit event.

The actor is the keyword argument ``by``. Clinical rules come from ``ldntrial.core``; these
functions translate between the database and core types and record what changed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from ldntrial import data
from ldntrial.core import bounds
from ldntrial.core.errors import FieldErrors, InvalidValue
from ldntrial.core.screening.intervals import check_first_dose, check_last_dose
from ldntrial.core.trial.diary import check_day_open, validate_entry
from ldntrial.core.trial.document import protocol_to_document
from ldntrial.core.trial.kits import open_titration
from ldntrial.core.trial.protocol import Protocol, require_time_zone
from ldntrial.web.accounts.models import User
from ldntrial.web.audit.chain import (
    audited_change,
    audited_create,
    audited_version,
    record,
    snapshot,
)
from ldntrial.web.audit.models import Action
from ldntrial.web.clinic import blinded
from ldntrial.web.clinic.models import (
    DiaryEntry,
    Medication,
    Patient,
    Trial,
    TrialStatus,
    VisitMeasure,
)
from ldntrial.web.clinic.prescriptions import issue_prescription


def create_patient(
    *,
    by: User,
    label: str,
    birth_year: int,
    sex: str,
    conditions: list[str],
    time_zone: str,
    contact: str = "",
) -> Patient:
    require_time_zone(time_zone)
    bounds.check_birth_year(birth_year, today=timezone.localdate())
    catalogue = data.conditions()
    for key in conditions:
        catalogue.get(key)
    taken = FieldErrors({"label": f"a patient labelled {label!r} already exists in this clinic"})
    if Patient.objects.filter(clinic=by.clinic, label=label).exists():
        raise taken
    try:
        # Two submissions at once both pass the check above; the database's unique constraint
        # refuses the second, whose transaction (row and audit event) is rolled back whole.
        with transaction.atomic():
            return audited_create(
                Patient,
                by=by,
                clinic=by.clinic,
                label=label,
                birth_year=birth_year,
                sex=sex,
                conditions=conditions,
                time_zone=time_zone,
                contact=contact,
            )
    except IntegrityError:
        if Patient.objects.filter(clinic=by.clinic, label=label).exists():
            raise taken from None
        raise


def add_medication(
    *,
    by: User,
    patient: Patient,
    text: str,
    stopped: bool = False,
    last_dose_on: dt.date | None = None,
    reason: str = "",
) -> Medication:
    """Add a medicine as the patient reports it; a medicine already stopped needs the day of its
    last dose (the opioid-free interval is counted from it) and a reason."""
    text = " ".join(text.split())
    if not text:
        raise FieldErrors(
            {"text": "write the medicine as the patient takes it, e.g. 'sertraline 50 mg'"}
        )
    if last_dose_on is not None:
        check_last_dose(last_dose_on, today=_today_for(patient))
    if stopped:
        _require_stop_details(last_dose_on, reason)
    return audited_create(
        Medication,
        by=by,
        reason=reason.strip(),
        clinic=patient.clinic,
        patient=patient,
        text=text,
        last_dose_on=last_dose_on,
        removed_at=timezone.now() if stopped else None,
        removal_reason=reason.strip() if stopped else "",
    )


def stop_medication(
    *, by: User, medication: Medication, last_dose_on: dt.date | None, reason: str
) -> Medication:
    """Record that a medicine is no longer taken, with the day of its last dose and why.

    The row stays: a stopped opioid sets the earliest first dose through its opioid-free interval.
    """
    if medication.removed_at is not None:
        raise InvalidValue("this medicine is already recorded as stopped")
    last_dose_on = _require_stop_details(last_dose_on, reason)
    check_last_dose(last_dose_on, today=_today_for(medication.patient))
    with transaction.atomic():
        medication = Medication.objects.select_for_update().get(pk=medication.pk)
        if medication.removed_at is not None:
            raise InvalidValue("this medicine is already recorded as stopped")
        with audited_change(medication, by=by, reason=f"stopped: {reason.strip()}"):
            medication.removed_at = timezone.now()
            medication.last_dose_on = last_dose_on
            medication.removal_reason = reason.strip()
    return medication


def _require_stop_details(last_dose_on: dt.date | None, reason: str) -> dt.date:
    errors = {}
    if last_dose_on is None:
        errors["last_dose_on"] = (
            "give the day of the last dose: the opioid-free interval is counted from it"
        )
    if not reason.strip():
        errors["reason"] = "say why it is no longer taken (e.g. 'stopped by GP', 'not needed')"
    if errors or last_dose_on is None:
        raise FieldErrors(errors)
    return last_dose_on


def _today_for(patient: Patient) -> dt.date:
    from ldntrial.web.clinic.queries import today_for

    return today_for(patient)


def create_trial(*, by: User, patient: Patient, protocol: Protocol) -> Trial:
    """A draft trial holding the protocol as designed (not yet locked)."""
    return audited_create(
        Trial,
        by=by,
        state=_trial_snapshot,
        clinic=patient.clinic,
        patient=patient,
        protocol_document=protocol_to_document(protocol),
        fingerprint=protocol.fingerprint,
        created_by=by,
    )


def update_draft(*, by: User, trial: Trial, protocol: Protocol) -> Trial:
    """Replace a draft trial's protocol (the old one is kept in the audit event)."""
    with transaction.atomic():
        trial = Trial.objects.select_for_update().get(pk=trial.pk)
        if trial.status != TrialStatus.DRAFT:
            raise InvalidValue("only a draft can be edited: this trial has started")
        with audited_change(
            trial, by=by, state=_trial_with_protocol, reason="draft protocol edited"
        ):
            trial.protocol_document = protocol_to_document(protocol)
            trial.fingerprint = protocol.fingerprint
    return trial


def discard_draft(*, by: User, trial: Trial, reason: str) -> None:
    """Remove a draft trial that will not be started; the audit event keeps what it held."""
    reason = reason.strip()
    if not reason:
        raise FieldErrors({"reason": "say why the draft is discarded (e.g. 'duplicate')"})
    with transaction.atomic():
        trial = Trial.objects.select_for_update().get(pk=trial.pk)
        if trial.status != TrialStatus.DRAFT:
            raise InvalidValue("only a draft can be discarded: this trial has started")
        before = _trial_with_protocol(trial)
        try:
            with transaction.atomic():
                Trial.objects.filter(pk=trial.pk).delete()
        except ProtectedError:
            raise InvalidValue("this draft has records attached and cannot be discarded") from None
        record(
            by=by,
            action=Action.DELETE,
            instance=trial,
            clinic_id=trial.clinic_id,
            patient_id=trial.patient_id,
            before=before,
            reason=f"draft discarded: {reason}",
        )


def _trial_with_protocol(trial: Trial) -> dict[str, Any]:
    return snapshot(trial)


def start_trial(*, by: User, trial: Trial) -> Trial:
    """Lock the protocol, start the trial and send the prescription to the pharmacy.

    Refused while the safety screening has an open contraindicated or unrecognised finding.
    """
    from ldntrial.web.clinic.queries import screen_patient

    screening = screen_patient(trial.patient).screening
    if screening.blocking:
        listed = "; ".join(f"{f.subject} ({f.severity.value})" for f in screening.blocking)
        raise InvalidValue(
            f"the trial cannot start while the safety screening has open findings: {listed}. "
            "Resolve them on the screening page first"
        )
    check_first_dose(screening.limits, trial.protocol().first_dose_date)
    try:
        return _start_locked(by=by, trial=trial)
    except IntegrityError:
        # The database's one-active-trial-per-patient constraint answered a simultaneous start.
        raise InvalidValue("this patient already has an active trial") from None


def _start_locked(*, by: User, trial: Trial) -> Trial:
    with transaction.atomic():
        trial = Trial.objects.select_for_update().get(pk=trial.pk)
        if trial.status != TrialStatus.DRAFT:
            raise InvalidValue("this trial has already been started")
        if Trial.objects.filter(patient=trial.patient, status=TrialStatus.ACTIVE).exists():
            raise InvalidValue("this patient already has an active trial")
        now = timezone.now()
        protocol = trial.protocol()
        allocation = None
        if protocol.is_blinded:
            protocol, allocation = blinded.commit_allocation(protocol)
        locked = protocol.lock(at=now)
        with audited_change(
            trial, by=by, state=_trial_snapshot, reason="trial started: protocol locked"
        ):
            trial.protocol_document = protocol_to_document(locked)
            trial.fingerprint = locked.fingerprint
            trial.status = TrialStatus.ACTIVE
            trial.started_at = now
            trial.started_by = by
        if allocation is None:
            issue_prescription(by=by, trial=trial, protocol=locked)
        else:
            blinded.store_allocation(by=by, trial=trial, allocation=allocation)
            titration = open_titration(locked)
            if titration is not None:  # the blinded periods are supplied as kits
                issue_prescription(by=by, trial=trial, protocol=locked, schedule=titration)
    return trial


def _trial_snapshot(trial: Trial) -> dict[str, Any]:
    return snapshot(trial, exclude=("protocol_document", "amended_document"))


def submit_diary(
    *,
    by: User,
    trial: Trial,
    day: dt.date,
    today: dt.date,
    client_key: uuid.UUID,
    scores: dict[str, Any],
    dose_taken: bool | None,
    dose_time: dt.time | None,
    side_effects: list[str],
    side_effect_other: str = "",
    note: str = "",
    correction_reason: str = "",
) -> tuple[DiaryEntry, bool]:
    """Record one day's diary. Returns the entry and whether it was new.

    A retry with the same ``client_key`` returns the entry already stored. A second entry for a
    day is a correction: it needs a reason, becomes the current version, and keeps the old one.
    """
    existing = DiaryEntry.objects.filter(trial=trial, client_key=client_key).first()
    if existing is not None:  # a retry: answered without a lock (checked again below)
        return existing, False
    if trial.status != TrialStatus.ACTIVE:
        raise InvalidValue("this trial has not started yet")
    protocol = trial.protocol()
    check_day_open(protocol, day, today=today)
    entry_record = validate_entry(
        protocol,
        day=day,
        today=today,
        scores=scores,
        dose_taken=dose_taken,
        dose_time=dose_time,
        side_effects=side_effects,
        side_effect_other=side_effect_other,
        note=note,
    )
    reason = correction_reason.strip()
    try:
        with transaction.atomic():
            # One writer per trial at a time: the key and the day are checked again under the
            # lock, so a retry racing its original gets the stored entry, and a second key for
            # a day filled meanwhile gets the "filled already" answer, never a database error.
            Trial.objects.select_for_update().filter(pk=trial.pk).first()
            stored = DiaryEntry.objects.filter(trial=trial, client_key=client_key).first()
            if stored is not None:
                return stored, False
            current = (
                DiaryEntry.objects.select_for_update()
                .filter(trial=trial, day=day, is_current=True)
                .first()
            )
            if current is not None and not reason:
                raise FieldErrors(
                    {"correction_reason": "this day is filled already: say why you are changing it"}
                )
            entry = audited_version(
                DiaryEntry,
                by=by,
                current=current,
                reason=reason,
                clinic=trial.clinic,
                trial=trial,
                day=day,
                scores={k: int(v) for k, v in entry_record.scores.items()},
                dose_taken=entry_record.dose_taken,
                dose_time=entry_record.dose_time,
                side_effects=sorted(e.value for e in entry_record.side_effects),
                side_effect_other=entry_record.side_effect_other,
                note=entry_record.note,
                client_key=client_key,
                submitted_by=by,
            )
    except IntegrityError:
        # Only reachable without the row lock (a database that ignores it): the same key
        # returns what its twin stored, another key for the day is told the day is filled.
        stored = DiaryEntry.objects.filter(trial=trial, client_key=client_key).first()
        if stored is not None:
            return stored, False
        raise FieldErrors(
            {"correction_reason": "this day was filled meanwhile: say why you are changing it"}
        ) from None
    return entry, True


def log_read(*, by: User, patient: Patient, what: str) -> None:
    """Staff reading a patient's record is itself recorded."""
    with transaction.atomic():
        record(
            by=by,
            action=Action.READ,
            object_type="clinic.Patient",
            object_id=patient.pk,
            clinic_id=patient.clinic_id,
            patient_id=patient.pk,
            reason=what,
        )


def resolve_medication(
    *, by: User, medication: Medication, medicine_key: str | None, not_an_opioid: bool
) -> Medication:
    """Say what unrecognised text means: a catalogue entry, or confirmed not an opioid."""
    if (medicine_key is None) == (not not_an_opioid):
        raise InvalidValue("choose a catalogue entry or confirm it is not an opioid (one of them)")
    if medicine_key is not None and medicine_key not in data.medicines().medicines:
        raise InvalidValue(f"{medicine_key!r} is not in the medicine catalogue")
    with audited_change(medication, by=by, reason="screening finding resolved"):
        medication.resolved_medicine = medicine_key or ""
        medication.confirmed_not_opioid = not_an_opioid
        medication.resolved_by = by
        medication.resolved_at = timezone.now()
    return medication


def update_situations(
    *, by: User, patient: Patient, situations: list[str], surgery_planned: dt.date | None
) -> Patient:
    from ldntrial.core.screening.rules import Situation

    for value in situations:
        Situation(value)  # refuses unknown situations
    if surgery_planned is not None:
        bounds.PLANNED_OPERATION.check(
            surgery_planned, today=_today_for(patient), field="surgery_planned"
        )
    with audited_change(
        patient,
        by=by,
        reason="screening situations updated",
        fields=["situations", "surgery_planned"],
    ):
        patient.situations = sorted(set(situations))
        patient.surgery_planned = surgery_planned
    return patient


def record_visit(
    *,
    by: User,
    trial: Trial,
    kind: str,
    day: dt.date,
    today: dt.date,
    peg: dict[str, Any] | None,
    pgic: str | None,
    correction_reason: str = "",
) -> VisitMeasure:
    """Record the PEG and/or PGIC of a visit, by the patient or by their clinician. A second
    record of the same visit is a correction: it needs a reason and keeps the earlier one."""
    from ldntrial.core.trial.visit_measures import VisitKind as CoreVisitKind
    from ldntrial.core.trial.visits import validate_visit

    if trial.status != TrialStatus.ACTIVE:
        raise InvalidValue("this trial has not started yet")
    try:
        visit_kind = CoreVisitKind(kind)
    except ValueError:
        raise InvalidValue(f"{kind!r} is not a visit: use baseline or reassessment") from None
    checked = validate_visit(
        trial.protocol(), kind=visit_kind, day=day, today=today, peg=peg, pgic=pgic
    )
    reason = correction_reason.strip()
    with transaction.atomic():
        current = (
            VisitMeasure.objects.select_for_update()
            .filter(trial=trial, kind=visit_kind.value, is_current=True)
            .first()
        )
        if current is not None and not reason:
            raise FieldErrors(
                {"correction_reason": "this visit is recorded already: say why you change it"}
            )
        items = checked.peg.items() if checked.peg is not None else {}
        return audited_version(
            VisitMeasure,
            by=by,
            current=current,
            reason=reason,
            event_reason=f"{visit_kind.value} visit measures",
            clinic=trial.clinic,
            trial=trial,
            kind=visit_kind.value,
            day=day,
            peg_pain=items.get("pain"),
            peg_enjoyment=items.get("enjoyment"),
            peg_activity=items.get("activity"),
            pgic="" if checked.pgic is None else checked.pgic.value,
            submitted_by=by,
        )
