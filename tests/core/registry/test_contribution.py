"""What one trial contributes: one summary per metric, from its own analysis."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ldntrial.core.analysis.mixture import Mixture
from ldntrial.core.analysis.trial import analyse_trial
from ldntrial.core.doses import Dose
from ldntrial.core.registry.contribution import (
    OTHER_METRIC_MCID,
    mcid_points,
    posterior_sd,
    summaries_of_trial,
)
from ldntrial.core.registry.summaries import Completion, StopReason
from ldntrial.core.trial.diary import SideEffect
from ldntrial.core.trial.drug import Timing
from ldntrial.core.trial.protocol import CriterionKind
from tests.core.analysis.builders import diary

KEY = "ana-pseudonym-0001"


def test_the_posterior_sd_of_a_t_mixture_equals_numerical_integration():
    mixture = Mixture(
        weights=np.array([[0.2, 0.5, 0.3]]),
        loc=np.array([[-2.0, -1.5, -0.5]]),
        scale=np.array([[0.4, 0.5, 0.7]]),
        dof=np.array([7.0]),
    )
    grid = np.linspace(-40, 40, 4_001)
    pdf = np.array([mixture.pdf(v)[0] for v in grid])
    mean = np.trapezoid(grid * pdf, grid)
    sd = np.sqrt(np.trapezoid((grid - mean) ** 2 * pdf, grid))
    assert posterior_sd(mixture)[0] == pytest.approx(sd, rel=1e-4)


def test_a_completed_trial_gives_each_metric_its_effect_and_sd(protocol):
    rows = diary(protocol, drop=2.0)
    analysis = analyse_trial(protocol, rows)
    summaries = summaries_of_trial(
        protocol, rows, analysis, patient_key=KEY, status=Completion.COMPLETED
    )
    assert [s.metric for s in summaries] == [m.key for m in protocol.metrics]
    pain = next(s for s in summaries if s.metric == "pain")
    result = next(m for m in analysis.metrics if m.metric.key == "pain")
    assert pain.effect == pytest.approx(result.effect_mean)
    assert result.interval is not None
    low, high = result.interval
    assert pain.effect_sd == pytest.approx((high - low) / 3.92, rel=0.1)  # near-normal
    assert pain.protocol_fingerprint == protocol.fingerprint
    assert pain.diary_days == len(rows)
    assert (pain.dose, pain.timing) == (Dose("4.5"), Timing.NIGHT)


def test_a_relative_criterion_is_converted_with_the_patients_baseline(protocol):
    analysis = analyse_trial(protocol, diary(protocol))
    pain = next(m for m in analysis.metrics if m.metric.key == "pain")
    assert protocol.success.kind is CriterionKind.RELATIVE_IMPROVEMENT
    assert mcid_points(protocol, pain) == pytest.approx(
        protocol.success.threshold * pain.baseline_mean
    )
    sleep = next(m for m in analysis.metrics if m.metric.key == "sleep_quality")
    assert mcid_points(protocol, sleep) == OTHER_METRIC_MCID


def test_a_running_trial_is_counted_without_an_outcome(protocol):
    rows = diary(protocol)[:20]
    summaries = summaries_of_trial(protocol, rows, None, patient_key=KEY, status=Completion.RUNNING)
    assert all(s.status is Completion.RUNNING for s in summaries)
    assert all(s.effect is None and s.effect_sd is None for s in summaries)


def test_a_trial_stopped_early_keeps_its_reason(protocol):
    rows = diary(protocol)[:30]
    summaries = summaries_of_trial(
        protocol,
        rows,
        None,
        patient_key=KEY,
        status=Completion.STOPPED_EARLY,
        stop_reason=StopReason.SIDE_EFFECTS,
    )
    assert {s.stop_reason for s in summaries} == {StopReason.SIDE_EFFECTS}


def test_side_effects_are_counted_in_days_and_unknown_names_ignored(protocol):
    rows = diary(protocol)
    rows = [
        dataclasses.replace(r, side_effects=frozenset({"vivid_dreams", "free text?"}))
        if i % 10 == 0
        else r
        for i, r in enumerate(rows)
    ]
    (pain, *_) = summaries_of_trial(
        protocol, rows, None, patient_key=KEY, status=Completion.LOST_TO_FOLLOW_UP
    )
    expected = sum(1 for i in range(len(rows)) if i % 10 == 0)
    assert pain.side_effects == ((SideEffect.VIVID_DREAMS, expected),)


def test_no_dose_taken_means_no_dose_reached(protocol):
    rows = [dataclasses.replace(r, dose_taken=None) for r in diary(protocol)[:40]]
    (pain, *_) = summaries_of_trial(
        protocol, rows, None, patient_key=KEY, status=Completion.LOST_TO_FOLLOW_UP
    )
    assert (pain.dose, pain.timing) == (None, None)
