"""Appending to the audit trail and verifying it.

Each clinic has its own chain (``clinic:<id>``); events without a clinic go to the ``system``
chain. In a chain, each event's hash is SHA-256 over the previous event's hash and the event's
canonical JSON, so changing or removing any event breaks every hash after it; appending locks the
chain's head row, so concurrent writers queue instead of forking it (and clinics do not queue
behind one another). Each event also carries an HMAC keyed with the audit key, which lives
outside the database (``ldntrial.web.keys``): someone who can write the database but not read
the key cannot recompute a valid chain. Chain heads are anchored, signed, in an append-only
file outside the database (``anchors``), which shows a removed tail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from ldntrial.core.canonical import canonical_json
from ldntrial.web import keys
from ldntrial.web.audit import anchors
from ldntrial.web.audit import rows as audited_rows
from ldntrial.web.audit.models import (
    CURRENT_VERSION,
    SYSTEM_CHAIN,
    Action,
    AuditEvent,
    ChainHead,
)

GENESIS = "0" * 64


def snapshot(instance: models.Model, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """A model's fields as JSON-native data, for the before/after of an event."""
    data = model_to_dict(instance, exclude=list(exclude))
    data["id"] = instance.pk
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True))


M = TypeVar("M", bound=models.Model)
State = Callable[[Any], dict[str, Any]]


def patient_of(instance: models.Model) -> int | None:
    """The patient a clinical row belongs to (the row itself, for a patient)."""
    if instance._meta.label == "clinic.Patient":
        return int(instance.pk)
    if hasattr(instance, "patient_id"):
        return getattr(instance, "patient_id", None)
    trial = getattr(instance, "trial", None)
    return None if trial is None else trial.patient_id


def audited_create(
    model: type[M],
    *,
    by: Any,
    reason: str = "",
    state: State = snapshot,
    **fields: Any,
) -> M:
    """Create a row and append its audit event, in one transaction: the one way to add a row of
    clinical data (the event's ``after`` is ``state(row)``)."""
    with transaction.atomic():
        instance = model._default_manager.create(**fields)
        record(
            by=by,
            action=Action.CREATE,
            instance=instance,
            clinic_id=getattr(instance, "clinic_id", None),
            patient_id=patient_of(instance),
            after=state(instance),
            reason=reason,
        )
    return instance


@contextmanager
def audited_change(
    instance: M,
    *,
    by: Any,
    reason: str = "",
    state: State = snapshot,
    action: Action = Action.UPDATE,
    fields: Sequence[str] | None = None,
) -> Iterator[M]:
    """Change a row: the body changes ``instance``; on leaving it is saved (``fields`` only,
    when given) and its audit event appended with the state before and after, in one
    transaction. Lock the row first (``select_for_update``) when a check depends on it."""
    with transaction.atomic():
        before = state(instance)
        yield instance
        instance.save(update_fields=fields)
        record(
            by=by,
            action=action,
            instance=instance,
            clinic_id=getattr(instance, "clinic_id", None),
            patient_id=patient_of(instance),
            before=before,
            after=state(instance),
            reason=reason,
        )


def audited_version(
    model: type[M],
    *,
    by: Any,
    current: models.Model | None,
    reason: str,
    event_reason: str = "",
    **fields: Any,
) -> M:
    """A new version of a versioned row (a diary day, a visit's measures), in the transaction
    that locked ``current``: the current version, if any, stops being current and is kept; the
    event records it before and the new version after. Rows have ``version``, ``is_current`` and
    ``correction_reason``; ``event_reason`` words the event when there is no correction."""
    before = None
    replaced: list[models.Model] = []
    if current is not None:
        before = snapshot(current)
        current.is_current = False  # type: ignore[attr-defined]  # a versioned row
        current.save(update_fields=["is_current"])
        replaced.append(current)
    instance = model._default_manager.create(
        version=1 if current is None else current.version + 1,  # type: ignore[attr-defined]
        correction_reason=reason if current is not None else "",
        **fields,
    )
    record(
        by=by,
        action=Action.CREATE if current is None else Action.UPDATE,
        instance=instance,
        clinic_id=getattr(instance, "clinic_id", None),
        patient_id=patient_of(instance),
        before=before,
        after=snapshot(instance),
        reason=reason or event_reason,
        rows=replaced,
    )
    return instance


