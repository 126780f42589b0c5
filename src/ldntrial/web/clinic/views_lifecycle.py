"""Amending a started trial from its page (ldntrial.web.clinic.amendments)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from ldntrial.core.errors import InvalidValue, LdnTrialError, WarningsNotAccepted
from ldntrial.web.access import current_user, in_clinic, role_required
from ldntrial.web.accounts.models import Role
from ldntrial.web.clinic import amendments, queries
from ldntrial.web.clinic.forms_lifecycle import AmendmentForm
from ldntrial.web.clinic.models import Trial, TrialStatus
from ldntrial.web.form_errors import show_errors


def amendment_context(trial: Trial, form: AmendmentForm | None = None) -> dict[str, Any]:
    """What the trial page shows of the trial's versions, and the amendment form."""
    if form is None and trial.status == TrialStatus.ACTIVE:
        form = AmendmentForm(initial={"effective_on": queries.today_for(trial.patient)})
    return {
        # A refused submission is shown with its errors, even on a trial no longer active.
        "amend_form": form
        if trial.status == TrialStatus.ACTIVE or (form is not None and form.is_bound)
        else None,
        "amendments": list(trial.amendments.select_related("created_by")),
        "original_locked_at": trial.original_protocol().locked_at if trial.version else None,
    }


@role_required(Role.CLINICIAN)
@require_POST
def trial_amend(request: HttpRequest, trial_id: int) -> HttpResponse:
    user = current_user(request)
    trial = in_clinic(Trial, user, pk=trial_id)
    form = AmendmentForm(request.POST)
    if form.is_valid():
        try:
            row = amendments.amend_trial(
                by=user, trial=trial, amendment=form.amendment(), accepted=form.accepted()
            )
        except WarningsNotAccepted as error:
            form.add_error(
                "accept_warnings",
                f"{error} — tick the ones you accept: {', '.join(error.codes)}",
            )
        except InvalidValue as error:
            show_errors(form, error)
        except LdnTrialError as error:  # a plan refused (e.g. no dose below the first)
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"Amendment {row.version} saved: a new prescription is on the pharmacy queue and "
                "the patient's calendar follows the new schedule.",
            )
            return redirect(f"{reverse('clinic:trial', args=[trial.pk])}#amendments")
    from ldntrial.web.clinic.views_clinician import trial_page

    return trial_page(request, trial, amend_form=form, status=400)
