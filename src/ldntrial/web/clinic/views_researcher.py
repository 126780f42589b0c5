"""The researcher's pages: the clinic's registry per condition and the de-identified export.

Researchers see pooled, pseudonymised results of their own clinic's started trials, with small
cells suppressed (``LDNTRIAL_REGISTRY_MIN_CELL``); never a name, label, contact or exact date.
Every export is recorded in the audit trail.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ldntrial import data
from ldntrial.web.access import current_user, role_required
from ldntrial.web.accounts.models import Role
from ldntrial.web.audit.chain import record
from ldntrial.web.audit.models import Action
from ldntrial.web.clinic.views_evidence import summary_for
from ldntrial.web.registry import pages
from ldntrial.web.registry.export import Format, Table, export

researchers = role_required(Role.RESEARCHER)


def _min_cell() -> int:
    return int(settings.LDNTRIAL_REGISTRY_MIN_CELL)


@researchers
@require_safe
def research_summary(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    k = _min_cell()
    context = {"rows": pages.condition_rows(user.clinic, k), "k": k}
    return render(request, "researcher/summary.html", context)


@researchers
@require_safe
def research_condition(request: HttpRequest, condition: str) -> HttpResponse:
    user = current_user(request)
    catalogue = data.conditions()
    if condition not in catalogue.conditions:
        raise Http404
    k = _min_cell()
    try:
        evidence = summary_for(condition)
    except Http404:
        evidence = None  # no published study of this condition in the knowledge base
    context = {
        "condition": catalogue.get(condition),
        "sections": pages.condition_page(user.clinic, condition, k),
        "evidence": evidence,
        "k": k,
    }
    return render(request, "researcher/condition.html", context)


@researchers
@require_safe
def research_export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    user = current_user(request)
    try:
        chosen, kind = Table(table), Format(fmt)
    except ValueError:
        raise Http404 from None
    made = export(chosen, clinic=user.clinic, k=_min_cell())
    body = made.to_bytes(kind)
    with transaction.atomic():
        record(
            by=user,
            action=Action.READ,
            object_type="registry.Export",
            object_id=f"{chosen.value}.{kind.value}",
            clinic_id=user.clinic_id,
            reason=f"de-identified export: {chosen.value}.{kind.value}, {len(made.rows)} rows",
        )
    response = HttpResponse(body, content_type=kind.content_type)
    response["Content-Disposition"] = f'attachment; filename="ldntrial-{chosen.value}.{kind.value}"'
    return response