def chain_of(clinic_id: int | None) -> str:
    return SYSTEM_CHAIN if clinic_id is None else f"clinic:{clinic_id}"


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
    rows: Iterable[models.Model] = (),
) -> AuditEvent:
    """Append one event. Must run inside the transaction that makes the change it records.

    The state of ``instance`` and of every row in ``rows`` (other rows the change touched) is
    read back from the database and kept in the event, for ``verify`` to compare with later.
    """
    using = instance._state.db if instance is not None and instance._state.db else "default"
    if not transaction.get_connection(using).in_atomic_block:
        raise RuntimeError("audit.record must run inside the transaction of the change")
    touched: dict[str, list[Any]] = defaultdict(list)
    for item in (instance, *rows):
        if item is not None and audited_rows.label_of(item) in audited_rows.AUDITED:
            touched[audited_rows.label_of(item)].append(item.pk)
    states: dict[str, Any] = {}
    for label, pks in touched.items():
        states |= audited_rows.current_states(label, pks, using=using)
    kind = object_type or (instance._meta.label if instance is not None else "")
    ident = str(object_id if object_id is not None else getattr(instance, "pk", ""))
    return append(
        AuditEvent,
        ChainHead,
        using=using,
        chain=chain_of(clinic_id),
        rows=states or None,
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
    )


def append(
    event_model: Any,
    head_model: Any,
    *,
    using: str,
    chain: str,
    rows: dict[str, Any] | None,
    **fields: Any,
) -> Any:
    """The one way an event is added (the application and data migrations): lock the chain's
    head, hash and MAC the event, save it, move the head."""
    heads = head_model._base_manager.using(using)
    head = heads.select_for_update().filter(chain=chain).first()
    if head is None:
        # A new chain, or (after tampering) a lost head: continue from the last event.
        last = (
            event_model._base_manager.using(using).filter(chain=chain).order_by("-sequence").first()
        )
        heads.get_or_create(
            chain=chain,
            defaults={
                "sequence": last.sequence if last else 0,
                "hash": last.hash if last else GENESIS,
            },
        )
        head = heads.select_for_update().get(chain=chain)
    event = event_model(
        chain=chain,
        version=CURRENT_VERSION,
        sequence=head.sequence + 1,
        previous_hash=head.hash,
        rows=rows,
        **fields,
    )
    event.hash = event_hash(event)
    event.key_id, event.mac = keys.ring(keys.Purpose.AUDIT).mac(mac_message(event))
    event.save(using=using)
    head.sequence = event.sequence
    head.hash = event.hash
    head.save(update_fields=["sequence", "hash"], using=using)
    transaction.on_commit(lambda: anchors.after_commit(chain, using=using), using=using)
    return event


def _label(by: Any) -> str:
    if by is None:
        return "system"
    if isinstance(by, str):
        return by
    return f"{by.username} ({by.role})"


