"""Evidence pages and the patient handout (HTML and PDF)."""

from __future__ import annotations

import base64
import hashlib

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ldntrial import data
from ldntrial.core.errors import InvalidValue
from ldntrial.core.evidence.summary import Summary, summarise
from ldntrial.reports.handout import handout_css, handout_html
from ldntrial.reports.pdf import html_to_pdf
from ldntrial.web.access import current_user, in_clinic, role_required
from ldntrial.web.accounts.models import Role
from ldntrial.web.clinic import services
from ldntrial.web.clinic.models import Patient

evidence_readers = role_required(Role.CLINICIAN, Role.RESEARCHER)


def summary_for(condition: str) -> Summary:
    try:
        return summarise(
            condition,
            library=data.studies(),
            conditions=data.conditions(),
            context=data.evidence_context(),
        )
    except InvalidValue:
        raise Http404 from None


@evidence_readers
@require_safe
def evidence_list(request: HttpRequest) -> HttpResponse:
    present = {c for s in data.studies().studies.values() for c in s.conditions}
    summaries = [summary_for(key) for key in data.conditions().conditions if key in present]
    return render(request, "evidence/list.html", {"summaries": summaries})


@evidence_readers
@require_safe
def evidence_condition(request: HttpRequest, condition: str) -> HttpResponse:
    return render(request, "evidence/condition.html", {"s": summary_for(condition)})


def _patient_condition(request: HttpRequest, patient_id: int, condition: str) -> Patient:
    user = current_user(request)
    patient = in_clinic(Patient, user, pk=patient_id)
    if condition not in patient.conditions:
        raise Http404
    services.log_read(by=user, patient=patient, what=f"handout for {condition}")
    return patient


@role_required(Role.CLINICIAN)
@require_safe
def handout(request: HttpRequest, patient_id: int, condition: str) -> HttpResponse:
    patient = _patient_condition(request, patient_id, condition)
    html = handout_html(summary_for(condition), data.ldn_profile(), patient_label=patient.label)
    response = HttpResponse(html)
    # The handout is one self-contained page (also rendered to PDF): its one <style> element is
    # allowed by its hash, nothing else inline.
    digest = base64.b64encode(hashlib.sha256(handout_css().encode()).digest()).decode()
    response._csp_update = {"style-src": [f"'sha256-{digest}'"]}  # type: ignore[attr-defined]  # django-csp's per-response hook
    return response


@role_required(Role.CLINICIAN)
@require_safe
def handout_as_pdf(request: HttpRequest, patient_id: int, condition: str) -> HttpResponse:
    patient = _patient_condition(request, patient_id, condition)
    html = handout_html(summary_for(condition), data.ldn_profile(), patient_label=patient.label)
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="ldn-{condition}-handout.pdf"'
    return response
