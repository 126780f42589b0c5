"""The patient's pages in a blinded trial: which blinded period it is, in words that are the
same whatever the period holds, and the end-of-period questions (which do you think you took,
and the PGIC for the period), asked from each period's last day until they are answered.

The periods and the open titration before them are those of the protocol version in effect
(``trial.protocol()``, as ``clinic.blinded`` reads them): an amendment in the open titration
moves the periods with the tolerated dose.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from ldntrial.core.errors import FieldErrors, InvalidValue
from ldntrial.core.trial.blinded_instructions import (
    PeriodInstruction,
    instruction_on,
    period_instructions,
)
from ldntrial.core.trial.kits import open_titration
from ldntrial.core.trial.protocol import Protocol
from ldntrial.web.access import current_user, own_active_trial, role_required
from ldntrial.web.accounts.models import Role
from ldntrial.web.clinic import blinded, queries
from ldntrial.web.clinic.forms_blinded import PeriodReportForm
from ldntrial.web.clinic.models import PeriodReport, Trial
from ldntrial.web.form_errors import show_errors


def today_context(
    trial: Trial, protocol: Protocol, now: dt.date, *, report_form: PeriodReportForm | None
) -> dict[str, Any]:
    """What the today page adds for a blinded trial (nothing for an open-label one): today's
    period, the plan from today with the blinded periods in neutral words, and a form for each
    period whose questions are due. ``report_form`` is a form sent back with its errors."""
    if not protocol.is_blinded:
        return {}
    instruction = instruction_on(protocol, now)
    titration = open_titration(protocol)
    forms = [
        report_form
        if report_form is not None and report_form.period.number == period.number
        else PeriodReportForm(period=period)
        for period in blinded.periods_to_report(trial, now)
    ]
    return {
        "blinded": True,
        "blinded_today": instruction,
        # Inside a blinded period the dose is the kit's, never a dose in mg.
        **({"dose_today": None} if instruction is not None else {}),
        "plan": [p for p in titration.periods() if p.last >= now] if titration else [],
        "blinded_plan": [i for i in period_instructions(protocol) if i.period.last >= now],
        "report_forms": forms,
    }


def diary_instruction(trial: Trial, day: dt.date) -> PeriodInstruction | None:
    """The blinded period of a diary day (None in an open-label trial or outside the periods)."""
    protocol = trial.protocol()
    return instruction_on(protocol, day) if protocol.is_blinded else None


@role_required(Role.PATIENT)
@require_POST
def period_report(request: HttpRequest, period: int) -> HttpResponse:
    """The patient's answers at the end of one period; they stand once given."""
    from ldntrial.web.clinic.views_patient import today_page

    user = current_user(request)
    trial = own_active_trial(user)
    if trial is None:
        raise Http404
    now = queries.today_for(trial.patient)
    chosen = next((p for p in trial.protocol().periods() if p.number == period), None)
    form = PeriodReportForm(request.POST, period=chosen) if chosen is not None else None
    sent = form.cleaned_data if form is not None and form.is_valid() else {}
    try:
        blinded.record_period_report(
            by=user,
            trial=trial,
            period=period,
            guess=str(sent.get("guess", "")),
            pgic=str(sent.get("pgic", "")),
            today=now,
        )
    except FieldErrors as error:
        if form is None:  # the core names the period first; kept for safety
            return today_page(request, refusal=str(error), status=400)
        show_errors(form, error)
        return today_page(request, report_form=form, status=400)
    except InvalidValue as error:
        answered = PeriodReport.objects.filter(trial=trial, period=period).exists()
        return today_page(request, refusal=str(error), status=409 if answered else 400)
    messages.success(request, f"Thank you: your answers about period {period} are saved.")
    return redirect("patient:today")
