"""The pharmacist's pages: the queue of prescriptions to prepare, and marking them dispensed."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from ldntrial.core.errors import InvalidValue
from ldntrial.web.access import current_user, in_clinic, role_required
from ldntrial.web.accounts.models import Role
from ldntrial.web.clinic import services
from ldntrial.web.clinic.forms import DispenseForm
from ldntrial.web.clinic.models import Prescription, PrescriptionStatus
from ldntrial.web.form_errors import show_errors


@role_required(Role.PHARMACIST)
@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    prescriptions = Prescription.objects.filter(clinic=user.clinic).select_related("trial__patient")
    return render(
        request,
        "pharmacy/queue.html",
        {
            "to_prepare": prescriptions.filter(status=PrescriptionStatus.TO_PREPARE).order_by(
                "created_at"
            ),
            "dispensed": prescriptions.filter(status=PrescriptionStatus.DISPENSED).order_by(
                "-dispensed_on"
            )[:50],
        },
    )


@role_required(Role.PHARMACIST)
@require_http_methods(["GET", "POST"])
def prescription(request: HttpRequest, prescription_id: int) -> HttpResponse:
    user = current_user(request)
    item = in_clinic(Prescription, user, pk=prescription_id)
    services.log_read(by=user, patient=item.trial.patient, what=f"prescription {item.pk} viewed")
    form = DispenseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.mark_dispensed(by=user, prescription=item, **form.cleaned_data)
            except InvalidValue as error:
                show_errors(form, error)
            else:
                return redirect("pharmacy:queue")
    return render(
        request, "pharmacy/prescription.html", {"item": item, "form": form}, status=status
    )
