"""The trial form turned into a protocol: the clinician's choices through the core's design,
with each refusal put on its field (used by the new-trial and draft-edit pages)."""

from __future__ import annotations

import dataclasses
from typing import Any

from ldntrial import data
from ldntrial.core import bounds
from ldntrial.core.errors import InvalidValue, LdnTrialError, PlanRefused, WarningsNotAccepted
from ldntrial.core.screening.intervals import check_first_dose
from ldntrial.core.trial.blinded import (
    DEFAULT_PAIRS,
    DEFAULT_PERIOD_DAYS,
    DEFAULT_RUN_IN_DAYS,
    BlindedDesign,
)
from ldntrial.core.trial.choices import PlanChoices, design_from_choices
from ldntrial.core.trial.protocol import Design, Protocol
from ldntrial.web.clinic import queries
from ldntrial.web.clinic.forms import TrialForm
from ldntrial.web.clinic.models import Patient
from ldntrial.web.form_errors import show_errors


def designed(form: TrialForm, patient: Patient, limits: Any) -> Protocol | None:
    """The protocol the submitted trial form describes, or None with the form's errors set."""
    if not (form.is_valid() and _within_bounds(form, patient)):
        return None
    c = form.cleaned_data
    choices = PlanChoices(
        condition=c["condition"],
        start_date=c["start_date"],
        time_zone=patient.time_zone,
        baseline_days=c["baseline_days"],
        start_dose=c["start_dose"],
        step=c["step"],
        interval_days=c["interval_days"],
        target=c["target"],
        timing=c["timing"],
        reassessment_date=c["reassessment_date"],
        reassessment_override=c["reassessment_override"] or None,
        metrics=tuple(c["metrics"]),
        primary_metric=c["primary_metric"],
        success_relative=c["success_percent"] / 100,
        success_probability=float(c["success_probability"]),
        pgic_at_least=c["pgic_at_least"] or None,
        titration=c["titration"],
        run_in_days=c["run_in_days"],
        trend=c["trend"],
        weekly=c["weekly"],
        formulation=c["formulation"],
        concentration=c["concentration"],
        allow=tuple(a for a in c["allow"] if a not in _BOUND_WARNINGS),
    )
    try:
        if c["design"] == Design.BLINDED_N_OF_1.value:
            choices = dataclasses.replace(
                choices,
                blinded=BlindedDesign(
                    pairs=_or(c["pairs"], DEFAULT_PAIRS),
                    period_days=_or(c["period_days"], DEFAULT_PERIOD_DAYS),
                    run_in_days=_or(c["period_run_in"], DEFAULT_RUN_IN_DAYS),
                    no_capsule=c["no_capsule"],
                ),
            )
        protocol, _ = design_from_choices(
            choices,
            profile=data.ldn_profile(),
            instruments=data.instruments(),
            conditions=data.conditions(),
        )
    except WarningsNotAccepted as error:
        form.add_error("allow", f"{error}: tick it below ({', '.join(error.codes)})")
    except LdnTrialError as error:
        form.add_error(None, str(error))
    else:
        past = bounds.first_dose_warning(protocol.first_dose_date, today=queries.today_for(patient))
        try:
            check_first_dose(limits, protocol.first_dose_date)
        except PlanRefused as error:
            form.add_error("start_date", str(error))
        else:
            if past and bounds.BoundWarning.FIRST_DOSE_IN_PAST.value not in c["allow"]:
                form.add_error("allow", past)
                return None
            return protocol
    return None


_BOUND_WARNINGS = {w.value for w in bounds.BoundWarning}


def _within_bounds(form: TrialForm, patient: Patient) -> bool:
    """The typed dates within their plausible range (ldntrial.core.bounds), before any date
    arithmetic; each refusal is put on its field."""
    today = queries.today_for(patient)
    c = form.cleaned_data
    try:
        bounds.check_trial_start(c["start_date"], today=today)
        if c["reassessment_date"] is not None:
            bounds.REASSESSMENT.check(
                c["reassessment_date"], today=today, field="reassessment_date"
            )
    except InvalidValue as error:
        show_errors(form, error)
        return False
    return True


def _or(value: int | None, default: int) -> int:
    return default if value is None else value
