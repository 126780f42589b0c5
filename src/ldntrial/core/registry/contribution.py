"""What one trial contributes to the registry: its patient summaries, from its own analysis.

``summaries_of_trial`` turns an open-label trial's protocol, its diary (as analysed) and, when it
has an outcome, its :class:`~ldntrial.core.analysis.trial.TrialAnalysis` into one
:class:`~ldntrial.core.registry.summaries.PatientSummary` per metric the protocol measures. The
caller says how the trial stands (:class:`Completion`, with a reason when stopped early) and
gives the pseudonymous patient key; nothing else about the patient enters. Blinded trials
contribute LDN against placebo from their blinded analysis
(:mod:`ldntrial.core.registry.blinded_contribution`), through the same ``summaries_from``.

- The effect is the posterior mean of the metric's change (open label: maintenance minus
  baseline) and its SD the posterior SD of that Student-t mixture.
- The MCID in points: the protocol's criterion for its primary metric (a relative criterion is
  converted with the patient's observed baseline mean, as the analysis does); 1 point for the
  other metrics, the "better by 1 point" every report gives (``analysis.trial._mcid_text``).
- The dose reached and its timing: the titration step in effect on the last day a dose was
  recorded as taken; none when no dose was recorded.
- Side effects: the days on which each checklist side effect was reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from ldntrial.core.analysis.ar1 import Array
from ldntrial.core.analysis.mixture import Mixture
from ldntrial.core.analysis.random_effects import MAX_SD, MIN_SD
from ldntrial.core.analysis.trial import MetricResult, Observation, TrialAnalysis
from ldntrial.core.errors import InvalidValue
from ldntrial.core.registry.summaries import Completion, PatientSummary, StopReason
from ldntrial.core.trial.diary import SideEffect
from ldntrial.core.trial.protocol import CriterionKind, Protocol
from ldntrial.core.trial.titration import DoseStep

OTHER_METRIC_MCID = 1.0  # points: what "better by 1 point" means for a secondary metric


def posterior_sd(mixture: Mixture) -> Array:
    """SD of each series' Student-t mixture: E[x^2] - E[x]^2, with Var(t_nu) = nu / (nu - 2)."""
    dof = mixture.dof[:, None]
    if np.any(dof <= 2):
        raise ValueError("a Student-t with 2 or fewer degrees of freedom has no variance")
    second = mixture.scale**2 * dof / (dof - 2) + mixture.loc**2
    mean = np.einsum("nr,nr->n", mixture.weights, mixture.loc)
    out: Array = np.sqrt(np.maximum(np.einsum("nr,nr->n", mixture.weights, second) - mean**2, 0))
    return out


def mcid_points(protocol: Protocol, result: MetricResult) -> float | None:
    """The improvement in points the protocol counts as important for this metric (None when a
    relative criterion meets a baseline of 0, where no improvement is possible)."""
    criterion = protocol.success
    if result.metric.key != criterion.metric:
        return OTHER_METRIC_MCID
    if criterion.kind is CriterionKind.RELATIVE_IMPROVEMENT:
        if result.baseline_mean is None or result.baseline_mean <= 0:
            return None
        return float(criterion.threshold * result.baseline_mean)
    return float(criterion.threshold)


def dose_reached(protocol: Protocol, observations: Iterable[Observation]) -> DoseStep | None:
    """The dose step in effect on the last day a dose was taken."""
    days = [o.day for o in observations if o.dose_taken]
    if not days:
        return None
    return protocol.titration.step_on(min(max(days), protocol.titration.end))


def side_effect_days(observations: Iterable[Observation]) -> tuple[tuple[SideEffect, int], ...]:
    counts = dict.fromkeys(SideEffect, 0)
    known = {e.value: e for e in SideEffect}
    for observation in observations:
        for name in observation.side_effects:
            if name in known:
                counts[known[name]] += 1
    return tuple((effect, n) for effect, n in counts.items() if n)


def summaries_of_trial(
    protocol: Protocol,
    observations: Sequence[Observation],
    analysis: TrialAnalysis | None,
    *,
    patient_key: str,
    status: Completion,
    stop_reason: StopReason | None = None,
) -> tuple[PatientSummary, ...]:
    """One summary per metric of an open-label trial. ``analysis`` gives the outcome; pass None
    for a trial without one (running, lost, or stopped before anything could be analysed)."""
    if protocol.is_blinded:
        raise InvalidValue(
            "a blinded trial contributes LDN against placebo, from its blinded analysis: use "
            "core.registry.blinded_contribution.summaries_of_blinded_trial"
        )
    outcomes = {
        m.metric.key: outcome(m.effect_mean, m.posterior, mcid_points(protocol, m))
        for m in (analysis.metrics if analysis is not None else ())
    }
    return summaries_from(
        protocol,
        observations,
        outcomes,
        dose_reached(protocol, observations),
        patient_key=patient_key,
        status=status,
        stop_reason=stop_reason,
    )


Outcome = tuple[float | None, float | None, float | None]  # effect, posterior SD, MCID (points)


def outcome(effect_mean: float | None, posterior: Mixture | None, mcid: float | None) -> Outcome:
    """(effect, posterior SD, MCID) of an analysed metric; no effect when it had too few days
    or its SD falls outside what pooling accepts."""
    if effect_mean is None or posterior is None:
        return None, None, mcid
    sd = float(posterior_sd(posterior)[0])
    if not (MIN_SD <= sd <= MAX_SD):
        return None, None, mcid
    return float(effect_mean), sd, mcid


def summaries_from(
    protocol: Protocol,
    observations: Sequence[Observation],
    outcomes: Mapping[str, Outcome],
    step: DoseStep | None,
    *,
    patient_key: str,
    status: Completion,
    stop_reason: StopReason | None,
) -> tuple[PatientSummary, ...]:
    """One summary per metric of the protocol, whatever its design: ``outcomes`` holds the
    analysed metrics' outcomes, ``step`` the dose reached. A running trial has no effect."""
    effects = side_effect_days(observations)
    diary_days = len(observations)
    summaries = []
    for metric in protocol.metrics:
        effect, sd, mcid = outcomes.get(metric.key, (None, None, None))
        if status is Completion.RUNNING:
            effect = sd = None
        summaries.append(
            PatientSummary(
                patient_key=patient_key,
                protocol_fingerprint=protocol.fingerprint,
                condition=protocol.condition,
                design=protocol.design,
                metric=metric.key,
                better=metric.better,
                mcid=mcid if mcid is not None else _fallback_mcid(protocol, metric.key),
                status=status,
                stop_reason=stop_reason,
                effect=effect,
                effect_sd=sd,
                dose=step.dose if step else None,
                timing=step.timing if step else None,
                diary_days=diary_days,
                side_effects=tuple(
                    (name, min(days, diary_days)) for name, days in effects if diary_days
                ),
            )
        )
    return tuple(summaries)


def _fallback_mcid(protocol: Protocol, metric: str) -> float:
    """An MCID for a summary without an analysed baseline: an absolute criterion's own points,
    otherwise the 1 point of a secondary metric (it is only used for patients with outcomes)."""
    criterion = protocol.success
    if metric == criterion.metric and criterion.kind is not CriterionKind.RELATIVE_IMPROVEMENT:
        return float(criterion.threshold)
    return OTHER_METRIC_MCID
