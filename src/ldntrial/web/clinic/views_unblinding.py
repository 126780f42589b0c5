"""The unblinding page of a blinded trial, for the clinicians of its clinic.

Before unblinding it shows the status and the two ways to unblind: the planned unblinding, a
button allowed from the day after the last period (otherwise its reason is shown), and the
emergency unblinding, with a reason, the clinician's password and a fresh code from their
authenticator (``blinded.unblind`` checks them all). The sequence (period, kit, arm) is on the
page only once the trial is unblinded; before, nothing here depends on the allocation.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.blinded import Arm
from ldntrial.core.trial.randomisation import Allocation
from ldntrial.web.access import current_user, in_clinic, role_required
from ldntrial.web.accounts.models import Role, User
from ldntrial.web.clinic import blinded, queries, services
from ldntrial.web.clinic.forms_blinded import EmergencyUnblindingForm
from ldntrial.web.clinic.models import Trial, TrialStatus, Unblinding, UnblindingKind
from ldntrial.web.form_errors import show_errors

ARM_WORDS = {Arm.ACTIVE: "LDN", Arm.PLACEBO: "Placebo", Arm.NO_CAPSULE: "No capsule"}
ALREADY = "this trial is unblinded already"


def _blinded_trial(user: User, trial_id: int) -> Trial:
    """A started blinded trial of the user's clinic (404 otherwise: no page to show)."""
    trial = in_clinic(Trial, user, pk=trial_id)
    if trial.status == TrialStatus.DRAFT or not trial.protocol().is_blinded:
        raise Http404
    return trial


def _sequence(trial: Trial, allocation: Allocation) -> list[dict[str, Any]]:
    """Each period with its kit and arm: for the page after unblinding only."""
    return [
        {
            "period": p,
            "kit": allocation.kit_of_period(p.number),
            "arm": ARM_WORDS[allocation.arm_of_period(p.number)],
        }
        for p in trial.protocol().periods()
    ]


def _page(
    request: HttpRequest,
    trial: Trial,
    *,
    form: EmergencyUnblindingForm | None = None,
    refusal: str | None = None,
    status: int = 200,
) -> HttpResponse:
    unblinding = Unblinding.objects.filter(trial=trial).select_related("unblinded_by").first()
    allocation = blinded.revealed_allocation(trial) if unblinding is not None else None
    context: dict[str, Any] = {
        "trial": trial,
        "protocol": trial.protocol(),
        "unblinding": unblinding,
        "refusal": refusal,
    }
    if allocation is None:
        context |= {
            "planned_not_yet": blinded.planned_unblinding_due(
                trial, queries.today_for(trial.patient)
            ),
            "form": form or EmergencyUnblindingForm(),
        }
    else:
        context["sequence"] = _sequence(trial, allocation)
    return render(request, "clinic/unblind.html", context, status=status)


@role_required(Role.CLINICIAN)
@require_http_methods(["GET", "POST"])
def unblind_page(request: HttpRequest, trial_id: int) -> HttpResponse:
    user = current_user(request)
    trial = _blinded_trial(user, trial_id)
    if request.method == "GET":
        services.log_read(by=user, patient=trial.patient, what=f"unblinding of trial {trial.pk}")
        return _page(request, trial)
    try:
        kind = UnblindingKind(request.POST.get("kind", ""))
    except ValueError:
        return _page(
            request, trial, refusal="choose the planned or the emergency unblinding", status=400
        )
    form = EmergencyUnblindingForm(request.POST) if kind == UnblindingKind.EMERGENCY else None
    if form is not None and not form.is_valid():
        return _page(request, trial, form=form, status=400)
    sent = form.cleaned_data if form is not None else {}
    try:
        blinded.unblind(
            by=user,
            trial=trial,
            kind=kind,
            reason=sent.get("reason", ""),
            password=sent.get("password", ""),
            token=sent.get("token", ""),
            request=request,
            today=queries.today_for(trial.patient),
        )
    except InvalidValue as error:
        done = Unblinding.objects.filter(trial=trial).exists()
        if form is None or done:
            return _page(request, trial, refusal=str(error), status=409 if done else 400)
        show_errors(form, error)
        return _page(request, trial, form=form, status=400)
    messages.success(
        request,
        "The trial is unblinded early (emergency): the sequence is below."
        if kind == UnblindingKind.EMERGENCY
        else "The trial is unblinded as planned: the sequence is below.",
    )
    return redirect("clinic:unblind", trial.pk)
