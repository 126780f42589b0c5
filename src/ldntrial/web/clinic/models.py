"""Patients, medicines, trials, diary entries and prescriptions; every row carries its clinic."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.utils import timezone

from ldntrial import data
from ldntrial.core.lifecycle import TrialState
from ldntrial.core.trial.document import protocol_from_document
from ldntrial.core.trial.protocol import Protocol


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not recorded"


class Patient(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT)
    label = models.CharField("pseudonymous label", max_length=40)
    birth_year = models.PositiveSmallIntegerField()
    sex = models.CharField(max_length=10, choices=Sex.choices)
    conditions = models.JSONField(default=list)
    time_zone = models.CharField(max_length=64)
    contact = models.CharField(max_length=200, blank=True)
    situations = models.JSONField(default=list)  # ldntrial.core.screening.screen.Situation values
    surgery_planned = models.DateField(null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patient",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "label"], name="patient_label_per_clinic")
        ]

    def __str__(self) -> str:
        return self.label


class Medication(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    text = models.CharField("medicine as reported", max_length=200)
    added_at = models.DateTimeField(default=timezone.now)
    # Stopped ("no longer taken"): when it was recorded, the day of the last dose and why.
    removed_at = models.DateTimeField(null=True, blank=True)
    last_dose_on = models.DateField(null=True, blank=True)
    removal_reason = models.CharField(max_length=200, blank=True)
    # A clinician's resolution of text the catalogue did not recognise.
    resolved_medicine = models.CharField(max_length=80, blank=True)
    confirmed_not_opioid = models.BooleanField(default=False)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"medication {self.pk}"

    @property
    def is_stopped(self) -> bool:
        return self.removed_at is not None


class TrialStatus(models.TextChoices):
    # ldntrial.core.lifecycle.TrialState, value for value (a test checks they match)
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    FOLLOW_UP = "follow_up", "Follow-up (continuing LDN)"
    STOPPED = "stopped", "Stopped"


class Trial(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="trials")
    status = models.CharField(max_length=10, choices=TrialStatus.choices, default=TrialStatus.DRAFT)
    protocol_document = models.JSONField()
    fingerprint = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    # ``protocol_document`` and ``fingerprint`` are the protocol as locked at the start and never
    # change after it. An amendment (ProtocolAmendment) stores its version here as the one in
    # effect: ``version`` counts them (0: the original).
    amended_document = models.JSONField(null=True, blank=True)
    version = models.PositiveSmallIntegerField(default=0)
    # Set by the signed decision (ldntrial.core.lifecycle): the follow-up or next review date,
    # and for a stop the clinician's stopping instruction.
    follow_up_on = models.DateField(null=True, blank=True)
    stop_instruction = models.CharField(max_length=500, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=TrialStatus.values), name="trial_status_known"
            ),
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="active"),
                name="one_active_trial_per_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"trial {self.pk}"

    @property
    def is_draft(self) -> bool:
        return self.status == TrialStatus.DRAFT

    @property
    def state(self) -> TrialState:
        return TrialState(self.status)

    def protocol(self) -> Protocol:
        """The protocol in effect (the latest amendment, or the original), read back through the
        core (which verifies a locked fingerprint)."""
        return _read(self.amended_document or self.protocol_document)

    def original_protocol(self) -> Protocol:
        return _read(self.protocol_document)

    @property
    def prescription(self) -> Prescription:
        """The prescription in effect: the latest (an amendment's replaces the one before)."""
        return self.prescriptions.latest("pk")


def _read(document: object) -> Protocol:
    return protocol_from_document(
        json.loads(json.dumps(document)),
        profile=data.ldn_profile(),
        conditions=data.conditions(),
    )


class AmendmentKind(models.TextChoices):
    # ldntrial.core.trial.amendment.AmendmentKind
    HOLD = "hold", "Hold the current dose"
    STEP_BACK = "step_back", "Step back to the previous dose"
    SWITCH_TIMING = "switch_timing", "Switch the time of day"
    REPLACE_SCHEDULE = "replace_schedule", "Replace the remaining schedule"


class ProtocolAmendment(models.Model):
    """One amended version of a trial's locked protocol: the full new version, the fingerprint
    of the version it amends, its own fingerprint and the difference in dose steps."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT)
    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="amendments")
    version = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=AmendmentKind.choices)
    effective_on = models.DateField()
    clinical_reason = models.CharField(max_length=500)
    parent_fingerprint = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64)
    protocol_document = models.JSONField()
    diff = models.JSONField(default=list)
    accepted_warnings = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["version"]
        constraints = [
            models.UniqueConstraint(fields=["trial", "version"], name="one_amendment_per_version"),
            models.CheckConstraint(
                condition=models.Q(kind__in=AmendmentKind.values), name="amendment_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"amendment {self.version} of trial {self.trial_id}"


class DiaryEntry(models.Model):
    """One version of one day's diary. A correction adds a version; earlier ones are kept."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT)
    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="diary")
    day = models.DateField()
    version = models.PositiveSmallIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    scores = models.JSONField()
    dose_taken = models.BooleanField(null=True)
    dose_time = models.TimeField(null=True, blank=True)
    side_effects = models.JSONField(default=list)
    side_effect_other = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    correction_reason = models.CharField(max_length=200, blank=True)
    client_key = models.UUIDField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["day", "version"]
        constraints = [
            models.UniqueConstraint(fields=["trial", "day", "version"], name="one_version_number"),
            models.UniqueConstraint(fields=["trial", "client_key"], name="idempotent_submission"),
            models.UniqueConstraint(
                fields=["trial", "day"],
                condition=models.Q(is_current=True),
                name="one_current_entry_per_day",
            ),
        ]

    def __str__(self) -> str:
        return f"diary entry {self.pk} (version {self.version})"


