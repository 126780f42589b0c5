"""The clinician's pages: dashboard, patients, medicines, trials, audit history."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ldntrial import data
from ldntrial.core import bounds
from ldntrial.core.errors import InvalidValue, LdnTrialError
from ldntrial.core.screening.intervals import earliest_first_dose
from ldntrial.core.trial.design import DEFAULT_REASSESSMENT_WEEKS, default_plan
from ldntrial.web import sealing
from ldntrial.web.access import current_user, in_clinic, role_required
from ldntrial.web.accounts import services as account_services
from ldntrial.web.accounts.models import Role
from ldntrial.web.accounts.views import invitation_link
from ldntrial.web.audit.models import AuditEvent
from ldntrial.web.audit.wording import describe
from ldntrial.web.clinic import kits, queries, services
from ldntrial.web.clinic.blinded_design import design_context, dosing_periods
from ldntrial.web.clinic.dashboard import DashboardForm, dashboard_page
from ldntrial.web.clinic.forms import (
    MedicationForm,
    PatientForm,
    ResolveForm,
    SituationsForm,
    StopForm,
    TrialForm,
)
from ldntrial.web.clinic.forms_lifecycle import AmendmentForm
from ldntrial.web.clinic.models import Medication, Patient, Trial, TrialStatus
from ldntrial.web.clinic.trial_form import designed
from ldntrial.web.form_errors import show_errors

clinician = role_required(Role.CLINICIAN)


@clinician
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = DashboardForm(request.GET)
    page, matching = dashboard_page(user.clinic_id, form)
    return render(
        request,
        "clinic/dashboard.html",
        {"form": form, "page": page, "rows": page.object_list, "matching": matching},
    )


@clinician
@require_http_methods(["GET", "POST"])
def patient_new(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.create_patient(by=current_user(request), **form.cleaned_data)
        except InvalidValue as error:
            show_errors(form, error)
        else:
            return redirect("clinic:patient", patient.pk)
    return render(request, "clinic/patient_new.html", {"form": form}, status=_status(form))


def _status(form: object) -> int:
    """400 for a submitted form with errors, so tests and clients can tell."""
    return 400 if getattr(form, "is_bound", False) and getattr(form, "errors", None) else 200


@clinician
@require_safe
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = current_user(request)
    patient = in_clinic(Patient, user, pk=patient_id)
    services.log_read(by=user, patient=patient, what="patient record viewed")
    return _patient_page(request, patient)


def _patient_page(
    request: HttpRequest,
    patient: Patient,
    *,
    medication_form: MedicationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    conditions = data.conditions()
    return render(
        request,
        "clinic/patient_detail.html",
        {
            "patient": patient,
            "conditions": [conditions.get(key) for key in patient.conditions],
            "medications": [
                (m, StopForm(prefix=f"stop{m.pk}"))
                for m in patient.medications.filter(removed_at=None).order_by("added_at")
            ],
            "trials": patient.trials.order_by("-created_at"),
            "medication_form": medication_form or MedicationForm(),
            "screening": queries.screen_patient(patient).screening,
            "evidence": [_evidence(key) for key in patient.conditions],
            "invite_link": _shown_once(request, f"invite-{patient.pk}"),
        },
        status=status,
    )


@clinician
@require_POST
def medication_add(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = current_user(request)
    patient = in_clinic(Patient, user, pk=patient_id)
    form = MedicationForm(request.POST)
    if form.is_valid():
        try:
            services.add_medication(by=user, patient=patient, **form.cleaned_data)
        except InvalidValue as error:
            show_errors(form, error)
        else:
            messages.success(request, "Medicine added.")
            return redirect("clinic:patient", patient.pk)
    return _patient_page(request, patient, medication_form=form, status=400)


@clinician
@require_POST
def medication_stop(request: HttpRequest, medication_id: int) -> HttpResponse:
    """Record that a medicine is no longer taken (from the patient's page or the screening)."""
    user = current_user(request)
    medication = in_clinic(Medication, user, pk=medication_id)
    form = StopForm(request.POST, prefix=f"stop{medication.pk}")
    if form.is_valid():
        try:
            services.stop_medication(by=user, medication=medication, **form.cleaned_data)
        except InvalidValue as error:
            show_errors(form, error)
        else:
            messages.success(request, f"Recorded as no longer taken: {medication.text}")
            return redirect("clinic:screening", medication.patient_id)
    return _screening_page(
        request, medication.patient, stop_forms={medication.pk: form}, status=400
    )


def _shown_once(request: HttpRequest, key: str) -> dict[str, str] | None:
    sealed = request.session.pop(key, None)
    if not isinstance(sealed, str):
        return None
    try:
        return json.loads(sealing.unseal(sealed, context=b"invite-link"))
    except sealing.SealBroken:
        return None


@clinician
@require_POST
def patient_invite(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = current_user(request)
    patient = in_clinic(Patient, user, pk=patient_id)
    try:
        _, token, username = account_services.invite_patient(by=user, patient=patient)
    except InvalidValue as error:
        messages.error(request, str(error))
    else:
        link = invitation_link(request, token)
        # Shown once on the next page; only the token's hash is stored, and the session (a
        # database row) holds the link sealed with the storage key.
        shown = json.dumps({"link": link, "username": username}).encode()
        request.session[f"invite-{patient.pk}"] = sealing.seal(shown, context=b"invite-link")
    return redirect("clinic:patient", patient.pk)


@clinician
@require_http_methods(["GET", "POST"])
def trial_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = current_user(request)
    patient = in_clinic(Patient, user, pk=patient_id)
    tomorrow = queries.today_for(patient) + dt.timedelta(days=1)
    limits = queries.screen_patient(patient).screening.limits
    form = TrialForm(
        request.POST or None, initial={"start_date": tomorrow}, conditions=patient.conditions
    )
    if request.method == "POST":
        protocol = designed(form, patient, limits)
        if protocol is not None:
            trial = services.create_trial(by=user, patient=patient, protocol=protocol)
            return redirect("clinic:trial", trial.pk)
    return _trial_new_page(request, form, patient, limits)


def _trial_new_page(
    request: HttpRequest,
    form: TrialForm,
    patient: Patient,
    limits: Any,
    *,
    draft: Trial | None = None,
) -> HttpResponse:
    return render(
        request,
        "clinic/trial_new.html",
        {
            "form": form,
            "draft": draft,
            "patient": patient,
            "evidence": [_evidence(key) for key in patient.conditions],
            "earliest": earliest_first_dose(limits),
            "usual": {
                "plan": default_plan(data.ldn_profile()),
                "baseline": data.ldn_profile().default_baseline_days,
                "weeks": DEFAULT_REASSESSMENT_WEEKS,
            },
        },
        status=_status(form),
    )


def _evidence(condition: str) -> object:
    from ldntrial.web.clinic.views_evidence import summary_for

    return summary_for(condition)


@clinician
@require_safe
def trial_detail(request: HttpRequest, trial_id: int) -> HttpResponse:
    user = current_user(request)
    trial = in_clinic(Trial, user, pk=trial_id)
    services.log_read(by=user, patient=trial.patient, what=f"trial {trial.pk} viewed")
    return trial_page(request, trial)


def trial_page(
    request: HttpRequest,
    trial: Trial,
    *,
    amend_form: AmendmentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    from ldntrial.web.clinic.views_lifecycle import amendment_context

    protocol = trial.protocol()
    active = trial.status == TrialStatus.ACTIVE
    return render(
        request,
        "clinic/trial_detail.html",
        {
            "trial": trial,
            "protocol": protocol,
            "success_text": protocol.success.describe(protocol.primary),
            "analysis_text": protocol.analysis_settings.describe(),
            "analysis_fixed": protocol.has_analysis,
            "design_label": protocol.design.value.replace("_", " "),
            "phases": protocol.phases(),
            "condition": data.conditions().get(protocol.condition),
            "periods": dosing_periods(protocol),
            "kits": kits.kits_for_care_team(trial),
            "status": queries.status_of(trial, protocol) if active else None,
            "charts": queries.charts(trial, protocol) if active else [],
            "entries": queries.diary_rows(list(trial.diary.order_by("-day", "-version")[:60]))
            if active
            else [],
            "latest_note": trial.diary.filter(is_current=True)
            .exclude(note="")
            .order_by("-day")
            .first()
            if active
            else None,
            "first_dose_warning": bounds.first_dose_warning(
                protocol.first_dose_date, today=queries.today_for(trial.patient)
            )
            if trial.is_draft
            else None,
            "first_dose_code": bounds.BoundWarning.FIRST_DOSE_IN_PAST.value,
            **amendment_context(trial, amend_form),
            **design_context(protocol, draft=trial.is_draft),
        },
        status=status,
    )


@clinician
@require_POST
def trial_start(request: HttpRequest, trial_id: int) -> HttpResponse:
    user = current_user(request)
    trial = in_clinic(Trial, user, pk=trial_id)
    past = bounds.first_dose_warning(
        trial.protocol().first_dose_date, today=queries.today_for(trial.patient)
    )
    if past and bounds.BoundWarning.FIRST_DOSE_IN_PAST.value not in request.POST.getlist("allow"):
        messages.error(request, f"Not started: {past}.")
        return redirect("clinic:trial", trial.pk)
    try:
        services.start_trial(by=user, trial=trial)
    except LdnTrialError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Trial started: the protocol is locked.")
    return redirect("clinic:trial", trial.pk)


@clinician
@require_safe
def patient_audit(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = current_user(request)
    patient = in_clinic(Patient, user, pk=patient_id)
    services.log_read(by=user, patient=patient, what="audit history viewed")
    events = AuditEvent.objects.filter(clinic=user.clinic, patient_id=patient.pk).order_by(
        "-sequence"
    )[:500]
    return render(
        request,
        "clinic/patient_audit.html",
        {"patient": patient, "events": [describe(e) for e in events]},
    )


@clinician
@require_safe
def screening(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = current_user(request)
    patient = in_clinic(Patient, user, pk=patient_id)
    services.log_read(by=user, patient=patient, what="screening viewed")
    return _screening_page(request, patient)


def _screening_page(
    request: HttpRequest,
    patient: Patient,
    *,
    situations_form: SituationsForm | None = None,
    resolve_forms: dict[int, ResolveForm] | None = None,
    stop_forms: dict[int, StopForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    result = queries.screen_patient(patient)
    resolving = resolve_forms or {}
    stopping = stop_forms or {}
    return render(
        request,
        "clinic/screening.html",
        {
            "patient": patient,
            "screening": result.screening,
            "rows": [
                {"finding": f, "medication": result.medication_of(f)}
                for f in result.screening.findings
            ],
            "to_resolve": [
                {"medication": m, "form": resolving.get(m.pk) or ResolveForm(prefix=f"m{m.pk}")}
                for m in result.to_resolve
            ],
            "to_stop": [
                {"medication": m, "form": stopping.get(m.pk) or StopForm(prefix=f"stop{m.pk}")}
                for m in result.to_stop
            ],
            "situations_form": situations_form
            or SituationsForm(
                initial={
                    "situations": patient.situations,
                    "surgery_planned": patient.surgery_planned,
                }
            ),
        },
        status=status,
    )


@clinician
@require_POST
def medication_resolve(request: HttpRequest, medication_id: int) -> HttpResponse:
    user = current_user(request)
    medication = in_clinic(Medication, user, pk=medication_id)
    form = ResolveForm(request.POST, prefix=f"m{medication.pk}")
    if form.is_valid():
        try:
            services.resolve_medication(
                by=user,
                medication=medication,
                medicine_key=form.cleaned_data["medicine"] or None,
                not_an_opioid=form.cleaned_data["not_an_opioid"],
            )
        except InvalidValue as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Resolved: {medication.text}")
            return redirect("clinic:screening", medication.patient_id)
    return _screening_page(
        request, medication.patient, resolve_forms={medication.pk: form}, status=400
    )


@clinician
@require_POST
def patient_situations(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = current_user(request)
    patient = in_clinic(Patient, user, pk=patient_id)
    form = SituationsForm(request.POST)
    if form.is_valid():
        try:
            services.update_situations(
                by=user,
                patient=patient,
                situations=form.cleaned_data["situations"],
                surgery_planned=form.cleaned_data["surgery_planned"],
            )
        except InvalidValue as error:
            show_errors(form, error)
        else:
            messages.success(request, "Situations saved.")
            return redirect("clinic:screening", patient.pk)
    return _screening_page(request, patient, situations_form=form, status=400)
