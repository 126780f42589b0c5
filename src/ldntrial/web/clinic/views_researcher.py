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
    counts: Counter[str] = Counter()
    for trial in Trial.objects.filter(clinic=user.clinic, status=TrialStatus.ACTIVE):
        counts[trial.protocol_document["protocol"]["condition"]] += 1
    rows = [(catalogue.get(key).name, n) for key, n in sorted(counts.items())]
    return render(request, "researcher/summary.html", {"rows": rows})