class PrescriptionStatus(models.TextChoices):
    TO_PREPARE = "to_prepare", "To prepare"
    DISPENSED = "dispensed", "Dispensed"
    SUPERSEDED = "superseded", "Replaced by an amendment"


class Prescription(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT)
    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="prescriptions")
    # The amendment this prescription covers the rest of the trial for (None: the start).
    amendment = models.ForeignKey(
        ProtocolAmendment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField()
    quantities = models.JSONField()
    labels = models.JSONField(default=list)
    status = models.CharField(
        max_length=12, choices=PrescriptionStatus.choices, default=PrescriptionStatus.TO_PREPARE
    )
    # The first dose day of the prescribed schedule: the preparation must be ready by then.
    needed_by = models.DateField(null=True, blank=True)
    # The clinician who issued it (their name and registration are printed on the order).
    prescribed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"prescription {self.pk}"

    @property
    def is_to_prepare(self) -> bool:
        return self.status == PrescriptionStatus.TO_PREPARE


class Dispensing(models.Model):
    """One version of a prescription's dispensing: the day and, per item (each capsule
    strength, or the liquid), its lot and use-by date. A correction adds a version with its
    reason; the earlier ones are kept (like diary entries)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT)
    prescription = models.ForeignKey(
        Prescription, on_delete=models.PROTECT, related_name="dispensings"
    )
    dispensed_on = models.DateField()
    # [{"item": "1.5 mg capsules", "lot_number": "...", "use_by": "YYYY-MM-DD" or null}]
    lots = models.JSONField(default=list)
    version = models.PositiveSmallIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    correction_reason = models.CharField(max_length=200, blank=True)
    dispensed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["version"]
        constraints = [
            models.UniqueConstraint(
                fields=["prescription", "version"], name="one_dispensing_version_number"
            ),
            models.UniqueConstraint(
                fields=["prescription"],
                condition=models.Q(is_current=True),
                name="one_current_dispensing",
            ),
        ]

    def __str__(self) -> str:
        return f"dispensing {self.pk} (version {self.version})"

    @property
    def trial(self) -> Trial:
        """The trial dispensed for (the audit trail files the event under its patient)."""
        return self.prescription.trial


class Reassessment(models.Model):
    """A clinician's signed decision at reassessment.

    ``content`` is what was signed (the analysis summary, the diary's hash, the suggested and the
    final decision); ``content_hash`` is its SHA-256 and ``signature`` an HMAC of that hash, the
    signer and the time, made with the signing key ``signature_key_id`` (kept outside the
    database, rotatable; not Django's SECRET_KEY). If the diary or the analysis change later,
    the recomputed content no longer matches and the signature shows as invalid.
    """

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT)
    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="reassessments")
    suggested_outcome = models.CharField(max_length=10)
    suggested_rule = models.CharField(max_length=40)
    final_outcome = models.CharField(max_length=10)
    override_reason = models.CharField(max_length=500, blank=True)
    content = models.JSONField()
    content_hash = models.CharField(max_length=64)
    signature = models.CharField(max_length=64)
    # The signing key (ldntrial.web.keys, purpose "signing") that made ``signature``.
    signature_key_id = models.CharField(max_length=40, blank=True, default="")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField()
    # One signed decision per reassessment, that is per protocol version (an "adjust" leads to
    # an amendment, whose version is reassessed in its turn). A later change of mind is an
    # addendum to it, with its own reason and signature.
    protocol_version = models.PositiveSmallIntegerField(default=0)
    addendum_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="addenda"
    )
    follow_up_on = models.DateField(null=True, blank=True)
    stop_instruction = models.CharField(max_length=500, blank=True)
    data_override = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["trial", "protocol_version"],
                condition=models.Q(addendum_to__isnull=True),
                name="one_signed_decision_per_reassessment",
            )
        ]

    def __str__(self) -> str:
        return f"reassessment {self.pk}"

    @property
    def is_addendum(self) -> bool:
        return self.addendum_to_id is not None


class VisitKind(models.TextChoices):
    # ldntrial.core.trial.visit_measures.VisitKind
    BASELINE = "baseline", "Baseline"
    REASSESSMENT = "reassessment", "Reassessment"
    PERIOD_END = "period_end", "End of a period"


class VisitMeasure(models.Model):
    """The PEG and/or PGIC recorded at a visit. A correction adds a version; earlier ones are
    kept (like diary entries)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT)
    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="visit_measures")
    kind = models.CharField(max_length=16, choices=VisitKind.choices)
    period = models.PositiveSmallIntegerField(null=True, blank=True)
    day = models.DateField()
    peg_pain = models.PositiveSmallIntegerField(null=True, blank=True)
    peg_enjoyment = models.PositiveSmallIntegerField(null=True, blank=True)
    peg_activity = models.PositiveSmallIntegerField(null=True, blank=True)
    pgic = models.CharField(max_length=24, blank=True)  # ldntrial.core.trial.visit_measures.Pgic
    version = models.PositiveSmallIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    correction_reason = models.CharField(max_length=200, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["trial", "kind", "version"], name="one_visit_version_number"
            ),
            models.UniqueConstraint(
                fields=["trial", "kind"],
                condition=models.Q(is_current=True),
                name="one_current_visit_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"visit measure {self.pk}"


# The rows of blinded trials live in their own module; importing them here registers them.
from ldntrial.web.clinic.blinded_models import (  # noqa: E402
    BlindedAllocation,
    Guess,
    KitDispensing,
    PeriodReport,
    Unblinding,
    UnblindingKind,
)

__all__ = [
    "BlindedAllocation",
    "Guess",
    "KitDispensing",
    "PeriodReport",
    "Unblinding",
    "UnblindingKind",
]
