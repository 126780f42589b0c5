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
from django.utils.cache import add_never_cache_headers, patch_cache_control

from ldntrial.web.accounts.models import User

# Pages a staff member may reach before the second factor: the second factor itself, leaving.
OPEN_PREFIXES = ("/account/two-factor/", "/account/logout/", "/static/")
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


class SessionPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and user.is_authenticated:
            if user.is_clinic_staff:
                _touch(request, settings.STAFF_IDLE_SECONDS)
                if not user.is_verified() and not request.path.startswith(OPEN_PREFIXES):
                    if request.path.startswith("/api/"):
                        return JsonResponse(
                            {"detail": "complete the second sign-in step first"}, status=403
                        )
                    return redirect("two_factor")
            else:
                _touch(request, settings.PATIENT_SESSION_SECONDS)
        return self.get_response(request)


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
