"""The patient's plain-language result of a blinded trial: what the diary showed, how sure that
is (never certain), and why a blinded comparison answers "is it the drug?"."""

import dataclasses

import numpy as np
import pytest

from ldntrial.core.analysis.blinded import BlindedAnalysis, analyse_blinded
from ldntrial.core.analysis.blinded_safety import Guess
from ldntrial.core.analysis.blinded_validation import (
    LEAD_IN_DAYS,
    blinded_schedule,
    observations_of,
)
from ldntrial.core.analysis.blinded_words import certainty, chance, plain_result
from ldntrial.core.analysis.simulation import Noise, Patient, simulate
from ldntrial.core.trial.blinded import Arm
from tests.core.blinded_builders import blinded_protocol, seeded_allocation

PROTOCOL, ALLOCATION = blinded_protocol(), seeded_allocation(seed=4)


def analysed(effect: float, guesses=None, seed: int = 2) -> BlindedAnalysis:
    assert PROTOCOL.blinded is not None
    schedule = blinded_schedule(PROTOCOL.blinded, ALLOCATION.arms, LEAD_IN_DAYS)
    patient = Patient(level=6.5, effect=effect, noise=Noise(1.0, 0.4))
    diary = simulate(schedule, patient, np.random.default_rng(seed))
    rows = observations_of(PROTOCOL, diary, "pain", LEAD_IN_DAYS)
    return analyse_blinded(PROTOCOL, ALLOCATION, rows, guesses)


def test_a_two_point_benefit_is_told_with_its_size_its_range_and_no_certainty():
    result = analysed(-2.0)
    pain = result.primary
    assert pain.effect_mean is not None
    lines = plain_result(result)
    assert lines[0] == (
        "Your pain was lower on LDN than on the identical placebo capsules, by about "
        f"{abs(pain.effect_mean):.1f} points out of 10."
    )
    assert lines[1].startswith("LDN very probably did better than the placebo for you")
    assert "no test can make this certain" in lines[1]
    assert "more than 99%" in lines[1]
    assert "could be anything from" in lines[2]
    assert "points lower to" in lines[2]
    assert (
        "a difference worth having was lower by at least 30% of your pain on the placebo"
        in (lines[3])
    )
    assert any("Neither you nor your clinician knew" in line for line in lines)
    assert not any("100%" in line for line in lines)


def test_no_difference_is_not_clear_and_says_why():
    lines = plain_result(analysed(0.0, seed=2))  # P(LDN better) 43%
    assert lines[1].startswith("It is not clear whether LDN did better than the placebo for you")
    assert "ordinary ups and downs" in lines[1]


def test_a_worse_score_on_ldn_is_said_plainly():
    lines = plain_result(analysed(1.5))
    assert lines[0].startswith("Your pain was higher on LDN than on the identical placebo")
    assert "did not do better than the placebo" in lines[1]


@pytest.mark.parametrize(
    ("p", "words"),
    [
        (0.999, "LDN very probably did better"),
        (0.95, "LDN very probably did better"),
        (0.9, "LDN probably did better"),
        (0.8, "LDN probably did better"),
        (0.5, "It is not clear"),
        (0.2, "LDN probably did not do better"),
        (0.05, "LDN very probably did not do better"),
        (0.001, "LDN very probably did not do better"),
    ],
)
def test_the_words_follow_the_probability_that_ldn_did_better(p, words):
    assert certainty(p).startswith(words)


def test_a_probability_is_never_shown_as_a_certainty():
    assert (chance(0.9999), chance(0.0001), chance(0.876)) == (
        "more than 99%",
        "less than 1%",
        "88%",
    )


def test_guessing_right_often_weakens_the_claim():
    guesses = {
        n: Guess.LDN if arm is Arm.ACTIVE else Guess.PLACEBO
        for n, arm in enumerate(ALLOCATION.arms, start=1)
    }
    lines = plain_result(analysed(-2.0, guesses))
    assert "But you guessed which capsules you had in 6 of 6 periods" in lines[-1]


def test_an_early_unblinding_is_said():
    lines = plain_result(analysed(-2.0), unblinded_early=True)
    assert "unblinded before its planned end" in lines[-1]


def test_too_little_data_says_the_trial_cannot_tell():
    result = analysed(-2.0)
    pain = dataclasses.replace(
        result.primary, effect_mean=None, interval=None, p_better=None, p_better_than_mcid=None
    )
    empty = dataclasses.replace(result, metrics=(pain, *result.metrics[1:]))
    lines = plain_result(empty)
    assert "cannot say whether LDN changed your pain" in lines[0]
