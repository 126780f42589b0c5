"""Session rules: staff need a second factor and are signed out after idle minutes; pages for a
signed-in person and the API are never stored by browsers or proxies.

The idle clock is kept in the session, but the session is written only when the clock moved by
more than ``TOUCH_SECONDS``: a plain GET does not rewrite the session row on every request. A
staff member is therefore signed out between ``idle - TOUCH_SECONDS`` and ``idle`` after their
last request.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import urlencode

from ldntrial.web.accounts import interrupted
from ldntrial.web.accounts.models import User

# Pages a staff member may reach before the second factor: the second factor itself, leaving.
OPEN_PREFIXES = ("/account/two-factor/", "/account/logout/", "/static/")
# Asking how long the session has left must not itself restart the idle clock.
UNTOUCHED_PATHS = ("/account/session/",)
TOUCH_SECONDS = 60
TOUCHED_AT = "ldntrial_touched_at"


def _touch(request: HttpRequest, seconds: int) -> None:
    """Restart the session's idle clock, writing the session only when it moved enough."""
    now = int(time.time())
    last = request.session.get(TOUCHED_AT)
    same_policy = request.session.get("_session_expiry") == seconds
    if isinstance(last, int) and 0 <= now - last < TOUCH_SECONDS and same_policy:
        return
    request.session[TOUCHED_AT] = now
    request.session.set_expiry(seconds)


def seconds_left(request: HttpRequest) -> int:
    """Seconds until the signed-in session ends if nothing touches it: from the stored row's
    end, unless this request changed the session (it is saved with a fresh end)."""
    session = request.session
    stored = getattr(session, "stored_expiry", None)
    if session.modified or stored is None:
        return int(session.get_expiry_age())
    return max(0, int((stored - timezone.now()).total_seconds()))


def keep_alive(request: HttpRequest) -> int:
    """Restart the idle clock now (the person said they are still there); the new seconds."""
    user = request.user
    seconds = (
        settings.STAFF_IDLE_SECONDS
        if isinstance(user, User) and user.is_clinic_staff
        else settings.PATIENT_SESSION_SECONDS
    )
    request.session[TOUCHED_AT] = int(time.time())
    request.session.set_expiry(seconds)
    return seconds


def _second_step(request: HttpRequest) -> HttpResponse:
    """To the second sign-in step, coming back here afterwards (pages only, not forms)."""
    target = reverse("two_factor")
    if request.method == "GET" and request.path != reverse("home"):
        target += "?" + urlencode({"next": request.get_full_path()})
    return redirect(target)


class SessionPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and user.is_authenticated:
            touch = request.path not in UNTOUCHED_PATHS
            if user.is_clinic_staff:
                if touch:
                    _touch(request, settings.STAFF_IDLE_SECONDS)
                if not user.is_verified() and not request.path.startswith(OPEN_PREFIXES):
                    if request.path.startswith("/api/"):
                        return JsonResponse(
                            {"detail": "complete the second sign-in step first"}, status=403
                        )
                    return _second_step(request)
            elif touch:
                _touch(request, settings.PATIENT_SESSION_SECONDS)
        response = self.get_response(request)
        interrupted.remember_owner(request, response)
        return response


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every response to a signed-in person and on the API."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/static/"):
            return response
        if request.user.is_authenticated or request.path.startswith(("/api/", "/join/")):
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True, private=True)
        return response


def _printable(path: str) -> str:
    """A path as it may be stored: control characters (a NUL, which PostgreSQL text refuses)
    escaped, and no longer than a path needs."""
    shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in path)
    return shown[:500]


class RefusalAuditMiddleware:
    """A signed-in person refused a page or API call (403) is an audit event: who, what path."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = request.user
        if response.status_code == 403 and isinstance(user, User) and user.is_authenticated:
            from ldntrial.web.accounts.security import refused

            refused(user, f"{request.method} {_printable(request.path)}")
        return response
