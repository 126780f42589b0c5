"""Reassessment: the report, the clinician's signed decision, the patient's summary."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from ldntrial import data
from ldntrial.core.analysis.decision import Outcome
from ldntrial.core.errors import InvalidValue
from ldntrial.reports.pdf import html_to_pdf
from ldntrial.reports.trial_report import Signature, patient_summary_text, report_html
from ldntrial.web.access import current_user, in_clinic, own_active_trial, role_required
from ldntrial.web.accounts.models import Role
from ldntrial.web.clinic import reassessment, services
from ldntrial.web.clinic.forms import SignForm
from ldntrial.web.clinic.models import Trial, TrialStatus
from ldntrial.web.form_errors import show_errors


def _signature(trial: Trial) -> Signature | None:
    item = reassessment.latest(trial)
    if item is None:
        return None
    return Signature(
        signer=item.signed_by.username,
        signed_at=item.signed_at,
        final_outcome=Outcome(item.final_outcome),
        override_reason=item.override_reason,
        valid=reassessment.is_valid(item),
    )


def _report(trial: Trial) -> tuple[reassessment.Assessment, str]:
    assessment = reassessment.assess(trial)
    html = report_html(
        assessment.analysis,
        assessment.decision,
        assessment.observations,
        patient_label=trial.patient.label,
        condition_name=data.conditions().get(assessment.analysis.protocol.condition).name,
        signature=_signature(trial),
    )
    return assessment, html


@role_required(Role.CLINICIAN)
@require_http_methods(["GET", "POST"])
def reassessment_page(request: HttpRequest, trial_id: int) -> HttpResponse:
    user = current_user(request)
    trial = in_clinic(Trial, user, pk=trial_id)
    if trial.status != TrialStatus.ACTIVE:
        raise Http404
    services.log_read(by=user, patient=trial.patient, what=f"reassessment of trial {trial.pk}")
    form = SignForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                reassessment.sign(
                    by=user,
                    trial=trial,
                    final=Outcome(form.cleaned_data["final_outcome"]),
                    reason=form.cleaned_data["override_reason"],
                    password=form.cleaned_data["password"],
                )
            except InvalidValue as error:
                show_errors(form, error)
            else:
                return redirect("clinic:reassessment", trial.pk)
    assessment, html = _report(trial)
    if request.method == "GET":
        form = SignForm(initial={"final_outcome": assessment.decision.outcome.value})
    body = html[html.index("<body>") + 6 : html.index("</body>")]
    return render(
        request,
        "clinic/reassessment.html",
        {"trial": trial, "report": body, "form": form, "signature": _signature(trial)},
        status=status,
    )


@role_required(Role.CLINICIAN)
@require_safe
def report_pdf(request: HttpRequest, trial_id: int) -> HttpResponse:
    user = current_user(request)
    trial = in_clinic(Trial, user, pk=trial_id)
    if trial.status != TrialStatus.ACTIVE:
        raise Http404
    services.log_read(by=user, patient=trial.patient, what=f"report of trial {trial.pk}")
    _, html = _report(trial)
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="ldn-trial-{trial.pk}-report.pdf"'
    return response


@role_required(Role.PATIENT)
@require_safe
def patient_summary(request: HttpRequest) -> HttpResponse:
    trial = own_active_trial(current_user(request))
    if trial is None:
        raise Http404
    signature = _signature(trial)
    lines: list[str] = []
    if signature is not None and signature.valid:
        lines = patient_summary_text(reassessment.assess(trial).analysis, signature.final_outcome)
    return render(request, "patient/summary.html", {"lines": lines, "signed": bool(lines)})