def event_hash(event: Any) -> str:
    content: dict[str, Any] = {
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
    if event.version >= 2:
        content |= {"version": event.version, "chain": event.chain, "rows": event.rows}
    return hashlib.sha256(event.previous_hash.encode("utf-8") + canonical_json(content)).hexdigest()


def mac_message(event: Any) -> bytes:
    return f"ldntrial-audit-event|{event.chain}|{event.sequence}|{event.hash}".encode()


@dataclass(frozen=True)
class Problem:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def _at(chain: str, sequence: int) -> str:
    return f"{chain} event {sequence}"


def verify(*, using: str = "default", anchor_files: Sequence[Path] = ()) -> list[Problem]:
    """Every break: altered, forged, removed or inserted events, a truncated tail (against the
    anchored heads), and audited rows changed, added or removed outside the application."""
    ring = keys.ring(keys.Purpose.AUDIT)
    events = AuditEvent.objects.using(using)
    heads = {h.chain: h for h in ChainHead.objects.using(using)}
    chains = set(events.values_list("chain", flat=True).distinct()) | set(heads)
    # The system chain first: it holds the events from before chains were per clinic.
    order = sorted(chains, key=lambda c: (c != SYSTEM_CHAIN, c))
    problems: list[Problem] = []
    last_states: dict[str, tuple[Any, str, int]] = {}
    lasts: dict[str, AuditEvent | None] = {}
    for chain in order:
        last = _verify_chain(chain, events, ring, problems, last_states)
        lasts[chain] = last
        _check_head(chain, heads.get(chain), last, problems)
    files = [Path(settings.AUDIT_ANCHOR_FILE), *anchor_files]
    for path in dict.fromkeys(files):
        problems += anchors.check(path, ring, events, lasts)
    problems += _check_rows(last_states, using=using)
    return problems


def _verify_chain(
    chain: str,
    events: Any,
    ring: keys.KeyRing,
    problems: list[Problem],
    last_states: dict[str, tuple[Any, str, int]],
) -> AuditEvent | None:
    expected, previous, last = 1, GENESIS, None
    for event in events.filter(chain=chain).order_by("sequence").iterator():
        where = _at(chain, event.sequence)
        if event.sequence != expected:
            missing = f"{expected}" + (
                f" to {event.sequence - 1}" if event.sequence - 1 > expected else ""
            )
            problems.append(Problem(_at(chain, expected), f"missing (removed: {missing})"))
        if event.previous_hash != previous:
            problems.append(Problem(where, "does not follow the event before it"))
        if event_hash(event) != event.hash:
            problems.append(Problem(where, "altered: its content does not match its hash"))
        if not event.mac:
            problems.append(Problem(where, "has no MAC: it was not written with the audit key"))
        else:
            good = ring.check(mac_message(event), event.key_id, event.mac)
            if good is None:
                problems.append(
                    Problem(where, f"MAC made with an unknown audit key {event.key_id!r}")
                )
            elif not good:
                problems.append(
                    Problem(
                        where, "forged: its MAC does not match (hash recomputed without the key)"
                    )
                )
        for key, state in (event.rows or {}).items():
            last_states[key] = (state, chain, event.sequence)
        previous, expected, last = event.hash, event.sequence + 1, event
    return last


def _check_head(
    chain: str, head: ChainHead | None, last: AuditEvent | None, problems: list[Problem]
) -> None:
    last_sequence = last.sequence if last else 0
    if head is None:
        if last is not None:
            problems.append(Problem(f"{chain} chain head", "missing (removed from the database)"))
        return
    if head.sequence > last_sequence:
        problems.append(
            Problem(
                _at(chain, last_sequence + 1),
                f"missing (removed: {last_sequence + 1} to {head.sequence})",
            )
        )
    elif head.sequence < last_sequence:
        problems.append(
            Problem(f"{chain} chain head", f"at {head.sequence}, behind the last event")
        )
    elif last is not None and head.hash != last.hash:
        problems.append(Problem(f"{chain} chain head", "does not match the last event"))


def _check_rows(last_states: dict[str, tuple[Any, str, int]], *, using: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for key, state in audited_rows.all_rows(using=using):
        seen.add(key)
        recorded = last_states.get(key)
        if recorded is None:
            problems.append(Problem(key, "not in the audit trail: added outside the application"))
            continue
        recorded_state, chain, sequence = recorded
        if recorded_state is None:
            problems.append(
                Problem(key, f"recorded as removed ({_at(chain, sequence)}) but present")
            )
            continue
        changed = sorted(
            column
            for column, value in recorded_state.items()
            if column in state and state[column] != value
        )
        if changed:
            problems.append(
                Problem(
                    key,
                    f"changed outside the application: {', '.join(changed)} "
                    f"(last audited in {_at(chain, sequence)})",
                )
            )
    for key, (recorded_state, chain, sequence) in last_states.items():
        if key not in seen and recorded_state is not None:
            problems.append(
                Problem(
                    key,
                    f"removed outside the application (last audited in {_at(chain, sequence)})",
                )
            )
    return problems
