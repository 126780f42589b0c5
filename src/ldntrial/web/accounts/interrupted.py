"""A staff form sent after idle sign-out is kept, and filled in again after signing in.

When a POST reaches a page that needs a signed-in person and nobody is signed in (the session
expired while the form was open), ``stash`` keeps the form's fields in the new, anonymous
session and the person is sent to sign in with ``next`` pointing back at the page the form was
on (its same-site Referer, else the form's own address). Signing in keeps the session's data
(Django cycles the key), so on return ``take`` hands the fields to the page, whose script puts
them back into the form (``static/ldntrial/forms.js``); nothing is sent again without the
person pressing the button (decision 0024).

Kept only: for the browser's last signed-in account (an HMAC of its id in a cookie, compared on
return: another person signing in on a shared computer never sees them), for
``STASH_SECONDS``, once, never for the patient's own pages (their diary keeps its draft in the
browser), and never secrets: passwords, one-time codes, CSRF tokens.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme

STASH_KEY = "ldntrial_interrupted_form"
OWNER_COOKIE = "ldntrial_owner"
OWNER_COOKIE_SECONDS = 24 * 3600
STASH_SECONDS = 30 * 60
MAX_FIELDS = 200
MAX_VALUE_LENGTH = 10_000
# Fields whose name contains one of these are never kept.
SECRET_PARTS = ("csrf", "password", "token", "code", "secret")
# Where nothing is kept: the patient's pages, signing in, joining, the API.
NOT_KEPT_PREFIXES = ("/me/", "/account/", "/join/", "/api/")


def owner_tag(user_id: int) -> str:
    return salted_hmac("ldntrial.interrupted.owner", str(user_id)).hexdigest()


def remember_owner(request: HttpRequest, response: HttpResponse) -> None:
    """Mark the browser with its signed-in account (an HMAC of the id, never the id)."""
    user_id = getattr(request.user, "pk", None)
    if user_id is None or not request.user.is_authenticated:
        return
    tag = owner_tag(user_id)
    if request.COOKIES.get(OWNER_COOKIE) == tag:
        return
    response.set_cookie(
        OWNER_COOKIE,
        tag,
        max_age=OWNER_COOKIE_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def _kept(name: str) -> bool:
    lowered = name.lower()
    return not any(part in lowered for part in SECRET_PARTS)


def return_path(request: HttpRequest) -> str:
    """The page the person was on: the same-site Referer, else the address posted to."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.get_full_path()


def stash(request: HttpRequest) -> str:
    """Keep an interrupted POST's fields; return where to come back to after signing in."""
    back = return_path(request)
    owner = request.COOKIES.get(OWNER_COOKIE, "")
    if (
        request.method != "POST"
        or request.path.startswith(NOT_KEPT_PREFIXES)
        or not owner
        or request.FILES
    ):
        return back
    fields = {
        name: [value[:MAX_VALUE_LENGTH] for value in request.POST.getlist(name)]
        for name in list(request.POST)[:MAX_FIELDS]
        if _kept(name)
    }
    request.session[STASH_KEY] = {
        "owner": owner,
        "page": urlsplit(back).path,
        "action": request.path,
        "fields": fields,
        "at": int(time.time()),
    }
    request.session.set_expiry(STASH_SECONDS)
    return back


def take(request: HttpRequest) -> dict[str, Any] | None:
    """The fields kept for this page and this person, once; ``None`` if there are none."""
    kept = request.session.get(STASH_KEY)
    user_id = getattr(request.user, "pk", None)
    if not isinstance(kept, dict) or user_id is None or request.method != "GET":
        return None
    if kept.get("page") != request.path:
        return None
    del request.session[STASH_KEY]
    fresh = 0 <= time.time() - int(kept.get("at", 0)) <= STASH_SECONDS
    if not fresh or not constant_time_compare(str(kept.get("owner", "")), owner_tag(user_id)):
        return None
    return {"action": kept.get("action", ""), "fields": kept.get("fields", {})}
