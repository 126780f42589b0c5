"""The researcher's pages: counts and, later, pooled results; never patient-level data."""

from __future__ import annotations

from collections import Counter

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ldntrial import data
from ldntrial.web.access import current_user, role_required
from ldntrial.web.accounts.models import Role
from ldntrial.web.clinic.models import Trial, TrialStatus


@role_required(Role.RESEARCHER)
@require_safe
def research_summary(request: HttpRequest) -> HttpResponse:
    """Counts only: no patient-level data reaches a researcher here."""
    user = current_user(request)
    catalogue = data.conditions()
    counts: Counter[tuple[str, str]] = Counter()
    started = Trial.objects.filter(clinic=user.clinic).exclude(status=TrialStatus.DRAFT)
    for status, document in started.values_list("status", "protocol_document"):
        counts[(document["protocol"]["condition"], status)] += 1
    keys = sorted({key for key, _ in counts})
    rows = [
        (
            catalogue.get(key).name,
            counts[(key, TrialStatus.ACTIVE)],
            counts[(key, TrialStatus.FOLLOW_UP)],
            counts[(key, TrialStatus.STOPPED)],
        )
        for key in keys
    ]
    return render(request, "researcher/summary.html", {"rows": rows})
