"""A clinician edits or discards a draft trial (before it starts and its protocol is locked)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.compounding import OralLiquid
from ldntrial.core.trial.protocol import CriterionKind, Protocol
from ldntrial.web.access import current_user, in_clinic
from ldntrial.web.clinic import queries, services
from ldntrial.web.clinic.forms import TrialForm
from ldntrial.web.clinic.models import Trial
from ldntrial.web.clinic.trial_form import designed
from ldntrial.web.clinic.views_clinician import _trial_new_page, clinician


class DiscardForm(forms.Form):
    reason = forms.CharField(max_length=200, label="Why discard this draft")


def initial_from(protocol: Protocol) -> dict[str, Any]:
    """The trial form's values for a draft. A schedule is shown as a regular titration (first
    dose, step, interval, target); saving the form replaces it with that titration."""
    steps = protocol.titration.steps
    first = steps[0]
    step = steps[1].dose.mg - first.dose.mg if len(steps) > 1 else first.dose.mg
    interval = (steps[1].start - first.start).days if len(steps) > 1 else None
    analysis = protocol.analysis_settings
    initial: dict[str, Any] = {
        "condition": protocol.condition,
        "start_date": protocol.start_date,
        "baseline_days": protocol.baseline_days,
        "start_dose": first.dose.text,
        "step": f"{step.normalize():f}",
        "target": steps[-1].dose.text,
        "timing": first.timing.value,
        "reassessment_date": protocol.reassessment_date,
        "reassessment_override": protocol.reassessment_override or "",
        "metrics": [m.key for m in protocol.metrics],
        "primary_metric": protocol.primary_metric,
        "success_probability": protocol.success.probability,
        "pgic_at_least": protocol.success.pgic_at_least.value
        if protocol.success.pgic_at_least
        else "",
        "titration": analysis.titration.value,
        "run_in_days": analysis.run_in_days,
        "trend": analysis.trend,
        "weekly": bool(analysis.weekly),
        "allow": [w.value for w in protocol.accepted_warnings],
        "formulation": protocol.formulation.kind.value,
    }
    if isinstance(protocol.formulation, OralLiquid):
        initial["concentration"] = f"{protocol.formulation.concentration_mg_per_ml.normalize():f}"
    if protocol.success.kind is CriterionKind.RELATIVE_IMPROVEMENT:
        initial["success_percent"] = round(protocol.success.threshold * 100)
    if interval is not None:
        initial["interval_days"] = interval
    if protocol.blinded is not None:
        initial |= {
            "design": protocol.design.value,
            "pairs": protocol.blinded.pairs,
            "period_days": protocol.blinded.period_days,
            "period_run_in": protocol.blinded.run_in_days,
            "no_capsule": protocol.blinded.no_capsule,
        }
    return initial


@clinician
@require_http_methods(["GET", "POST"])
def draft_edit(request: HttpRequest, trial_id: int) -> HttpResponse:
    user = current_user(request)
    trial = in_clinic(Trial, user, pk=trial_id)
    if not trial.is_draft:
        messages.error(request, "Only a draft can be edited: this trial has started.")
        return redirect("clinic:trial", trial.pk)
    patient = trial.patient
    limits = queries.screen_patient(patient).screening.limits
    form = TrialForm(
        request.POST or None,
        initial=initial_from(trial.protocol()),
        conditions=patient.conditions,
    )
    if request.method == "POST":
        protocol = designed(form, patient, limits)
        if protocol is not None:
            try:
                services.update_draft(by=user, trial=trial, protocol=protocol)
            except InvalidValue as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Draft saved.")
                return redirect("clinic:trial", trial.pk)
    return _trial_new_page(request, form, patient, limits, draft=trial)


@clinician
@require_POST
def draft_discard(request: HttpRequest, trial_id: int) -> HttpResponse:
    user = current_user(request)
    trial = in_clinic(Trial, user, pk=trial_id)
    form = DiscardForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not discarded: say why the draft is discarded.")
        return redirect("clinic:trial", trial.pk)
    patient_id = trial.patient_id
    try:
        services.discard_draft(by=user, trial=trial, reason=form.cleaned_data["reason"])
    except InvalidValue as error:
        messages.error(request, f"Not discarded: {error}.")
        return redirect("clinic:trial", trial.pk)
    messages.success(request, f"Draft trial {trial_id} discarded.")
    return redirect("clinic:patient", patient_id)
