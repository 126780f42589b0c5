"""Design by simulated power: the fast (array) figures agree with a brute-force run through the
validated generator and the blinded analysis one diary at a time, within Monte-Carlo error.

Tolerance: the two estimates of a detection rate p from n1 and n2 independent trials differ by
a normal error of SD sqrt(p(1-p)(1/n1 + 1/n2)); they must agree within 3.5 of those SDs.
"""

import math

import numpy as np
import pytest

from ldntrial.core.analysis.blinded import analyse_blinded_many
from ldntrial.core.analysis.blinded_validation import (
    blinded_schedule,
    observations_of,
    seeded_allocation,
)
from ldntrial.core.analysis.design_power import (
    LEAD_IN_DAYS,
    PowerAssumptions,
    _acting,
    _kept,
    design_power,
)
from ldntrial.core.analysis.simulation import MissingRuns, simulate
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.blinded import BlindedDesign
from tests.core.blinded_builders import blinded_protocol

FAST, BRUTE = 600, 300


def brute_force(protocol, improvement, trials, seed, people):
    rng = np.random.default_rng(seed)
    design = protocol.blinded
    runs = []
    for _ in range(trials):
        allocation = seeded_allocation(design, rng)
        diary = simulate(
            blinded_schedule(design, allocation.arms, LEAD_IN_DAYS),
            people.patient(rng, -improvement),
            rng,
        )
        runs.append(
            (protocol, allocation, observations_of(protocol, diary, "pain", LEAD_IN_DAYS), None)
        )
    analyses = analyse_blinded_many(runs, metrics=["pain"])
    chances = [a.metrics[0].p_better for a in analyses]
    return float(np.mean([p is not None and p >= 0.95 for p in chances]))


@pytest.fixture(scope="module")
def fast():
    return design_power(BlindedDesign(), improvements=(1.0, 2.0), trials=FAST, seed=5)


@pytest.mark.parametrize("improvement", [0.0, 1.0, 2.0])
def test_power_agrees_with_a_brute_force_simulation(fast, improvement):
    protocol = blinded_protocol()
    brute = brute_force(protocol, improvement, BRUTE, 100 + int(improvement), fast.assumptions)
    quick = fast.false_positive.detected if improvement == 0 else fast.power_at(improvement)
    p = max((quick + brute) / 2, 0.02)
    sd = math.sqrt(p * (1 - p) * (1 / FAST + 1 / BRUTE))
    assert abs(quick - brute) < 3.5 * sd, (quick, brute)


def test_power_rises_with_the_effect_and_the_false_positive_rate_stays_near_five_percent(fast):
    assert fast.false_positive.detected < 0.05 + 3.5 * fast.false_positive.se
    assert fast.false_positive.detected < fast.power_at(1.0) < fast.power_at(2.0)


def test_a_weak_design_gets_a_longer_suggestion():
    weak = design_power(BlindedDesign(pairs=2, period_days=7, run_in_days=3), trials=200)
    assert weak.too_weak
    assert weak.alternatives
    assert all(a.detected >= 0 for a in weak.alternatives)
    assert weak.suggestion is not None
    assert "aim for 80%" in weak.suggestion


def test_a_strong_design_needs_no_suggestion():
    strong = design_power(BlindedDesign(pairs=4, period_days=21), trials=200)
    assert not strong.too_weak
    assert strong.suggestion is None
    assert strong.alternatives == ()


def test_the_array_kinetics_are_the_generators_own():
    from ldntrial.core.analysis.simulation import Kinetics, Onset

    onset = Onset(Kinetics.LINEAR, 5.0, 7.0)
    rng = np.random.default_rng(0)
    planned = (rng.random((20, 60)) < 0.5).astype(float)
    rows = np.array([onset.acting(row) for row in planned])
    assert np.allclose(_acting(planned, onset), rows)


def test_the_array_missing_runs_follow_the_generators_rule():
    missing = MissingRuns(chance=0.06, longest=4)
    keep = _kept(4000, 84, missing, np.random.default_rng(1))
    scalar = np.array([missing.keep(84, np.random.default_rng(s)) for s in range(1000)])
    assert keep.mean() == pytest.approx(scalar.mean(), abs=0.01)
    # A run is at most 4 days and is followed by a recorded day.
    lost = ~keep
    for row in lost[:200]:
        run = 0
        for value in row:
            run = run + 1 if value else 0
            assert run <= 4


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"trials": 5}, "simulate 20 to 20000 trials"),
        ({"improvements": (0.0,)}, "more than 0 and at most 10 points"),
        ({"detect_probability": 1.0}, "detection probability"),
    ],
)
def test_bad_power_settings_are_clear_errors(options, message):
    with pytest.raises(InvalidValue, match=message):
        design_power(BlindedDesign(), **options)


def test_assumptions_are_checked():
    with pytest.raises(InvalidValue, match="carryover days must be 0 to 56"):
        PowerAssumptions(carryover_days=60)


def test_the_same_seed_gives_the_same_power_table():
    one = design_power(BlindedDesign(), trials=100, seed=9)
    two = design_power(BlindedDesign(), trials=100, seed=9)
    assert one.rows == two.rows
    assert one.false_positive == two.false_positive
