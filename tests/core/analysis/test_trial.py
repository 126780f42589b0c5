"""Analysing a trial: the design follows the protocol, sufficiency is judged, labels are honest."""

import dataclasses
import datetime as dt

import pytest

from ldntrial.core.analysis.trial import (
    OPEN_LABEL_LABEL,
    Sufficiency,
    analyse_trial,
    analyse_trials,
)
from ldntrial.core.trial.design import design_protocol
from ldntrial.core.trial.protocol import AnalysisSettings, TitrationHandling
from tests.core.analysis.builders import diary


def test_a_clear_fall_in_pain_is_found_with_its_interval(protocol):
    result = analyse_trial(protocol, diary(protocol)).primary
    assert result.effect_mean is not None
    assert result.interval is not None
    assert result.p_better is not None
    assert result.p_worse_1 is not None
    assert result.effect_mean == pytest.approx(-2.0, abs=0.6)
    low, high = result.interval
    assert low < result.effect_mean < high < 0
    assert result.p_better > 0.99
    assert result.p_worse_1 < 0.01
    assert sum(b.probability for b in result.bands) == pytest.approx(1.0)


def test_for_a_metric_where_higher_is_better_a_rise_counts_as_better(protocol):
    sleep = analyse_trial(protocol, diary(protocol)).metrics[1]
    assert sleep.metric.key == "sleep_quality"
    assert sleep.effect_mean is not None
    assert sleep.p_better is not None
    assert sleep.effect_mean > 0
    assert sleep.p_better > 0.9


def test_the_result_is_labelled_as_change_from_baseline(protocol):
    assert analyse_trial(protocol, diary(protocol)).label == OPEN_LABEL_LABEL
    assert "placebo response" in OPEN_LABEL_LABEL


def test_too_few_baseline_days_is_insufficient_and_names_the_gap(protocol):
    skip = {protocol.start_date + dt.timedelta(days=i) for i in range(10)}
    result = analyse_trial(protocol, diary(protocol, skip=skip)).primary
    assert result.sufficiency is Sufficiency.INSUFFICIENT
    assert result.sufficiency_reason == "baseline has 4 observed day(s), 7 needed"


def test_titration_days_are_left_out_by_default(protocol):
    assert protocol.analysis == AnalysisSettings()
    assert protocol.analysis_settings.titration is TitrationHandling.EXCLUDE
    result = analyse_trial(protocol, diary(protocol)).primary
    assert result.titration_days == 0
    assert result.days_used == 14 + 57


def test_titration_can_be_modelled_and_run_in_days_are_left_out(protocol):
    settings = AnalysisSettings(titration=TitrationHandling.MODEL, run_in_days=7)
    modelled = analyse_trial(dataclasses.replace(protocol, analysis=settings), diary(protocol))
    assert modelled.primary.titration_days == 28 - 7
    assert "Titration days have a level of their own" in modelled.methods
    assert "first 7 days after the first dose are left out" in modelled.methods


def test_the_methods_line_states_what_the_model_assumes(protocol):
    methods = analyse_trial(protocol, diary(protocol)).methods
    assert "Titration days are left out of the comparison." in methods
    assert "No trend is modelled" in methods
    assert "A weekly cycle (one 7-day harmonic) is estimated." in methods
    assert "heavy-tailed days, measurement noise" in methods


def test_a_trend_is_estimated_when_the_protocol_asks(protocol):
    trended = dataclasses.replace(protocol, analysis=AnalysisSettings(trend=True))
    analysis = analyse_trial(trended, diary(protocol))
    assert "A linear trend over the whole trial is estimated" in analysis.methods
    plain = analyse_trial(protocol, diary(protocol)).primary
    assert analysis.primary.interval is not None
    assert plain.interval is not None
    low, high = analysis.primary.interval
    assert high - low > plain.interval[1] - plain.interval[0]  # the price of the trend


def test_missing_days_are_simply_missing(protocol):
    rows = diary(protocol)
    every_third = [r for i, r in enumerate(rows) if i % 3]
    result = analyse_trial(protocol, every_third).primary
    titration = protocol.phases()[1]
    outside_titration = [r for r in every_third if not titration.first <= r.day <= titration.last]
    assert result.days_used == len(outside_titration)
    assert result.effect_mean is not None


def test_many_patients_are_analysed_in_one_call(protocol):
    results = analyse_trials([(protocol, diary(protocol, seed=s)) for s in range(5)])
    assert len(results) == 5
    assert all(r.primary.p_better is not None and r.primary.p_better > 0.9 for r in results)


def test_a_batch_gives_each_trial_the_numbers_it_gets_alone(
    protocol, profile, instruments, conditions
):
    # Different protocols, missing days, titration modelled or not, a trend: every trial in the
    # batch equals its single analysis exactly (dataclass equality compares the floats).
    other, _ = design_protocol(
        condition="crps",
        start_date=protocol.start_date,
        profile=profile,
        instruments=instruments,
        conditions=conditions,
        baseline_days=10,
    )
    modelled = dataclasses.replace(
        protocol, analysis=AnalysisSettings(titration=TitrationHandling.MODEL, trend=True)
    )
    trials = []
    for seed in range(24):
        chosen = (protocol, other, modelled)[seed % 3]
        rows = diary(chosen, seed=seed, drop=seed % 4, rho=0.2 + 0.03 * seed)
        trials.append((chosen, [r for i, r in enumerate(rows) if (i * seed) % 7 != 3]))
    together = analyse_trials(trials)
    for (chosen, rows), in_batch in zip(trials, together, strict=True):
        assert analyse_trial(chosen, rows) == in_batch


def test_a_score_that_never_varies_is_insufficient_not_certain(protocol):
    result = analyse_trial(protocol, diary(protocol)).metrics[2]
    assert result.metric.key == "function"  # 5 on every day in this diary
    assert result.effect_mean is None
    assert result.sufficiency is Sufficiency.INSUFFICIENT
    assert "no day-to-day variation" in result.sufficiency_reason
