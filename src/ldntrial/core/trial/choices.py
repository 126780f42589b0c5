"""Designing a protocol from a clinician's choices as typed (CLI options or a web form).

Both front ends call :func:`design_from_choices`, so a value refused on the command line is
refused in the form with the same message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from ldntrial.core.conditions import ConditionCatalogue
from ldntrial.core.doses import Dose
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.blinded import BlindedDesign
from ldntrial.core.trial.compounding import Capsules, Formulation, default_capsules, oral_liquid
from ldntrial.core.trial.design import DEFAULT_METRICS, default_plan, design_protocol
from ldntrial.core.trial.drug import LdnProfile, Timing
from ldntrial.core.trial.instruments import InstrumentCatalogue
from ldntrial.core.trial.protocol import (
    AnalysisSettings,
    CriterionKind,
    Protocol,
    SuccessCriterion,
    TitrationHandling,
)
from ldntrial.core.trial.titration import DoseStep, PlanWarning, TitrationPlan, parse_warning_code
from ldntrial.core.trial.visit_measures import Pgic


@dataclass(frozen=True)
class PlanChoices:
    condition: str
    start_date: dt.date
    time_zone: str
    baseline_days: int | None = None
    # Left as None, the titration follows the LDN profile's usual regimen (default_plan).
    start_dose: str | None = None
    step: str | None = None
    interval_days: int | None = None
    target: str | None = None
    timing: str | None = None
    custom_steps: tuple[DoseStep, ...] = ()
    reassessment_date: dt.date | None = None
    reassessment_override: str | None = None
    metrics: tuple[str, ...] = DEFAULT_METRICS
    primary_metric: str = "pain"
    success_relative: float | None = None
    success_points: float | None = None
    success_probability: float | None = None
    pgic_at_least: str | None = None  # a PGIC co-criterion, e.g. much_improved
    titration: str = TitrationHandling.EXCLUDE.value
    run_in_days: int = 0
    trend: bool = False
    weekly: bool = True
    formulation: str = "capsules"
    strengths: tuple[str, ...] = ()
    concentration: str = "1"
    overage_percent: int | None = None
    dose_times: Mapping[Timing, dt.time] = field(default_factory=dict)
    allow: tuple[str, ...] = ()
    # A blinded n-of-1 design (None: open label), and the commitment to its sealed allocation.
    blinded: BlindedDesign | None = None
    allocation_commitment: str | None = None


def design_from_choices(
    choices: PlanChoices,
    *,
    profile: LdnProfile,
    instruments: InstrumentCatalogue,
    conditions: ConditionCatalogue,
) -> tuple[Protocol, tuple[PlanWarning, ...]]:
    usual = default_plan(profile)
    plan = (
        None
        if choices.custom_steps
        else TitrationPlan.of(
            start=choices.start_dose or usual.start_dose.text,
            step=choices.step or usual.step_dose.text,
            interval_days=(
                usual.interval_days if choices.interval_days is None else choices.interval_days
            ),
            target=choices.target or usual.target_dose.text,
            timing=choices.timing or usual.timing,
        )
    )
    return design_protocol(
        condition=choices.condition,
        start_date=choices.start_date,
        profile=profile,
        instruments=instruments,
        conditions=conditions,
        plan=plan,
        custom_steps=choices.custom_steps or None,
        baseline_days=choices.baseline_days,
        reassessment_date=choices.reassessment_date,
        reassessment_override=choices.reassessment_override or None,
        metrics=choices.metrics or DEFAULT_METRICS,
        primary_metric=choices.primary_metric,
        success=success_criterion(choices, profile),
        formulation=formulation(choices, profile),
        overage_percent=choices.overage_percent,
        time_zone=choices.time_zone,
        dose_times=choices.dose_times,
        accept=[parse_warning_code(code) for code in choices.allow],
        analysis=AnalysisSettings(
            titration=TitrationHandling.parse(choices.titration),
            trend=choices.trend,
            weekly=choices.weekly,
            run_in_days=choices.run_in_days,
        ),
        blinded=choices.blinded,
        allocation_commitment=choices.allocation_commitment,
    )


def success_criterion(choices: PlanChoices, profile: LdnProfile) -> SuccessCriterion | None:
    """The criterion the choices fix, or None for the profile's default."""
    relative, points, probability = (
        choices.success_relative,
        choices.success_points,
        choices.success_probability,
    )
    pgic = None if not choices.pgic_at_least else Pgic.parse(choices.pgic_at_least)
    if relative is not None and points is not None:
        raise InvalidValue("give either a relative or an absolute improvement, not both")
    if relative is None and points is None and probability is None and pgic is None:
        return None
    if points is not None:
        kind, threshold = CriterionKind.ABSOLUTE_IMPROVEMENT, points
    else:
        kind = CriterionKind.RELATIVE_IMPROVEMENT
        threshold = profile.success_relative_fall if relative is None else relative
    return SuccessCriterion(
        choices.primary_metric,
        kind,
        threshold,
        profile.success_probability if probability is None else probability,
        pgic_at_least=pgic,
    )


def formulation(choices: PlanChoices, profile: LdnProfile) -> Formulation:
    if choices.formulation == "capsules":
        if not choices.strengths:
            return default_capsules(profile)
        strengths = tuple(Dose(s) for s in choices.strengths)
        return Capsules(strengths, profile.capsule_beyond_use_days)
    if choices.formulation in ("liquid", "oral_liquid"):
        try:
            concentration = Decimal(choices.concentration)
        except InvalidOperation:
            raise InvalidValue(
                f"concentration {choices.concentration!r} is not a number of mg/mL"
            ) from None
        return oral_liquid(concentration, profile)
    raise InvalidValue(f"formulation {choices.formulation!r} is not known: use capsules or liquid")
