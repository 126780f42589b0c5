"""The pharmacist's pages: the queue of prescriptions to prepare, dispensing (and correcting a
dispensing), and the order with its container labels to print or as PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods, require_safe

from ldntrial.core.errors import InvalidValue
from ldntrial.reports.pdf import html_to_pdf
from ldntrial.reports.prescription import label_with_lot
from ldntrial.web.access import current_user, in_clinic, role_required
from ldntrial.web.accounts.models import Role
from ldntrial.web.clinic import dispensing, kits, services
from ldntrial.web.clinic.forms import DispenseForm
from ldntrial.web.clinic.models import Dispensing, Prescription, PrescriptionStatus
from ldntrial.web.clinic.queries import today_for
from ldntrial.web.form_errors import show_errors

PAPERS = ("a4", "letter")
NOT_RECORDED = "not recorded"


@role_required(Role.PHARMACIST)
@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    prescriptions = Prescription.objects.filter(clinic=user.clinic).select_related("trial__patient")
    dispensed = (
        Dispensing.objects.filter(clinic=user.clinic, is_current=True)
        .select_related("prescription__trial__patient")
        .order_by("-dispensed_on", "-pk")[:50]
    )
    return render(
        request,
        "pharmacy/queue.html",
        {
            "to_prepare": prescriptions.filter(status=PrescriptionStatus.TO_PREPARE).order_by(
                "needed_by", "created_at"
            ),
            "dispensed": dispensed,
            "blinded": kits.blinded_trials_for_queue(user),
            "unblindings": kits.unblindings_to_acknowledge(user),
        },
    )


def _prescriber(item: Prescription) -> dict[str, str]:
    """Who prescribed (who issued it; else who started the trial), with their registration."""
    user = item.prescribed_by or item.trial.started_by or item.trial.created_by
    return {
        "name": user.display_name,
        "registration": user.registration_number.strip() or NOT_RECORDED,
    }


def _form(request: HttpRequest, item: Prescription, current: Dispensing | None) -> DispenseForm:
    items = [q["item"] for q in item.quantities]
    initial: dict[str, Any] = {}
    if current is not None:
        initial["dispensed_on"] = current.dispensed_on.isoformat()
        for n, lot in enumerate(current.lots):
            initial[f"lot_{n}"] = lot["lot_number"]
            initial[f"use_by_{n}"] = lot.get("use_by") or ""
    return DispenseForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        items=items,
        correcting=current is not None,
    )


@role_required(Role.PHARMACIST)
@require_http_methods(["GET", "POST"])
def prescription(request: HttpRequest, prescription_id: int) -> HttpResponse:
    user = current_user(request)
    item = in_clinic(Prescription, user, pk=prescription_id)
    services.log_read(by=user, patient=item.trial.patient, what=f"prescription {item.pk} viewed")
    history = list(item.dispensings.select_related("dispensed_by").order_by("-version"))
    current = next((d for d in history if d.is_current), None)
    form = _form(request, item, current)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            today = today_for(item.trial.patient)
            try:
                if current is None:
                    dispensing.record_dispensing(
                        by=user, prescription=item, today=today, **form.lots()
                    )
                else:
                    dispensing.correct_dispensing(
                        by=user,
                        prescription=item,
                        today=today,
                        reason=form.cleaned_data.get("reason") or "",
                        **form.lots(),
                    )
            except InvalidValue as error:
                show_errors(form, error)
            else:
                return redirect("pharmacy:queue" if current is None else request.path)
    return render(
        request,
        "pharmacy/prescription.html",
        {
            "item": item,
            "form": form,
            "current": current,
            "history": history,
            "prescriber": _prescriber(item),
        },
        status=status,
    )


def _printable(request: HttpRequest, prescription_id: int) -> tuple[Prescription, dict[str, Any]]:
    user = current_user(request)
    item = in_clinic(Prescription, user, pk=prescription_id)
    services.log_read(by=user, patient=item.trial.patient, what=f"prescription {item.pk} printed")
    paper = request.GET.get("paper", "a4")
    current = item.dispensings.filter(is_current=True).first()
    lots = current.lots if current is not None else []
    return item, {
        "item": item,
        "paper": paper if paper in PAPERS else "a4",
        "prescriber": _prescriber(item),
        "current": current,
        "labels": [label_with_lot(label, lots) for label in item.labels],
    }


@role_required(Role.PHARMACIST)
@require_safe
def prescription_print(request: HttpRequest, prescription_id: int) -> HttpResponse:
    """The order and its labels on one page for the browser's print dialog (print.css)."""
    _, context = _printable(request, prescription_id)
    return render(request, "pharmacy/print.html", context)


@role_required(Role.PHARMACIST)
@require_safe
def prescription_pdf(request: HttpRequest, prescription_id: int) -> HttpResponse:
    """The same page through WeasyPrint, given the stylesheet (it has no static server)."""
    item, context = _printable(request, prescription_id)
    css_path = finders.find("ldntrial/print.css")
    css = Path(str(css_path)).read_text(encoding="utf-8") if css_path else ""
    html = render_to_string("pharmacy/print.html", context | {"for_pdf": True}, request)
    response = HttpResponse(html_to_pdf(html, css=css), content_type="application/pdf")
    name = f"prescription-{item.pk}-{context['paper']}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
