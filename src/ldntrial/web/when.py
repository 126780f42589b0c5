"""Moments as people read them: in the clinic's time zone, to the minute, with the zone named.

One way for every staff page: the middleware makes the signed-in user's clinic zone the current
time zone, and the ``when`` template filter (a builtin: no ``{% load %}``) formats a moment in it,
e.g. "27 Nov 2026, 21:15 GMT". Stored values stay in UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import template
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateformat import format as date_format

register = template.Library()

READABLE = "j M Y, H:i T"


@register.filter
def when(value: dt.datetime | str | None) -> str:
    """A moment (or its ISO text, as protocol documents hold it) in the current time zone."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        moment = value
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=dt.UTC)
    return str(date_format(timezone.localtime(moment), READABLE))


class ClinicTimeZoneMiddleware:
    """Activate the signed-in user's clinic time zone for the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        zone = getattr(getattr(user, "clinic", None), "time_zone", "") if user else ""
        try:
            timezone.activate(ZoneInfo(zone)) if zone else timezone.deactivate()
        except (ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
