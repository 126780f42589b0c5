"""Patients, medicines, trials, diary entries and prescriptions; every row carries its clinic."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.utils import timezone

from ldntrial import data
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
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"


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

    def __str__(self) -> str:
        return f"trial {self.pk}"

    @property
    def is_draft(self) -> bool:
        return self.status == TrialStatus.DRAFT

    def protocol(self) -> Protocol:
        """The protocol, read back through the core (which verifies a locked fingerprint)."""
        return protocol_from_document(
            json.loads(json.dumps(self.protocol_document)),
            profile=data.ldn_profile(),
            conditions=data.conditions(),
        )


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


class Prescription(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT)
    trial = models.OneToOneField(Trial, on_delete=models.PROTECT, related_name="prescription")
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

    def __str__(self) -> str:
        return f"reassessment {self.pk}"


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
