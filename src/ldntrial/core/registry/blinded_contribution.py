"""What one blinded n-of-1 trial contributes to the registry: LDN against placebo, per metric.

``summaries_of_blinded_trial`` turns a blinded trial's protocol, its diary and, once it is
unblinded and has an outcome, its :class:`~ldntrial.core.analysis.blinded.BlindedAnalysis` into
the same :class:`~ldntrial.core.registry.summaries.PatientSummary` rows an open-label trial
gives (``core.registry.contribution``), in the blinded stratum (their ``design``), which is
never pooled with open-label change from baseline.

- The effect is the posterior mean of LDN minus placebo (``BlindedMetricResult.effect_mean``)
  and its SD the posterior SD of that Student-t mixture.
- The MCID in points: the protocol's criterion for its primary metric, an absolute threshold as
  it stands, a relative one as that share of the placebo level the blinded analysis estimates
  (``BlindedMetricResult.placebo_level``: the mean of the block levels, the level the analysis
  judges a relative MCID against); 1 point for the other metrics, as the analysis uses.
- The dose: the tolerated dose, the final titration step that every LDN period is taken at,
  once the patient took capsules in the blinded periods; before that, the step reached in the
  open titration.
- Side effects: the days on which each checklist side effect was reported, over the whole
  diary, as for an open-label trial (never split by arm: the registry pools counts, and a
  still-blinded trial must not give away which periods were which).

A blinded trial that is not unblinded has no analysis here (the caller passes None): the
allocation stays with the pharmacy until the unblinding, so its summaries count the trial with
no outcome.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ldntrial.core.analysis.blinded import BlindedAnalysis, BlindedMetricResult
from ldntrial.core.analysis.trial import Observation
from ldntrial.core.errors import InvalidValue
from ldntrial.core.registry.contribution import (
    OTHER_METRIC_MCID,
    dose_reached,
    outcome,
    summaries_from,
)
from ldntrial.core.registry.summaries import Completion, PatientSummary, StopReason
from ldntrial.core.trial.protocol import CriterionKind, Protocol
from ldntrial.core.trial.titration import DoseStep


def blinded_mcid_points(protocol: Protocol, result: BlindedMetricResult) -> float | None:
    """The improvement in points the protocol counts as important for this metric, judged
    against placebo (None when a relative criterion meets a placebo level of 0 or below, or a
    metric the analysis could not fit)."""
    criterion = protocol.success
    if result.metric.key != criterion.metric:
        return OTHER_METRIC_MCID
    if criterion.kind is CriterionKind.RELATIVE_IMPROVEMENT:
        if result.placebo_level is None or result.placebo_level <= 0:
            return None
        return float(criterion.threshold * result.placebo_level)
    return float(criterion.threshold)


def tolerated_dose(protocol: Protocol, observations: Iterable[Observation]) -> DoseStep | None:
    """The final titration step once capsules were taken in a blinded period; otherwise the
    step in effect on the last day a dose was taken in the open titration (None if none)."""
    rows = list(observations)
    periods = protocol.periods()
    if periods and any(o.dose_taken and o.day >= periods[0].first for o in rows):
        return protocol.titration.steps[-1]
    return dose_reached(protocol, rows)


def summaries_of_blinded_trial(
    protocol: Protocol,
    observations: Sequence[Observation],
    analysis: BlindedAnalysis | None,
    *,
    patient_key: str,
    status: Completion,
    stop_reason: StopReason | None = None,
) -> tuple[PatientSummary, ...]:
    """One summary per metric. ``analysis`` is the unblinded trial's blinded analysis; pass None
    for a trial still blinded, running, or stopped before anything could be analysed."""
    if not protocol.is_blinded:
        raise InvalidValue(
            "an open-label trial contributes change from baseline: use "
            "core.registry.contribution.summaries_of_trial"
        )
    if analysis is not None and analysis.protocol.fingerprint != protocol.fingerprint:
        raise InvalidValue("the blinded analysis is not of this trial's protocol")
    outcomes = {
        m.metric.key: outcome(m.effect_mean, m.posterior, blinded_mcid_points(protocol, m))
        for m in (analysis.metrics if analysis is not None else ())
    }
    return summaries_from(
        protocol,
        observations,
        outcomes,
        tolerated_dose(protocol, observations),
        patient_key=patient_key,
        status=status,
        stop_reason=stop_reason,
    )
