"""What every page needs to know about the session: the idle clock for the sign-out warning,
a form to fill in again after signing in (accounts.interrupted), a browser draft to clear."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from ldntrial.web.accounts import interrupted
from ldntrial.web.accounts.middleware import seconds_left
from ldntrial.web.accounts.models import User

# Set by a page that saved what a browser draft held (the diary): the draft's key, cleared by
# the next page's script.
SAVED_DRAFT = "ldntrial_saved_draft"


def warning_seconds() -> int:
    """How long before idle sign-out the warning shows: SESSION_WARNING_SECONDS, at most half
    the idle time."""
    return max(1, min(settings.SESSION_WARNING_SECONDS, settings.STAFF_IDLE_SECONDS // 2))


def session(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {}
    context: dict[str, Any] = {}
    if user.is_clinic_staff:
        context["session_clock"] = {
            "seconds_left": seconds_left(request),
            "warn_before": warning_seconds(),
            "idle_minutes": max(1, settings.STAFF_IDLE_SECONDS // 60),
        }
    restored = interrupted.take(request)
    if restored is not None:
        context["restored_form"] = restored
    saved = request.session.pop(SAVED_DRAFT, None)
    if isinstance(saved, str):
        context["clear_draft"] = saved
    return context
