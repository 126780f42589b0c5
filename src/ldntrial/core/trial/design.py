"""Designing a protocol and checking it against the LDN profile's clinical rules.

``design_protocol`` builds a draft from a plan (or a custom schedule) and the chosen metrics;
``check_protocol`` applies the rules every protocol must pass (baseline length, reassessment
window, doses studied, warnings accepted) when it is designed, revised or read back as a draft;
``revise_protocol`` changes a draft and checks it again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import fields, replace
from typing import Any

from ldntrial.core.conditions import ConditionCatalogue
from ldntrial.core.errors import InvalidValue, PlanRefused, ProtocolLocked
from ldntrial.core.trial.blinded import BlindedDesign
from ldntrial.core.trial.compounding import Formulation, default_capsules
from ldntrial.core.trial.drug import LdnProfile, Timing
from ldntrial.core.trial.instruments import InstrumentCatalogue
from ldntrial.core.trial.protocol import (
    DEFAULT_DIARY_BACKFILL_DAYS,
    AnalysisSettings,
    CriterionKind,
    Design,
    Protocol,
    SuccessCriterion,
    utc_text,
)
from ldntrial.core.trial.titration import (
    DoseStep,
    PlanWarning,
    TitrationPlan,
    TitrationSchedule,
    WarningCode,
    plan_titration,
    require_accepted,
    review_schedule,
)

DEFAULT_METRICS = ("pain", "sleep_quality", "function")
DEFAULT_REASSESSMENT_WEEKS = 12


# Checking against the profile.


def check_protocol(
    protocol: Protocol, profile: LdnProfile, *, plan_warnings: tuple[PlanWarning, ...] = ()
) -> tuple[PlanWarning, ...]:
    """Check the clinical rules; return the (accepted) warnings, or raise.

    Refusals come first; then every warning not accepted (including ``plan_warnings`` from the
    planner) is reported together.
    """
    if protocol.baseline_days < profile.minimum_baseline_days:
        raise PlanRefused(
            f"a baseline of {protocol.baseline_days} days is too short: it must be at least "
            f"{profile.minimum_baseline_days} days without the drug"
        )
    if protocol.baseline_days > 56:
        raise PlanRefused(
            f"a baseline of {protocol.baseline_days} days is longer than 8 weeks: use "
            f"{profile.minimum_baseline_days} to 56 days"
        )
    warnings = list(review_schedule(protocol.titration, profile))
    window = profile.reassessment_window_weeks
    days = (protocol.reassessment_date - protocol.first_dose_date).days
    if days < 7:
        raise PlanRefused(
            f"reassessment on {protocol.reassessment_date.isoformat()} leaves under a week of "
            "treatment: set it at least 1 week after the first dose"
        )
    if days > 52 * 7:
        raise PlanRefused(
            f"reassessment {days // 7} weeks after the first dose is too late: a time-limited "
            "trial reassesses within 52 weeks"
        )
    # A blinded trial's reassessment is the last day of its last period (fixed by the design).
    if not protocol.is_blinded and not window.low * 7 <= days <= window.high * 7:
        if protocol.reassessment_override is None:
            first, low, high = protocol.first_dose_date, window.low * 7, window.high * 7
            raise PlanRefused(
                f"reassessment on {protocol.reassessment_date.isoformat()} is {days / 7:.1f} weeks "
                f"after the first dose; it must fall in weeks {window} "
                f"({(first + dt.timedelta(days=low)).isoformat()} to "
                f"{(first + dt.timedelta(days=high)).isoformat()}), or give an override reason"
            )
        warnings.append(
            PlanWarning(
                WarningCode.REASSESSMENT_OUTSIDE_WINDOW,
                f"reassessment {days / 7:.1f} weeks after the first dose is outside weeks "
                f"{window} (override: {protocol.reassessment_override})",
            )
        )
    merged = {w.code: w for w in (*plan_warnings, *warnings)}
    return require_accepted(merged.values(), [*protocol.accepted_warnings, *_implicit(protocol)])


def revise_protocol(protocol: Protocol, *, profile: LdnProfile, **changes: Any) -> Protocol:
    """A draft with ``changes`` applied and checked again. A locked protocol refuses."""
    if protocol.locked_at is not None:
        names = ", ".join(sorted(changes)) or "nothing"
        raise ProtocolLocked(
            f"the protocol is locked (since {utc_text(protocol.locked_at)}) and cannot be "
            f"changed ({names}); create a new protocol instead"
        )
    unknown = set(changes) - {f.name for f in fields(protocol)}
    lock_fields = {"locked_at", "locked_fingerprint"} & set(changes)
    if unknown or lock_fields:
        names = ", ".join(sorted(unknown | lock_fields))
        raise InvalidValue(f"cannot revise {names}: lock a protocol with lock()")
    revised = replace(protocol, **changes)
    check_protocol(revised, profile)
    return revised


def _implicit(protocol: Protocol) -> tuple[WarningCode, ...]:
    # An override reason for the reassessment window is itself the explicit acceptance.
    if protocol.reassessment_override is not None:
        return (WarningCode.REASSESSMENT_OUTSIDE_WINDOW,)
    return ()


def design_protocol(
    *,
    condition: str,
    start_date: dt.date,
    profile: LdnProfile,
    instruments: InstrumentCatalogue,
    conditions: ConditionCatalogue,
    plan: TitrationPlan | None = None,
    custom_steps: Iterable[DoseStep] | None = None,
    baseline_days: int | None = None,
    reassessment_date: dt.date | None = None,
    reassessment_override: str | None = None,
    metrics: Iterable[str] = DEFAULT_METRICS,
    primary_metric: str = "pain",
    success: SuccessCriterion | None = None,
    formulation: Formulation | None = None,
    overage_percent: int | None = None,
    time_zone: str = "UTC",
    dose_times: Mapping[Timing, dt.time] | None = None,
    accept: Iterable[WarningCode] = (),
    diary_backfill_days: int = DEFAULT_DIARY_BACKFILL_DAYS,
    analysis: AnalysisSettings | None = None,
    blinded: BlindedDesign | None = None,
    allocation_commitment: str | None = None,
) -> tuple[Protocol, tuple[PlanWarning, ...]]:
    """Build and check a draft protocol. Returns it with the warnings that were accepted.

    With ``blinded``, the design is a blinded n-of-1 trial: the open titration reaches the
    tolerated (final) dose, and the blinded periods follow from that day; the reassessment is
    the last day of the last period (a ``reassessment_date`` must then be that day)."""
    conditions.get(condition)
    baseline = profile.default_baseline_days if baseline_days is None else baseline_days
    if isinstance(baseline, bool) or not isinstance(baseline, int):
        raise InvalidValue(f"baseline days must be a whole number, not {baseline!r}")
    first_dose = start_date + dt.timedelta(days=baseline)
    reassess = reassessment_date or first_dose + dt.timedelta(weeks=DEFAULT_REASSESSMENT_WEEKS)
    if blinded is not None and reassessment_date is None:
        reassess = _blinded_end(
            blinded, first_dose, plan or default_plan(profile), custom_steps, profile
        )
    if reassess <= first_dose:
        raise PlanRefused(
            f"reassessment on {reassess.isoformat()} is not after the first dose "
            f"({first_dose.isoformat()})"
        )
    plan_warnings: tuple[PlanWarning, ...] = ()
    if custom_steps is not None:
        steps = tuple(custom_steps)
        if not steps or steps[0].start != first_dose:
            raise InvalidValue(
                f"a custom schedule must start on the first dose day, {first_dose.isoformat()} "
                f"(the day after a {baseline}-day baseline)"
            )
        schedule = TitrationSchedule(steps, reassess)
    else:
        plan = plan or default_plan(profile)
        schedule, plan_warnings = plan_titration(
            plan, first_dose=first_dose, end=reassess, profile=profile
        )
    chosen = tuple(instruments.get(key) for key in dict.fromkeys(metrics))
    if primary_metric not in [m.key for m in chosen]:
        chosen = (instruments.get(primary_metric), *chosen)
    criterion = success or SuccessCriterion(
        primary_metric,
        CriterionKind.RELATIVE_IMPROVEMENT,
        profile.success_relative_fall,
        profile.success_probability,
    )
    protocol = Protocol(
        design=Design.OPEN_LABEL if blinded is None else Design.BLINDED_N_OF_1,
        condition=condition,
        start_date=start_date,
        baseline_days=baseline,
        titration=schedule,
        reassessment_date=reassess,
        metrics=chosen,
        primary_metric=primary_metric,
        success=criterion,
        formulation=formulation or default_capsules(profile),
        overage_percent=profile.default_overage_percent
        if overage_percent is None
        else overage_percent,
        time_zone=time_zone,
        dose_times={**profile.default_dose_time, **(dose_times or {})},
        accepted_warnings=tuple(accept),
        reassessment_override=reassessment_override,
        diary_backfill_days=diary_backfill_days,
        analysis=analysis or AnalysisSettings(),
        blinded=blinded,
        allocation_commitment=allocation_commitment,
    )
    return protocol, check_protocol(protocol, profile, plan_warnings=plan_warnings)


def _blinded_end(
    blinded: BlindedDesign,
    first_dose: dt.date,
    plan: TitrationPlan,
    custom_steps: Iterable[DoseStep] | None,
    profile: LdnProfile,
) -> dt.date:
    """The last day of the blinded periods: they start on the first day of the final dose."""
    if custom_steps is not None:
        steps = tuple(custom_steps)
        if not steps:
            raise InvalidValue("a custom schedule needs at least one step")
    else:  # the plan's own schedule, to a provisional end a year away
        provisional = first_dose + dt.timedelta(weeks=52)
        steps = plan_titration(plan, first_dose=first_dose, end=provisional, profile=profile)[
            0
        ].steps
    start = steps[-1].start
    for step in reversed(steps):
        if step.dose != steps[-1].dose:
            break
        start = step.start
    return start + dt.timedelta(days=blinded.days - 1)


def default_plan(profile: LdnProfile) -> TitrationPlan:
    """Start at the top of the usual start range, step by that amount every two weeks, to the
    usual target, at the usual timing."""
    start = profile.usual_start.high
    return TitrationPlan(
        start_dose=start,
        step_dose=start,
        interval_days=profile.usual_step_interval_days.high,
        target_dose=profile.usual_target,
        timing=profile.default_timing,
    )
