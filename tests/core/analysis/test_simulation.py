"""The generators of synthetic diaries: schedules, kinetics, noise, recording, truth."""

import numpy as np
import pytest

from ldntrial.core.analysis.simulation import (
    Innovations,
    Kinetics,
    MissingRuns,
    Noise,
    Onset,
    Patient,
    Schedule,
    Segment,
    Weekly,
    expected_score,
    simulate,
    weekly_pattern,
)


def test_the_same_seed_gives_the_same_diary():
    schedule = Schedule.open_label(14, 28, 57)
    patient = Patient(6.0, -2.0, Noise(1.0, 0.5), missing=MissingRuns(0.1, 3))
    a = simulate(schedule, patient, np.random.default_rng(1))
    b = simulate(schedule, patient, np.random.default_rng(1))
    assert np.array_equal(a.days, b.days)
    assert np.array_equal(a.scores, b.scores)


@pytest.mark.parametrize("innovations", list(Innovations))
def test_noise_has_the_marginal_sd_and_autocorrelation_asked(innovations):
    noise = Noise(1.2, 0.7, innovations).draw(400_000, np.random.default_rng(2))
    assert noise.std() == pytest.approx(1.2, rel=0.02)
    assert np.corrcoef(noise[1:], noise[:-1])[0, 1] == pytest.approx(0.7, abs=0.01)


def test_a_linear_onset_reaches_the_full_effect_after_its_days_and_carries_over():
    planned = np.array([0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0.0])
    acting = Onset(Kinetics.LINEAR, onset_days=4, offset_days=2).acting(planned)
    np.testing.assert_allclose(acting[:8], [0, 0, 0.25, 0.5, 0.75, 1, 1, 1])
    np.testing.assert_allclose(acting[10:13], [0.5, 0, 0])  # carry-over into "placebo"


def test_an_exponential_onset_closes_a_fixed_share_each_day():
    acting = Onset(Kinetics.EXPONENTIAL, onset_days=7).acting(np.ones(3))
    share = 1 - np.exp(-1 / 7)
    np.testing.assert_allclose(acting, [share, 1 - (1 - share) ** 2, 1 - (1 - share) ** 3])


def test_a_schedule_of_periods_supports_blinded_designs():
    schedule = Schedule(
        (Segment("baseline", 7, 0), Segment("active", 14, 1), Segment("placebo", 14, 0))
    )
    assert schedule.days == 35
    assert list(schedule.days_of("placebo")) == list(range(21, 35))


def test_the_expected_score_accounts_for_rounding_and_clipping():
    # Far from the ends the expected whole-number score is the mean; at the ends it is pulled in.
    got = expected_score(np.array([5.0, 0.0, 10.0]), 1.0)
    assert got[0] == pytest.approx(5.0, abs=1e-9)
    assert 0.3 < got[1] < 0.45
    assert 9.55 < got[2] < 9.7
    rng = np.random.default_rng(3)
    draws = np.clip(np.round(0.0 + rng.standard_normal(400_000)), 0, 10)
    assert draws.mean() == pytest.approx(got[1], abs=0.005)


def test_the_truth_is_the_change_in_expected_score_between_phases():
    schedule = Schedule.open_label(14, 28, 56)
    patient = Patient(6.0, -2.0, Noise(1.0, 0.5), whole_numbers=False)
    diary = simulate(schedule, patient, np.random.default_rng(4))
    assert diary.change("baseline", "maintenance") == pytest.approx(-2.0)
    drifting = Patient(6.0, -2.0, Noise(1.0, 0.5), drift_per_day=-0.01, whole_numbers=False)
    diary = simulate(schedule, drifting, np.random.default_rng(4))
    # The drift between the middle of baseline (day 6.5) and of maintenance (day 69.5).
    assert diary.change("baseline", "maintenance") == pytest.approx(-2.0 - 0.63)


def test_a_weekend_effect_averages_zero_over_a_week():
    pattern = weekly_pattern(np.arange(14.0), Weekly.WEEKEND)
    assert pattern.sum() == pytest.approx(0.0)
    assert pattern[5] - pattern[0] == pytest.approx(1.0)


def test_missing_runs_remove_about_the_expected_share():
    keep = MissingRuns(0.06, 4).keep(100_000, np.random.default_rng(5))
    # Each recorded day starts a run (mean length 2.5) with chance 0.06.
    assert 1 - keep.mean() == pytest.approx(0.06 * 2.5 / (1 + 0.06 * 2.5), abs=0.01)
