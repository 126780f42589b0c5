"""Showing a core refusal on a form: each field's message next to that field."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms

from ldntrial.core.errors import FieldErrors, InvalidValue


def show_errors(form: forms.Form, error: InvalidValue, *, prefixes: Sequence[str] = ("",)) -> None:
    """Put ``error`` on ``form``: per field for :class:`FieldErrors` (trying each prefix, so a
    core key like ``pain`` lands on ``score_pain``), otherwise above the form."""
    if not isinstance(error, FieldErrors):
        form.add_error(None, str(error))
        return
    for key, message in error.errors.items():
        name = next((p + key for p in prefixes if p + key in form.fields), None)
        form.add_error(name, message)
