"""The pharmacy's pages for the kits of a blinded trial: the preparation sheet with a dispensing
form for each kit not yet handed over, the labels and the sheet to print, and the
acknowledgement of an unblinding.

Pharmacists of the trial's clinic only (another clinic's trial answers 404, any other role
403). These are the only pages that show which kits hold LDN; the labels page does not.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ldntrial.core.errors import InvalidValue
from ldntrial.web.access import current_user, in_clinic, role_required
from ldntrial.web.accounts.models import Role, User
from ldntrial.web.clinic import kits, services
from ldntrial.web.clinic.forms_kits import KitDispenseForm
from ldntrial.web.clinic.models import Trial, TrialStatus, Unblinding
from ldntrial.web.clinic.queries import today_for
from ldntrial.web.form_errors import show_errors

PAPERS = ("a4", "letter")
pharmacist = role_required(Role.PHARMACIST)


def _blinded_trial(user: User, trial_id: int) -> Trial:
    """A started blinded trial of the user's clinic (it has a sealed allocation); else 404."""
    return in_clinic(Trial, user, pk=trial_id, allocation__isnull=False)


def _posted_kit(request: HttpRequest) -> int | None:
    try:
        return int(str(request.POST.get("kit", "")).strip())
    except ValueError:
        return None


@pharmacist
@require_http_methods(["GET", "POST"])
def trial_kits(request: HttpRequest, trial_id: int) -> HttpResponse:
    """The preparation sheet (which kit holds what; reading it is audited) and the forms."""
    user = current_user(request)
    trial = _blinded_trial(user, trial_id)
    bound: KitDispenseForm | None = None
    status = 200
    if request.method == "POST":
        status = 400
        bound = KitDispenseForm(request.POST, kit=_posted_kit(request))
        if bound.is_valid():
            values = bound.values()
            try:
                kits.record_kit_dispensing(
                    by=user, trial=trial, today=today_for(trial.patient), **values
                )
            except InvalidValue as error:
                show_errors(bound, error)
            else:
                messages.success(request, f"Kit {values['kit']} recorded as dispensed.")
                return redirect("pharmacy:trial_kits", trial.pk)
    view = kits.pharmacy_kits(by=user, trial=trial)
    posted = _posted_kit(request) if bound is not None else None
    waiting = {kit.number for kit in view.to_dispense}
    forms = [
        (
            kit,
            bound
            if bound is not None and posted == kit.number
            else KitDispenseForm(kit=kit.number),
        )
        for kit in view.to_dispense
    ]
    return render(
        request,
        "pharmacy/kits.html",
        {
            "trial": trial,
            "view": view,
            "forms": forms,
            # A refused submission for no kit on the list (kit 99, or one dispensed already).
            "stray": bound if bound is not None and posted not in waiting else None,
            "dispensing_open": trial.status == TrialStatus.ACTIVE,
            "unblinding": Unblinding.objects.filter(trial=trial).first(),
        },
        status=status,
    )


def _paper(request: HttpRequest) -> str:
    paper = request.GET.get("paper", "a4")
    return paper if paper in PAPERS else "a4"


@pharmacist
@require_safe
def kit_labels(request: HttpRequest, trial_id: int) -> HttpResponse:
    """One label per kit to print, identical whatever the kit holds (no allocation is read)."""
    user = current_user(request)
    trial = _blinded_trial(user, trial_id)
    services.log_read(
        by=user, patient=trial.patient, what=f"kit labels of trial {trial.pk} printed"
    )
    listed = kits.kits_of(trial)
    context: dict[str, Any] = {
        "trial": trial,
        "paper": _paper(request),
        "labels": [kit.label for kit in listed.kits],
    }
    return render(request, "pharmacy/kit_labels.html", context)


@pharmacist
@require_safe
def kit_sheet(request: HttpRequest, trial_id: int) -> HttpResponse:
    """The preparation sheet to print (reading it is audited, as on the kits page)."""
    user = current_user(request)
    trial = _blinded_trial(user, trial_id)
    view = kits.pharmacy_kits(by=user, trial=trial)
    return render(
        request,
        "pharmacy/kit_sheet.html",
        {"trial": trial, "view": view, "paper": _paper(request)},
    )


@pharmacist
@require_POST
def unblinding_seen(request: HttpRequest, trial_id: int) -> HttpResponse:
    """The pharmacy acknowledges that the trial is unblinded."""
    user = current_user(request)
    trial = _blinded_trial(user, trial_id)
    try:
        kits.acknowledge_unblinding(by=user, trial=trial)
    except InvalidValue as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"Noted: the trial of patient {trial.patient.label} is unblinded."
        )
    if request.POST.get("back") == "kits":
        return redirect("pharmacy:trial_kits", trial.pk)
    return redirect("pharmacy:queue")
