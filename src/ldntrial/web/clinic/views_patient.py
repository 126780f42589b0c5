"""The patient's pages: today's diary, filling or correcting a day, the chart, the calendar
(blinded trials add their periods and end-of-period questions: views_periods)."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from ldntrial import data
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.blinded_instructions import PeriodInstruction, period_instructions
from ldntrial.core.trial.diary import check_day_open, is_dosing_day, open_days
from ldntrial.core.trial.kits import open_titration
from ldntrial.core.trial.protocol import Protocol
from ldntrial.core.trial.titration import TitrationSchedule
from ldntrial.core.trial.visits import open_visits
from ldntrial.interop.ics import dosing_calendar
from ldntrial.web.access import (
    current_user,
    own_active_trial,
    own_patient,
    own_trial,
    role_required,
)
from ldntrial.web.accounts.context import SAVED_DRAFT
from ldntrial.web.accounts.models import Role
from ldntrial.web.clinic import queries, services, views_periods
from ldntrial.web.clinic.forms import DiaryForm, fresh_key
from ldntrial.web.clinic.forms_blinded import PeriodReportForm
from ldntrial.web.clinic.models import DiaryEntry, Trial, TrialStatus, VisitMeasure
from ldntrial.web.form_errors import show_errors

patient_only = role_required(Role.PATIENT)


@patient_only
@require_safe
def today(request: HttpRequest) -> HttpResponse:
    return today_page(request)


def today_page(
    request: HttpRequest,
    *,
    report_form: PeriodReportForm | None = None,
    refusal: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """The today page; after a refused end-of-period answer, with its form or its message."""
    user = current_user(request)
    patient = own_patient(user)
    trial = own_active_trial(user)
    latest = trial or own_trial(user)
    stopped = latest is not None and latest.status == TrialStatus.STOPPED
    evidence = data.evidence_context()
    context: dict[str, object] = {
        "patient": patient,
        "trial": trial,
        "ended": latest if trial is None else None,
        "opioid_warning": (evidence.opioid_warning_after_stop if stopped else None)
        or evidence.opioid_warning,
    }
    if trial is not None:
        protocol = trial.protocol()
        now = queries.today_for(patient)
        filled = {e.day for e in queries.current_entries(trial)}
        step = protocol.titration.step_on(now)
        recorded = set(
            VisitMeasure.objects.filter(trial=trial, is_current=True).values_list("kind", flat=True)
        )
        context |= {
            "visits": [
                {"kind": kind, "done": kind.value in recorded}
                for kind in open_visits(protocol, today=now)
            ],
            "protocol": protocol,
            "today": now,
            "days": [{"day": d, "filled": d in filled} for d in open_days(protocol, today=now)],
            "dose_today": step,
            "plan": [p for p in protocol.titration.periods() if p.last >= now],
            "amended_on": trial.amendments.values_list("effective_on", flat=True).last(),
            "starts_in": (protocol.start_date - now).days if now < protocol.start_date else 0,
        }
        context |= views_periods.today_context(trial, protocol, now, report_form=report_form)
    context["report_refused"] = refusal
    return render(request, "patient/today.html", context, status=status)


@patient_only
@require_http_methods(["GET", "POST"])
def diary_day(request: HttpRequest, day: str) -> HttpResponse:
    user = current_user(request)
    patient = own_patient(user)
    trial = own_active_trial(user)
    if trial is None:
        raise Http404
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise Http404 from None
    protocol = trial.protocol()
    now = queries.today_for(patient)
    current = DiaryEntry.objects.filter(trial=trial, day=date, is_current=True).first()
    dosing = is_dosing_day(protocol, date)
    blinded_period = views_periods.diary_instruction(trial, date)
    closed = None
    try:
        check_day_open(protocol, date, today=now)
    except InvalidValue as error:
        closed = str(error)
    initial: dict[str, object] = {"client_key": fresh_key()}
    if current is not None:
        initial |= {f"score_{k}": v for k, v in current.scores.items()}
        initial |= {
            "dose_taken": None
            if current.dose_taken is None
            else ("yes" if current.dose_taken else "no"),
            "dose_time": current.dose_time,
            "side_effects": current.side_effects,
            "side_effect_other": current.side_effect_other,
            "note": current.note,
        }
    form = DiaryForm(request.POST or None, initial=initial, protocol=protocol, dosing=dosing)
    status = 200
    if request.method == "POST" and closed is None:
        if form.is_valid():
            c = form.cleaned_data
            try:
                services.submit_diary(
                    by=user,
                    trial=trial,
                    day=date,
                    today=now,
                    client_key=c["client_key"],
                    scores=form.scores(),
                    dose_taken=c.get("dose_taken"),
                    dose_time=c.get("dose_time"),
                    side_effects=c["side_effects"],
                    side_effect_other=c["side_effect_other"],
                    note=c["note"],
                    correction_reason=c["correction_reason"],
                )
            except InvalidValue as error:
                show_errors(form, error, prefixes=("", "score_"))
            else:
                request.session[SAVED_DRAFT] = _draft_key(trial.pk, date)
                return redirect("patient:today")
        status = 400
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "patient/diary_day.html",
        {
            "form": form,
            "day": date,
            "current": current,
            "closed": closed,
            "dosing": dosing,
            "blinded_period": blinded_period,
            "dose": None if blinded_period else protocol.titration.step_on(date),
            "draft_key": _draft_key(trial.pk, date),
        },
        status=status,
    )


def _draft_key(trial_id: int, day: dt.date) -> str:
    """Where the browser keeps the unsent answers of one diary day (static/ldntrial/forms.js)."""
    return f"ldntrial.diary.{trial_id}.{day.isoformat()}"


@patient_only
@require_safe
def chart(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    trial = own_active_trial(user)
    if trial is None:
        raise Http404
    protocol = trial.protocol()
    return render(
        request,
        "patient/chart.html",
        {
            "charts": queries.charts(trial, protocol),
            "protocol": protocol,
            "blinded": protocol.is_blinded,
        },
    )


def _calendar_parts(
    trial: Trial, protocol: Protocol
) -> tuple[TitrationSchedule | None, tuple[PeriodInstruction, ...]]:
    """The dose steps of the calendar and, in a blinded trial, its periods: the open titration
    keeps its doses, the blinded periods are named by number and kit, never by arm."""
    if not protocol.is_blinded:
        return protocol.titration, ()
    return open_titration(protocol), period_instructions(trial.protocol())


@patient_only
@require_safe
def calendar(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    trial = own_active_trial(user)
    if trial is None:
        raise Http404
    protocol = trial.protocol()
    schedule, periods = _calendar_parts(trial, protocol)
    body = dosing_calendar(
        schedule,
        blinded_periods=periods,
        formulation=protocol.formulation,
        time_zone=protocol.time_zone,
        dose_times=protocol.dose_times,
        calendar_id=f"trial-{trial.pk}",
        created=timezone.now(),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="dosing-calendar.ics"'
    return response
