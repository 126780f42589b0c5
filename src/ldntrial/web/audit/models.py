"""The audit trail: append-only events, each hash-chained to the one before."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class Action(models.TextChoices):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    READ = "read"
    # Security events: signing in and the second factor, account administration, refusals.
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    LOCKED_OUT = "locked_out"
    REAUTH_FAILED = "reauth_failed"
    FACTOR_ENROLLED = "factor_enrolled"
    CREDENTIALS_RESET = "credentials_reset"
    DEACTIVATE = "deactivate"
    REACTIVATE = "reactivate"
    ACCESS_REFUSED = "access_refused"


SYSTEM_CHAIN = "system"
# Version 1: the hash covers the event's fields (events written before the key-ring upgrade).
# Version 2: it also covers the chain and the audited row states.
CURRENT_VERSION = 2


class AppendOnly(Exception):
    """Audit events are never changed or removed through the application."""


class AuditEvent(models.Model):
    """One event in one chain: a clinic's chain (``clinic:<id>``) or the system chain.

    ``rows`` holds, for every audited row the change touched, a digest of each column as it
    was left (``None`` for a removed row); ``audit verify`` compares the tables with them.
    ``mac`` is an HMAC of the chain, sequence and hash with the audit key ``key_id``, kept
    outside the database.
    """

    chain = models.CharField(max_length=40, default=SYSTEM_CHAIN)
    version = models.PositiveSmallIntegerField(default=1)
    sequence = models.PositiveBigIntegerField()
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    clinic = models.ForeignKey("accounts.Clinic", null=True, on_delete=models.PROTECT)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=60)
    patient_id = models.BigIntegerField(null=True, db_index=True)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    reason = models.TextField(blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    rows = models.JSONField(null=True)
    key_id = models.CharField(max_length=40, blank=True)
    mac = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["chain", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "sequence"], name="one_event_per_place")
        ]

    def __str__(self) -> str:
        return f"audit event {self.chain} #{self.sequence}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnly("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnly("audit events cannot be deleted")


class ChainHead(models.Model):
    """One row per chain, locked while an event is appended, so that the chain never forks.

    Each clinic has its own chain, so clinics do not wait for one another's writes.
    """

    chain = models.CharField(max_length=40, unique=True, default=SYSTEM_CHAIN)
    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"chain head {self.chain} at {self.sequence}"
