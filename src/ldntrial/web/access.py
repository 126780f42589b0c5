"""Who may see what. Every view and API call goes through these helpers.

Objects of another clinic, and other patients' objects, answer 404 (their existence is not
revealed); a role that may not use a page answers 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django_htmx.http import HttpResponseClientRedirect

from ldntrial.web.accounts import interrupted
from ldntrial.web.accounts.models import User
from ldntrial.web.clinic.models import Patient, Trial, TrialStatus

M = TypeVar("M", bound=models.Model)
View = Callable[..., HttpResponse]


def role_required(*roles: str) -> Callable[[View], View]:
    """Signed in (with a second factor for staff) and holding one of ``roles``."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return sign_in_first(request)
            if not isinstance(user, User) or not user.has_role(*roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def sign_in_first(request: HttpRequest) -> HttpResponse:
    """Send a person who is not (or no longer) signed in to sign in, and back afterwards: to
    this page, or for a form sent after idle sign-out to the page it was on, its fields kept
    (accounts.interrupted). An htmx request makes the whole page go there."""
    back = interrupted.stash(request) if request.method == "POST" else request.get_full_path()
    response = redirect_to_login(back)
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(response["Location"])
    return response


def current_user(request: HttpRequest) -> User:
    """The signed-in account (views reach this only through ``role_required``)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def in_clinic(model: type[M], user: User, **lookup: Any) -> M:
    """The object if it belongs to the user's clinic; otherwise 404."""
    return get_object_or_404(model, clinic=user.clinic, **lookup)


def own_patient(user: User) -> Patient:
    """The patient record of a signed-in patient."""
    patient = Patient.objects.filter(user=user, clinic=user.clinic).first()
    if patient is None:
        raise Http404
    return patient


def own_active_trial(user: User) -> Trial | None:
    patient = own_patient(user)
    return (
        Trial.objects.filter(patient=patient, clinic=user.clinic, status=TrialStatus.ACTIVE)
        .order_by("-started_at")
        .first()
    )


def own_trial(user: User) -> Trial | None:
    """A patient's latest started trial, whatever its state (active, follow-up or stopped)."""
    patient = own_patient(user)
    return (
        Trial.objects.filter(patient=patient, clinic=user.clinic)
        .exclude(status=TrialStatus.DRAFT)
        .order_by("-started_at")
        .first()
    )
