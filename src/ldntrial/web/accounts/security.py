"""Authentication events in the audit trail, re-authentication, and per-address throttling.

Signing in, failing to, being locked out, a wrong password at an e-signature, enrolling a
second factor: each is an audit event in the account's clinic chain (the system chain when the
account is unknown; the username typed is then not kept, since people type passwords there).

Lock-out (django-axes) counts failures per account whatever the address; ``IpThrottleBackend``
also refuses an address after ``IP_FAILURE_LIMIT`` failures from it in the cool-off window, a
higher limit so that a clinic behind one address is not locked out by one person's typos.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

from ldntrial.core.errors import FieldErrors
from ldntrial.web.accounts.models import TOTPDevice, User
from ldntrial.web.audit.chain import record
from ldntrial.web.audit.models import Action

IP_FAILURE_LIMIT = 30
REAUTH_FLAG = "_ldntrial_reauthentication"


def _client_ip(request: HttpRequest | None) -> str:
    return str(request.META.get("REMOTE_ADDR", "")) if request is not None else ""


def _event(action: Action, user: User | None, reason: str) -> None:
    with transaction.atomic():
        record(
            by=user if user is not None else "unknown account",
            action=action,
            object_type="accounts.User",
            object_id=user.pk if user is not None else "",
            clinic_id=user.clinic_id if user is not None else None,
            reason=reason,
        )


def _account(username: Any) -> User | None:
    if not isinstance(username, str) or not username:
        return None
    return User.objects.filter(username=username).first()


def on_signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if isinstance(user, User):
        _event(Action.SIGN_IN, user, "signed in with a password")


def on_sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    user = _account(credentials.get("username"))
    if request is not None and getattr(request, REAUTH_FLAG, False):
        _event(Action.REAUTH_FAILED, user, "wrong password at an e-signature")
    else:
        _event(Action.SIGN_IN_FAILED, user, "wrong username or password")


def on_locked_out(sender: Any, request: Any = None, username: Any = None, **kwargs: Any) -> None:
    _event(Action.LOCKED_OUT, _account(username), "too many failed attempts: locked out")


def factor_enrolled(user: User, device: TOTPDevice) -> None:
    _event(Action.FACTOR_ENROLLED, user, f"authenticator {device.persistent_id} confirmed")


def refused(user: User, what: str) -> None:
    _event(Action.ACCESS_REFUSED, user, f"refused: {what}"[:500])


def reauthenticate(request: HttpRequest, user: User, password: str) -> None:
    """The signed-in user's password again (an e-signature). A wrong one counts toward the
    account's lock-out like a failed sign-in and is audited; while locked out it is refused."""
    setattr(request, REAUTH_FLAG, True)
    try:
        again = authenticate(request, username=user.get_username(), password=password)
    finally:
        setattr(request, REAUTH_FLAG, False)
    if getattr(request, "axes_locked_out", False):
        raise FieldErrors(
            {"password": "Too many wrong passwords: this account is locked for a while."}
        )
    if again is None or again.pk != user.pk:
        raise FieldErrors({"password": "That is not your password: signing needs it again."})


class IpThrottleBackend:
    """Refuses any sign-in from an address with too many recent failures (then the other
    backends are not asked)."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        ip = _client_ip(request)
        if not ip:
            return None
        since = timezone.now() - dt.timedelta(hours=float(settings.AXES_COOLOFF_TIME))
        failures = (
            AccessAttempt.objects.filter(ip_address=ip, attempt_time__gte=since).aggregate(
                n=Sum("failures_since_start")
            )["n"]
            or 0
        )
        if failures >= IP_FAILURE_LIMIT:
            raise PermissionDenied("too many failed sign-ins from this address")
        return None
