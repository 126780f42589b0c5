"""An audit event in words: who did what to which record, and each field before → after.

"dr-ode (clinician) changed medication 'tramadol 50 mg': status active → stopped". Field names
are the models' own verbose names, choices their labels, diary scores their metric labels from
the instrument catalogue, moments in the clinic's time zone (``ldntrial.web.when``). The stored
event is not changed; this only reads it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from ldntrial import data
from ldntrial.core.trial.diary import SideEffect
from ldntrial.web.audit.models import AuditEvent
from ldntrial.web.when import when

# The field that names a record of each kind, when the record has a name of its own.
NAME_FIELDS = {
    "clinic.Patient": "label",
    "clinic.Medication": "text",
    "clinic.DiaryEntry": "day",
    "clinic.VisitMeasure": "kind",
}
# Columns every row has that say nothing to a reader of the history.
QUIET = {"id", "clinic", "patient", "trial", "protocol_document", "content", "rows"}
VERBS = {"create": "added", "update": "changed", "delete": "removed", "read": "viewed"}
LONGEST = 80


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class Wording:
    event: AuditEvent
    sentence: str
    changes: tuple[Change, ...]


def describe(event: AuditEvent) -> Wording:
    model = _model(event.object_type)
    noun = str(model._meta.verbose_name) if model else event.object_type
    before, after = event.before or {}, event.after or {}
    name = _name(event.object_type, after or before, event.object_id)
    verb = VERBS.get(event.action, event.get_action_display().replace("_", " "))
    subject = f"{noun} {name}" if name else f"{noun} {event.object_id}"
    sentence = f"{event.actor_label} {verb} {subject}"
    changes = _changes(model, before, after) if event.action == "update" else ()
    return Wording(event, sentence, changes)


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _name(object_type: str, state: dict[str, Any], object_id: str) -> str:
    field = NAME_FIELDS.get(object_type)
    if field and state.get(field):
        return f"'{_short(str(state[field]))}'"
    return f"{object_id}" if object_id else ""


def _changes(
    model: type[models.Model] | None, before: dict[str, Any], after: dict[str, Any]
) -> tuple[Change, ...]:
    found: list[Change] = []
    for key in sorted(set(before) | set(after)):
        if key in QUIET or before.get(key) == after.get(key):
            continue
        old, new = before.get(key), after.get(key)
        if key == "removed_at":  # a medicine stopped or taken again
            found.append(
                Change(
                    "status",
                    "active" if old is None else "stopped",
                    "active" if new is None else "stopped",
                )
            )
            continue
        if isinstance(old, dict) or isinstance(new, dict):
            found.extend(_dict_changes(key, old or {}, new or {}))
            continue
        field = _field(model, key)
        label = str(field.verbose_name) if field is not None else key.replace("_", " ")
        found.append(Change(label, _value(field, key, old), _value(field, key, new)))
    return tuple(found)


def _dict_changes(key: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    catalogue = data.instruments()
    return [
        Change(
            catalogue.label_of(k) if key == "scores" else k.replace("_", " "),
            _plain(old.get(k)),
            _plain(new.get(k)),
        )
        for k in sorted(set(old) | set(new))
        if old.get(k) != new.get(k)
    ]


def side_effect_labels(values: list[str]) -> list[str]:
    """The side effects' labels (``vivid_dreams`` → "Vivid dreams"); unknown codes as they are."""
    known = {e.value: e.label for e in SideEffect}
    return [known.get(v, v) for v in values]


def _field(model: type[models.Model] | None, key: str) -> Any:
    if model is None:
        return None
    try:
        return model._meta.get_field(key)
    except FieldDoesNotExist:
        return None


def _value(field: Any, key: str, value: Any) -> str:
    choices = dict(getattr(field, "choices", None) or [])
    if value in choices:
        return str(choices[value])
    if key == "side_effects" and isinstance(value, list):
        return ", ".join(side_effect_labels(value)) or "none"
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        return when(value)
    return _plain(value)


def _plain(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value) or "none"
    if isinstance(value, dt.date):
        return value.isoformat()
    return _short(str(value))


def _short(text: str) -> str:
    return text if len(text) <= LONGEST else text[: LONGEST - 1] + "…"
