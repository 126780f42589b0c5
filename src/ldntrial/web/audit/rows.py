"""The audited tables and the state of their rows as the audit trail last saw them.

Every audited write leaves, in its event, a digest of each column of each row it touched.
``audit verify`` reads every row of every audited table and compares it with the last digests
recorded for it, so an edit made in the database directly (``UPDATE clinic_diaryentry SET
scores = ...``), a row added or removed there, is named. Only the columns recorded are compared:
a column added later by a migration is compared from the row's next audited write on.

A data migration that changes audited rows must record an event with ``audit.chain.append``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.apps import apps as global_apps
from django.db import models

from ldntrial.core.canonical import sha256_of

# Audited tables (app label.Model) and the columns that change without an audited write.
AUDITED: dict[str, tuple[str, ...]] = {
    "accounts.User": ("last_login",),
    "accounts.Invitation": (),
    "clinic.Patient": (),
    "clinic.Medication": (),
    "clinic.Trial": (),
    "clinic.DiaryEntry": (),
    "clinic.Prescription": (),
    "clinic.Dispensing": (),
    "clinic.Reassessment": (),
    "clinic.BlindedAllocation": (),
    "clinic.KitDispensing": (),
    "clinic.PeriodReport": (),
    "clinic.Unblinding": (),
}

RowKey = str  # "clinic.DiaryEntry:12"
RowState = dict[str, str] | None  # column -> digest; None: the row was removed


def row_key(label: str, pk: Any) -> RowKey:
    return f"{label}:{pk}"


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    raise TypeError(f"cannot digest a {type(value).__name__}")


def digest(value: Any) -> str:
    # ASCII escapes: the digests already stored in audit events were made that way.
    return sha256_of(value, default=_default, ascii_only=True)[:20]


def state_of(values: dict[str, Any], label: str) -> dict[str, str]:
    skipped = AUDITED[label]
    return {column: digest(value) for column, value in values.items() if column not in skipped}


def current_states(
    label: str, pks: Iterable[Any], *, using: str, apps: Any = global_apps
) -> dict[RowKey, RowState]:
    """The rows' present states, read back from the database (``None`` for a missing row)."""
    wanted = list(dict.fromkeys(pks))
    model = apps.get_model(label)
    found = {
        values["id"]: values
        for values in model._base_manager.using(using).filter(pk__in=wanted).values()
    }
    return {
        row_key(label, pk): (state_of(found[pk], label) if pk in found else None) for pk in wanted
    }


def label_of(instance: models.Model) -> str:
    return str(instance._meta.label)


def all_rows(*, using: str) -> Iterator[tuple[RowKey, dict[str, str]]]:
    """Every row of every audited table with its present state."""
    for label in AUDITED:
        model = global_apps.get_model(label)
        for values in model._base_manager.using(using).order_by("pk").values().iterator():
            yield row_key(label, values["id"]), state_of(values, label)
