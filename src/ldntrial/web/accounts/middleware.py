"""Session rules: staff need a second factor and are signed out after idle minutes."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from ldntrial.web.accounts.models import User

# Pages a staff member may reach before the second factor: the second factor itself, leaving.
OPEN_PREFIXES = ("/account/two-factor/", "/account/logout/", "/static/")


class SessionPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and user.is_authenticated:
            if user.is_clinic_staff:
                # Sliding expiry: every request restarts the idle clock.
                request.session.set_expiry(settings.STAFF_IDLE_SECONDS)
                if not user.is_verified() and not request.path.startswith(OPEN_PREFIXES):
                    if request.path.startswith("/api/"):
                        return JsonResponse(
                            {"detail": "complete the second sign-in step first"}, status=403
                        )
                    return redirect("two_factor")
            else:
                request.session.set_expiry(settings.PATIENT_SESSION_SECONDS)
        return self.get_response(request)
