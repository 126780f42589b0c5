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


class AppendOnly(Exception):
    """Audit events are never changed or removed through the application."""


class AuditEvent(models.Model):
    sequence = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    clinic = models.ForeignKey("accounts.Clinic", null=True, on_delete=models.PROTECT)
    action = models.CharField(max_length=10, choices=Action.choices)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=60)
    patient_id = models.BigIntegerField(null=True, db_index=True)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    reason = models.TextField(blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["sequence"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnly("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnly("audit events cannot be deleted")


class ChainHead(models.Model):
    """One row, locked while an event is appended, so that the chain never forks."""

    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)
