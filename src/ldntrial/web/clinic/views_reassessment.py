"""Reassessment: the report, the visit measures, the clinician's signed decision, the patient's
summary. Each request analyses the trial at most once (reassessment.assess, cached by state).

A blinded trial is analysed against placebo once it is unblinded (clinic.blinded_assessment);
before that its page shows no analysis and says to unblind first, signing is refused, and so is
its report: the allocation they would show is concealed."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ldntrial import data
from ldntrial.core.analysis.decision import Outcome, Rule
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.amendment import AmendmentKind
from ldntrial.core.trial.visit_measures import VisitKind
from ldntrial.core.trial.visits import open_visits
from ldntrial.reports.blinded_report import (
    BlindedReport,
    UnblindingMark,
    blinded_patient_summary_text,
    blinded_report_document,
    build_blinded_report,
)
from ldntrial.reports.pdf import html_to_pdf
from ldntrial.reports.trial_report import (
    AmendmentMark,
    Signature,
    TrialReport,
    build_report,
    patient_summary_text,
    report_document,
)
from ldntrial.web.access import (
    current_user,
    in_clinic,
    own_active_trial,
    own_trial,
    role_required,
)
from ldntrial.web.accounts.models import Role
from ldntrial.web.clinic import blinded, blinded_assessment, queries, reassessment, services
from ldntrial.web.clinic.blinded_assessment import BlindedAssessment
from ldntrial.web.clinic.forms import SignForm, VisitForm
from ldntrial.web.clinic.forms_lifecycle import AddendumForm, DecisionForm
from ldntrial.web.clinic.models import Reassessment, Trial, TrialStatus
from ldntrial.web.form_errors import show_errors

CLINIC_VISITS = [VisitKind.BASELINE, VisitKind.REASSESSMENT]


def _signature(trial: Trial, state: reassessment.TrialState) -> Signature | None:
    item = reassessment.latest(trial)
    return None if item is None else _as_signature(item, state)


def _as_signature(item: Reassessment, state: reassessment.TrialState | None) -> Signature:
    return Signature(
        signer=item.signed_by.username,
        signed_at=item.signed_at,
        final_outcome=Outcome(item.final_outcome),
        override_reason=item.override_reason,
        valid=reassessment.is_valid(item, state),
    )


def _report(trial: Trial) -> tuple[reassessment.Assessment, TrialReport, Signature | None]:
    assessment = reassessment.assess(trial)
    signature = _signature(trial, assessment.state)
    report = build_report(
        assessment.analysis,
        assessment.decision,
        assessment.observations,
        patient_label=trial.patient.label,
        condition_name=data.conditions().get(assessment.analysis.protocol.condition).name,
        signature=signature,
        amendments=_marks(trial),
    )
    return assessment, report, signature


def _blinded_report(
    trial: Trial,
) -> tuple[BlindedAssessment, BlindedReport, Signature | None] | None:
    """The report of an unblinded blinded trial (None while its allocation is concealed)."""
    assessment = blinded_assessment.assess_blinded(trial)
    if assessment is None:
        return None
    signature = _signature(trial, assessment.state)
    u = assessment.unblinding
    answers = assessment.blinded.answers
    report = build_blinded_report(
        assessment.analysis,
        assessment.decision,
        assessment.observations,
        assessment.blinded.allocation,
        UnblindingMark(
            early=u.is_early,
            on=u.unblinded_at.astimezone(ZoneInfo(trial.patient.time_zone)).date(),
            by=u.unblinded_by.username,
            reason=u.stated_reason,
        ),
        guesses={n: a.guess for n, a in answers.items()},
        impressions={n: a.pgic for n, a in answers.items()},
        patient_label=trial.patient.label,
        condition_name=data.conditions().get(assessment.analysis.protocol.condition).name,
        signature=signature,
        amendments=_marks(trial),
    )
    return assessment, report, signature


def _still_blinded(trial: Trial) -> bool:
    return trial.protocol().is_blinded and blinded.revealed_allocation(trial) is None


def _marks(trial: Trial) -> list[AmendmentMark]:
    return [
        AmendmentMark(
            version=a.version,
            on=a.effective_on,
            what=AmendmentKind(a.kind).label,
            reason=a.clinical_reason,
            fingerprint=a.fingerprint,
            parent_fingerprint=a.parent_fingerprint,
        )
        for a in trial.amendments.all()
    ]


def _active_trial(request: HttpRequest, trial_id: int) -> Trial:
    trial = in_clinic(Trial, current_user(request), pk=trial_id)
    if trial.status != TrialStatus.ACTIVE:
        raise Http404
    return trial


def _started_trial(request: HttpRequest, trial_id: int) -> Trial:
    """A trial past its draft: active, in follow-up or stopped (its report and history stay)."""
    trial = in_clinic(Trial, current_user(request), pk=trial_id)
    if trial.status == TrialStatus.DRAFT:
        raise Http404
    return trial


def _page(
    request: HttpRequest,
    trial: Trial,
    *,
    form: SignForm | None = None,
    visit_form: VisitForm | None = None,
    status: int = 200,
    refusal: str = "",
) -> HttpResponse:
    is_blinded = trial.protocol().is_blinded
    assessment: reassessment.Assessment | BlindedAssessment | None = None
    report: TrialReport | BlindedReport | None = None
    signature: Signature | None = None
    if not is_blinded:
        assessment, report, signature = _report(trial)
    elif (shown := _blinded_report(trial)) is not None:
        assessment, report, signature = shown
    signed = reassessment.signed_for_version(trial)
    if form is None:
        initial = {} if assessment is None else {"final_outcome": assessment.decision.outcome.value}
        form = AddendumForm(initial=initial) if signed else DecisionForm(initial=initial)
    history = [
        {"item": item, "valid": reassessment.is_valid(item)} for item in reassessment.history(trial)
    ]
    if visit_form is None:
        today = queries.today_for(trial.patient)
        visit_form = VisitForm(
            kinds=CLINIC_VISITS,
            clinician=True,
            initial={"day": today, "kind": VisitKind.REASSESSMENT.value},
        )
    return render(
        request,
        "clinic/reassessment.html",
        {
            "trial": trial,
            "report": report,
            "form": form,
            "visit_form": visit_form,
            "signature": signature,
            "signed": signed,
            "history": history,
            "insufficient": assessment is not None
            and assessment.decision.rule is Rule.INSUFFICIENT_DATA,
            "active": trial.status == TrialStatus.ACTIVE,
            "blinded": is_blinded,
            "still_blinded": is_blinded and assessment is None,
            "still_blinded_text": blinded_assessment.STILL_BLINDED,
            "refusal": refusal,
        },
        status=status,
    )


@role_required(Role.CLINICIAN)
@require_http_methods(["GET", "POST"])
def reassessment_page(request: HttpRequest, trial_id: int) -> HttpResponse:
    user = current_user(request)
    trial = _started_trial(request, trial_id)
    services.log_read(by=user, patient=trial.patient, what=f"reassessment of trial {trial.pk}")
    if request.method == "GET":
        return _page(request, trial)
    if _still_blinded(trial):  # the service refuses too; nothing to sign before unblinding
        return _page(request, trial, refusal=blinded_assessment.STILL_BLINDED, status=400)
    addendum = "addendum" in request.POST
    form: DecisionForm = AddendumForm(request.POST) if addendum else DecisionForm(request.POST)
    if form.is_valid():
        c = form.cleaned_data
        sign = reassessment.sign_addendum if addendum else reassessment.sign
        try:
            sign(
                by=user,
                trial=trial,
                final=Outcome(c["final_outcome"]),
                reason=c["override_reason"],
                password=c["password"],
                request=request,
                follow_up_on=c.get("follow_up_on"),
                stop_instruction=c["stop_instruction"],
                data_override=c["data_override"],
            )
        except InvalidValue as error:
            show_errors(form, error)
        else:
            if Outcome(c["final_outcome"]) is Outcome.ADJUST:
                return redirect(f"{reverse('clinic:trial', args=[trial.pk])}#amend")
            return redirect("clinic:reassessment", trial.pk)
    return _page(request, trial, form=form, status=400)


@role_required(Role.CLINICIAN)
@require_POST
def visit_record(request: HttpRequest, trial_id: int) -> HttpResponse:
    """The clinician records the PEG/PGIC the patient gave at a visit."""
    user = current_user(request)
    trial = _active_trial(request, trial_id)
    form = VisitForm(request.POST, kinds=CLINIC_VISITS, clinician=True)
    if form.is_valid():
        c = form.cleaned_data
        try:
            services.record_visit(
                by=user,
                trial=trial,
                kind=c["kind"],
                day=c["day"],
                today=queries.today_for(trial.patient),
                peg=form.peg(),
                pgic=c.get("pgic") or None,
                correction_reason=c["correction_reason"],
            )
        except InvalidValue as error:
            show_errors(form, error, prefixes=("", "peg_"))
        else:
            return redirect("clinic:reassessment", trial.pk)
    return _page(request, trial, visit_form=form, status=400)


@role_required(Role.CLINICIAN)
@require_safe
def report_pdf(request: HttpRequest, trial_id: int) -> HttpResponse:
    user = current_user(request)
    trial = _started_trial(request, trial_id)
    if trial.protocol().is_blinded:
        shown = _blinded_report(trial)
        if shown is None:
            return _page(
                request, trial, refusal=blinded_assessment.REPORT_STILL_BLINDED, status=409
            )
        services.log_read(by=user, patient=trial.patient, what=f"report of trial {trial.pk}")
        document = blinded_report_document(shown[1])
    else:
        services.log_read(by=user, patient=trial.patient, what=f"report of trial {trial.pk}")
        document = report_document(_report(trial)[1])
    response = HttpResponse(html_to_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="ldn-trial-{trial.pk}-report.pdf"'
    return response


@role_required(Role.PATIENT)
@require_safe
def patient_summary(request: HttpRequest) -> HttpResponse:
    trial = own_trial(current_user(request))
    if trial is None:
        raise Http404
    if trial.protocol().is_blinded:
        return _blinded_summary(request, trial)
    assessment = reassessment.assess(trial)
    item = reassessment.latest(trial)
    lines: list[str] = []
    if item is not None and reassessment.is_valid(item, assessment.state):
        lines = patient_summary_text(
            assessment.analysis,
            Outcome(item.final_outcome),
            follow_up_on=item.follow_up_on,
            stop_instruction=item.stop_instruction,
        )
    return render(request, "patient/summary.html", {"lines": lines, "signed": bool(lines)})


def _blinded_summary(request: HttpRequest, trial: Trial) -> HttpResponse:
    """After the unblinding and a signed decision: whether LDN did better than the identical
    placebo, in plain words (core.analysis.blinded_words); before, that it will appear."""
    assessment = blinded_assessment.assess_blinded(trial)
    item = reassessment.latest(trial)
    lines: list[str] = []
    if (
        assessment is not None
        and item is not None
        and reassessment.is_valid(item, assessment.state)
    ):
        lines = blinded_patient_summary_text(
            assessment.analysis,
            Outcome(item.final_outcome),
            unblinded_early=assessment.unblinded_early,
            follow_up_on=item.follow_up_on,
            stop_instruction=item.stop_instruction,
        )
    context = {"lines": lines, "signed": bool(lines), "blinded": True}
    return render(request, "patient/summary.html", context)


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def patient_visit(request: HttpRequest, kind: str) -> HttpResponse:
    """The patient answers the PEG (and at the end the PGIC) in their own app."""
    user = current_user(request)
    trial = own_active_trial(user)
    if trial is None:
        raise Http404
    try:
        visit = VisitKind(kind)
    except ValueError:
        raise Http404 from None
    today = queries.today_for(trial.patient)
    if visit not in open_visits(trial.protocol(), today=today):
        raise Http404
    form = VisitForm(request.POST or None, kinds=[visit], clinician=False)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            c = form.cleaned_data
            try:
                services.record_visit(
                    by=user,
                    trial=trial,
                    kind=visit.value,
                    day=today,
                    today=today,
                    peg=form.peg(),
                    pgic=c.get("pgic") or None,
                    correction_reason=c["correction_reason"],
                )
            except InvalidValue as error:
                show_errors(form, error, prefixes=("", "peg_"))
            else:
                return redirect("patient:today")
    return render(request, "patient/visit.html", {"form": form, "kind": visit}, status=status)
