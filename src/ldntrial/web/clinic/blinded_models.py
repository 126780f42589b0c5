"""The rows of blinded n-of-1 trials: the sealed allocation, kit dispensings, the patient's
end-of-period answers and the unblinding.

Only :class:`BlindedAllocation` holds the allocation before unblinding, and only sealed
(AES-256-GCM under the ``allocation`` key ring, outside the database); only the pharmacy's
pages open it. :class:`Unblinding` keeps the allocation in the clear once it is revealed, for
the report. No other table names an arm (docs/decisions/0035).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ldntrial.core.analysis.blinded_safety import Guess as CoreGuess
from ldntrial.core.trial.visit_measures import Pgic

from .models import Trial


class BlindedAllocation(models.Model):
    """The concealed allocation of one blinded trial, drawn and sealed when the trial starts."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT)
    trial = models.OneToOneField(Trial, on_delete=models.PROTECT, related_name="allocation")
    commitment = models.CharField(max_length=64)  # the protocol's allocation_commitment
    sealed = models.BinaryField()  # ldntrial.core.trial.randomisation.seal
    key_id = models.CharField(max_length=40)  # which key of the allocation ring sealed it
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"sealed allocation {self.pk}"


class KitDispensing(models.Model):
    """One kit of a blinded trial handed over: its lot and use-by date (the kit's content is in
    the sealed allocation only)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT)
    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="kit_dispensings")
    kit = models.PositiveSmallIntegerField()
    lot = models.CharField(max_length=40)
    use_by = models.DateField()
    dispensed_on = models.DateField()
    dispensed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kit"]
        constraints = [
            models.UniqueConstraint(fields=["trial", "kit"], name="one_dispensing_per_kit")
        ]

    def __str__(self) -> str:
        return f"kit dispensing {self.pk}"


GUESS_WORDS = {
    CoreGuess.LDN: "LDN (naltrexone)",
    CoreGuess.PLACEBO: "Placebo",
    CoreGuess.DONT_KNOW: "I don't know",
}


class Guess(models.TextChoices):
    # ldntrial.core.analysis.blinded_safety.Guess
    LDN = CoreGuess.LDN.value, GUESS_WORDS[CoreGuess.LDN]
    PLACEBO = CoreGuess.PLACEBO.value, GUESS_WORDS[CoreGuess.PLACEBO]
    DONT_KNOW = CoreGuess.DONT_KNOW.value, GUESS_WORDS[CoreGuess.DONT_KNOW]


class PeriodReport(models.Model):
    """The patient's answers at the end of a blinded period: which they think they took, and
    their global impression of change over the period. One per period; it stands as given."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT)
    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="period_reports")
    period = models.PositiveSmallIntegerField()
    guess = models.CharField(max_length=10, choices=Guess.choices)
    pgic = models.CharField(max_length=24, choices=[(p.value, p.value) for p in Pgic])
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["period"]
        constraints = [
            models.UniqueConstraint(fields=["trial", "period"], name="one_report_per_period")
        ]

    def __str__(self) -> str:
        return f"period report {self.pk}"


class UnblindingKind(models.TextChoices):
    PLANNED = "planned", "Planned, after the last period"
    EMERGENCY = "emergency", "Emergency, before the end"


class Unblinding(models.Model):
    """The allocation revealed: planned once the last period's data are in, or in an emergency
    by a clinician with a reason and a second factor (the trial is then unblinded early)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT)
    trial = models.OneToOneField(Trial, on_delete=models.PROTECT, related_name="unblinding")
    kind = models.CharField(max_length=10, choices=UnblindingKind.choices)
    stated_reason = models.CharField(max_length=500, blank=True)  # required in an emergency
    allocation = models.JSONField()  # ldntrial.core.trial.randomisation.Allocation.content()
    unblinded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    unblinded_at = models.DateTimeField(default=timezone.now)
    pharmacy_seen_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"unblinding {self.pk}"

    @property
    def is_early(self) -> bool:
        return self.kind == UnblindingKind.EMERGENCY
