"""Appending to the audit trail and verifying it.

Each event's hash is SHA-256 over the previous event's hash and the event's canonical JSON, so
changing or removing any event breaks every hash after it. Appending locks the single chain-head
row, so concurrent writers queue instead of forking the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from ldntrial.web.audit.models import Action, AuditEvent, ChainHead

GENESIS = "0" * 64


def snapshot(instance: models.Model, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """A model's fields as JSON-native data, for the before/after of an event."""
    data = model_to_dict(instance, exclude=list(exclude))
    data["id"] = instance.pk
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True))


def record(
    *,
    by: Any,
    action: Action,
    instance: models.Model | None = None,
    object_type: str | None = None,
    object_id: Any = None,
    clinic_id: int | None,
    patient_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event. Must run inside the transaction that makes the change it records."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the transaction of the change")
    # The head row is made by a migration; get_or_create also covers a flushed database.
    head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
    kind = object_type or (instance._meta.label if instance is not None else "")
    ident = str(object_id if object_id is not None else getattr(instance, "pk", ""))
    event = AuditEvent(
        sequence=head.sequence + 1,
        at=timezone.now().astimezone(dt.UTC),
        actor=by if getattr(by, "pk", None) else None,
        actor_label=_label(by),
        clinic_id=clinic_id,
        action=action,
        object_type=kind,
        object_id=ident,
        patient_id=patient_id,
        before=before,
        after=after,
        reason=reason,
        previous_hash=head.hash,
    )
    event.hash = event_hash(event)
    event.save()
    head.sequence = event.sequence
    head.hash = event.hash
    head.save(update_fields=["sequence", "hash"])
    return event


def _label(by: Any) -> str:
    if by is None:
        return "system"
    if isinstance(by, str):
        return by
    return f"{by.username} ({by.role})"


def event_hash(event: AuditEvent) -> str:
    content = {
        "sequence": event.sequence,
        "at": event.at.astimezone(dt.UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "clinic_id": event.clinic_id,
        "action": str(event.action),
        "object_type": event.object_type,
        "object_id": event.object_id,
        "patient_id": event.patient_id,
        "before": event.before,
        "after": event.after,
        "reason": event.reason,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((event.previous_hash + canonical).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Problem:
    sequence: int
    what: str

    def __str__(self) -> str:
        return f"event {self.sequence}: {self.what}"


def verify() -> list[Problem]:
    """Every break in the chain: altered events, removed events, a truncated tail."""
    problems: list[Problem] = []
    expected_sequence = 1
    previous = GENESIS
    for event in AuditEvent.objects.order_by("sequence").iterator():
        if event.sequence != expected_sequence:
            missing = f"{expected_sequence}" + (
                f" to {event.sequence - 1}" if event.sequence - 1 > expected_sequence else ""
            )
            problems.append(Problem(expected_sequence, f"missing (removed: {missing})"))
        if event.previous_hash != previous:
            problems.append(Problem(event.sequence, "does not follow the event before it"))
        if event_hash(event) != event.hash:
            problems.append(Problem(event.sequence, "altered: its content does not match its hash"))
        previous = event.hash
        expected_sequence = event.sequence + 1
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and head.sequence >= expected_sequence:
        problems.append(
            Problem(expected_sequence, f"missing (removed: {expected_sequence} to {head.sequence})")
        )
    if head is not None and head.sequence == expected_sequence - 1 and head.hash != previous:
        problems.append(Problem(head.sequence, "the chain head does not match the last event"))
    return problems
