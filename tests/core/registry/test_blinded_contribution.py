"""What one blinded trial contributes: LDN minus placebo per metric, once it is unblinded.

Ben's blinded trial (3 pairs of 14-day periods, 7 run-in days; titration 1.5 -> 3 -> 4.5 mg,
the blinded periods at 4.5 mg): a synthetic diary in which pain is 2 points lower in the LDN
periods than in the placebo periods."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

from ldntrial.core.analysis.blinded import analyse_blinded
from ldntrial.core.analysis.trial import Observation
from ldntrial.core.doses import Dose
from ldntrial.core.errors import InvalidValue
from ldntrial.core.registry.blinded_contribution import (
    blinded_mcid_points,
    summaries_of_blinded_trial,
    tolerated_dose,
)
from ldntrial.core.registry.contribution import (
    OTHER_METRIC_MCID,
    posterior_sd,
    summaries_of_trial,
)
from ldntrial.core.registry.summaries import Completion, StopReason
from ldntrial.core.trial.blinded import Arm
from ldntrial.core.trial.diary import SideEffect
from ldntrial.core.trial.drug import Timing
from ldntrial.core.trial.protocol import CriterionKind, Design, Protocol, SuccessCriterion
from ldntrial.core.trial.randomisation import Allocation
from tests.core.blinded_builders import blinded_protocol, seeded_allocation

KEY = "ben-pseudonym-0002"
LDN_DROP = 2.0


def bens_diary(
    protocol: Protocol, allocation: Allocation, *, drop: float = LDN_DROP, seed: int = 3
) -> list[Observation]:
    """Every day from the first baseline day to the reassessment: pain about 6.5 (``drop``
    lower in the LDN periods), sleep about 5, with autocorrelated noise; a dose taken every day
    from the first dose; vivid dreams on every tenth day."""
    rng = np.random.default_rng(seed)
    arm_of = {p.number: allocation.arm_of_period(p.number) for p in protocol.periods()}
    periods = protocol.periods()
    rows, u, day, index = [], 0.0, protocol.start_date, 0
    while day <= protocol.reassessment_date:
        u = 0.4 * u + rng.normal(0, 0.8)
        period = next((p for p in periods if p.first <= day <= p.last), None)
        on_ldn = period is not None and arm_of[period.number] is Arm.ACTIVE
        rows.append(
            Observation(
                day,
                {
                    "pain": float(round(6.5 - (drop if on_ldn else 0.0) + u)),
                    "sleep_quality": float(round(5 + rng.normal(0, 1))),
                    "function": float(round(5 + rng.normal(0, 1))),
                },
                dose_taken=True if day >= protocol.first_dose_date else None,
                side_effects=frozenset({"vivid_dreams"}) if index % 10 == 0 else frozenset(),
            )
        )
        day += dt.timedelta(days=1)
        index += 1
    return rows


@pytest.fixture
def trial() -> tuple[Protocol, Allocation, list[Observation]]:
    protocol, allocation = blinded_protocol(), seeded_allocation(seed=4)
    return protocol, allocation, bens_diary(protocol, allocation)


def test_an_unblinded_trial_gives_each_metric_ldn_minus_placebo_and_its_sd(trial):
    protocol, allocation, rows = trial
    analysis = analyse_blinded(protocol, allocation, rows)
    summaries = summaries_of_blinded_trial(
        protocol, rows, analysis, patient_key=KEY, status=Completion.COMPLETED
    )
    assert [s.metric for s in summaries] == [m.key for m in protocol.metrics]
    assert {s.design for s in summaries} == {Design.BLINDED_N_OF_1}
    pain = next(s for s in summaries if s.metric == "pain")
    result = analysis.primary
    assert result.effect_mean is not None
    assert result.posterior is not None
    assert pain.effect == pytest.approx(result.effect_mean)
    assert pain.effect == pytest.approx(-LDN_DROP, abs=0.6)
    assert pain.effect_sd == pytest.approx(float(posterior_sd(result.posterior)[0]))
    assert result.interval is not None
    low, high = result.interval
    assert pain.effect_sd == pytest.approx((high - low) / 3.92, rel=0.1)  # near-normal
    assert pain.stratum.label == "Effect of LDN against placebo, from blinded n-of-1 trials."
    assert pain.protocol_fingerprint == protocol.fingerprint
    assert pain.diary_days == len(rows)
    sleep = next(s for s in summaries if s.metric == "sleep_quality")
    assert sleep.effect is not None
    assert abs(sleep.effect) < 1


def test_a_relative_mcid_is_that_share_of_the_placebo_level_the_analysis_estimates(trial):
    protocol, allocation, rows = trial
    analysis = analyse_blinded(protocol, allocation, rows)
    pain = analysis.primary
    assert protocol.success.kind is CriterionKind.RELATIVE_IMPROVEMENT
    assert pain.placebo_level is not None
    assert pain.placebo_mean is not None
    assert pain.placebo_level == pytest.approx(pain.placebo_mean, abs=0.3)
    assert blinded_mcid_points(protocol, pain) == pytest.approx(
        protocol.success.threshold * pain.placebo_level
    )
    (summary, *_) = summaries_of_blinded_trial(
        protocol, rows, analysis, patient_key=KEY, status=Completion.COMPLETED
    )
    assert summary.mcid == pytest.approx(0.3 * pain.placebo_level)
    sleep = next(m for m in analysis.metrics if m.metric.key == "sleep_quality")
    assert blinded_mcid_points(protocol, sleep) == OTHER_METRIC_MCID


def test_an_absolute_mcid_is_the_protocols_points():
    protocol = blinded_protocol(
        success=SuccessCriterion("pain", CriterionKind.ABSOLUTE_IMPROVEMENT, 2.0, 0.8)
    )
    allocation = seeded_allocation(seed=4)
    rows = bens_diary(protocol, allocation)
    analysis = analyse_blinded(protocol, allocation, rows)
    assert blinded_mcid_points(protocol, analysis.primary) == 2.0
    (pain, *_) = summaries_of_blinded_trial(
        protocol, rows, analysis, patient_key=KEY, status=Completion.COMPLETED
    )
    assert pain.mcid == 2.0


def test_a_placebo_level_of_zero_gives_no_relative_mcid_and_the_fallback(trial):
    protocol, allocation, rows = trial
    pain = analyse_blinded(protocol, allocation, rows).primary
    assert blinded_mcid_points(protocol, dataclasses.replace(pain, placebo_level=0.0)) is None
    assert blinded_mcid_points(protocol, dataclasses.replace(pain, placebo_level=None)) is None


def test_the_dose_is_the_tolerated_dose_of_the_blinded_periods(trial):
    protocol, allocation, rows = trial
    analysis = analyse_blinded(protocol, allocation, rows)
    (pain, *_) = summaries_of_blinded_trial(
        protocol, rows, analysis, patient_key=KEY, status=Completion.COMPLETED
    )
    assert (pain.dose, pain.timing) == (Dose("4.5"), Timing.NIGHT)
    assert tolerated_dose(protocol, rows) == protocol.titration.steps[-1]


def test_a_trial_stopped_in_the_open_titration_keeps_the_dose_it_reached(trial):
    protocol, _, rows = trial
    second_step = protocol.titration.steps[1]
    before_periods = [r for r in rows if r.day < second_step.start + dt.timedelta(days=5)]
    assert tolerated_dose(protocol, before_periods) == second_step
    (pain, *_) = summaries_of_blinded_trial(
        protocol,
        before_periods,
        None,
        patient_key=KEY,
        status=Completion.STOPPED_EARLY,
        stop_reason=StopReason.SIDE_EFFECTS,
    )
    assert (pain.dose, pain.effect, pain.stop_reason) == (
        Dose("3"),
        None,
        StopReason.SIDE_EFFECTS,
    )


def test_a_trial_still_blinded_is_counted_with_no_outcome(trial):
    protocol, _, rows = trial
    summaries = summaries_of_blinded_trial(
        protocol, rows, None, patient_key=KEY, status=Completion.COMPLETED
    )
    assert {s.design for s in summaries} == {Design.BLINDED_N_OF_1}
    assert all(s.effect is None and s.effect_sd is None for s in summaries)
    assert all(s.status is Completion.COMPLETED for s in summaries)


def test_a_running_trial_has_no_effect_even_with_an_analysis(trial):
    protocol, allocation, rows = trial
    analysis = analyse_blinded(protocol, allocation, rows)
    summaries = summaries_of_blinded_trial(
        protocol, rows, analysis, patient_key=KEY, status=Completion.RUNNING
    )
    assert all(s.effect is None and s.effect_sd is None for s in summaries)


def test_side_effects_are_counted_over_the_whole_diary_not_by_arm(trial):
    protocol, _, rows = trial
    (pain, *_) = summaries_of_blinded_trial(
        protocol, rows, None, patient_key=KEY, status=Completion.COMPLETED
    )
    assert pain.side_effects == ((SideEffect.VIVID_DREAMS, len(range(0, len(rows), 10))),)


def test_each_design_refuses_the_other_designs_contribution(trial, protocol):
    blinded, allocation, rows = trial
    with pytest.raises(InvalidValue, match="summaries_of_blinded_trial"):
        summaries_of_trial(blinded, rows, None, patient_key=KEY, status=Completion.COMPLETED)
    with pytest.raises(InvalidValue, match="summaries_of_trial"):
        summaries_of_blinded_trial(
            protocol, rows, None, patient_key=KEY, status=Completion.COMPLETED
        )
    other = blinded_protocol(
        success=SuccessCriterion("pain", CriterionKind.ABSOLUTE_IMPROVEMENT, 2.0, 0.8)
    )
    with pytest.raises(InvalidValue, match="not of this trial's protocol"):
        summaries_of_blinded_trial(
            other,
            rows,
            analyse_blinded(blinded, allocation, rows),
            patient_key=KEY,
            status=Completion.COMPLETED,
        )
