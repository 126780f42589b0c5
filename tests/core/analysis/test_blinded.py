"""The blinded analysis for one patient: LDN minus identical placebo, side effects by arm, the
nocebo ratio and the blinding check. Ben's trial: 3 pairs of 14-day periods, 7 run-in days."""

import dataclasses
import datetime as dt

import numpy as np
import pytest
from scipy import stats

from ldntrial.core.analysis.blinded import BLINDED_LABEL, analyse_blinded
from ldntrial.core.analysis.blinded_safety import ANY, Guess, blinding_check
from ldntrial.core.analysis.blinded_validation import (
    LEAD_IN_DAYS,
    blinded_schedule,
    observations_of,
    true_effect,
)
from ldntrial.core.analysis.simulation import Noise, Patient, simulate
from ldntrial.core.analysis.trial import Observation, Sufficiency
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.blinded import Arm, BlindedDesign
from ldntrial.core.trial.protocol import CriterionKind, SuccessCriterion
from tests.core.blinded_builders import blinded_protocol, seeded_allocation


def bens_diary(protocol, allocation, *, effect=-2.0, rho=0.4, seed=2):
    rng = np.random.default_rng(seed)
    patient = Patient(level=6.5, effect=effect, noise=Noise(1.0, rho))
    design = protocol.blinded
    diary = simulate(blinded_schedule(design, allocation.arms, LEAD_IN_DAYS), patient, rng)
    return diary, observations_of(protocol, diary, "pain", LEAD_IN_DAYS)


def test_bens_two_point_benefit_on_ldn_over_placebo_is_recovered():
    protocol, allocation = blinded_protocol(), seeded_allocation(seed=4)
    diary, rows = bens_diary(protocol, allocation)
    result = analyse_blinded(protocol, allocation, rows)
    pain = result.primary
    assert protocol.blinded is not None
    truth = true_effect(diary, protocol.blinded, allocation.arms, LEAD_IN_DAYS)
    assert pain.interval is not None
    assert pain.effect_mean is not None
    assert pain.p_better is not None
    low, high = pain.interval
    assert low < truth < high
    assert pain.effect_mean < -1
    assert pain.p_better > 0.99
    assert pain.sufficiency is Sufficiency.SUFFICIENT
    assert pain.active_days == pain.placebo_days == 21  # 3 periods x (14 - 7 run-in days)
    assert sum(b.probability for b in pain.bands) == pytest.approx(1.0)
    assert result.label == BLINDED_LABEL
    assert result.sequence == allocation.arms


def test_no_difference_gives_an_honest_maybe():
    protocol, allocation = blinded_protocol(), seeded_allocation(seed=4)
    _, rows = bens_diary(protocol, allocation, effect=0.0, seed=11)
    pain = analyse_blinded(protocol, allocation, rows).primary
    assert pain.interval is not None
    assert pain.p_better is not None
    low, high = pain.interval
    assert low < 0 < high
    assert 0.02 < pain.p_better < 0.98


def test_baseline_and_titration_days_and_run_in_days_are_not_used():
    protocol, allocation = blinded_protocol(), seeded_allocation(seed=4)
    _, rows = bens_diary(protocol, allocation)
    first = protocol.periods()[0].first
    noisy = [
        Observation(protocol.start_date + dt.timedelta(days=d), {"pain": 10.0})
        for d in range((first - protocol.start_date).days)
    ] + [dataclasses.replace(r, values={"pain": 0.0}) for r in rows if r.day < first]
    run_in = [
        dataclasses.replace(r, values={"pain": 10.0})
        for r in rows
        if any(p.first <= r.day < p.first_analysed for p in protocol.periods())
    ]
    analysed = [
        r for r in rows if any(p.first_analysed <= r.day <= p.last for p in protocol.periods())
    ]
    once = analyse_blinded(protocol, allocation, analysed).primary
    again = analyse_blinded(protocol, allocation, noisy + run_in + analysed).primary
    assert again.effect_mean == pytest.approx(once.effect_mean, abs=1e-12)
    assert again.interval == pytest.approx(once.interval, abs=1e-9)


def test_a_relative_mcid_is_judged_against_the_placebo_level():
    relative = blinded_protocol()
    absolute = blinded_protocol(
        success=SuccessCriterion("pain", CriterionKind.ABSOLUTE_IMPROVEMENT, 2.0, 0.8)
    )
    allocation = seeded_allocation(seed=4)
    _, rows = bens_diary(relative, allocation, effect=-2.0)
    by_share = analyse_blinded(relative, allocation, rows).primary
    by_points = analyse_blinded(absolute, allocation, rows).primary
    assert by_share.mcid_text == "30% of the placebo level"
    assert by_points.mcid_text == "2 points"
    # 30% of a placebo level near 6.5 is about 2 points: similar, not identical.
    assert by_share.p_better_than_mcid is not None
    assert by_points.p_better_than_mcid is not None
    assert abs(by_share.p_better_than_mcid - by_points.p_better_than_mcid) < 0.25


def test_the_placebo_level_a_relative_mcid_is_a_share_of_is_reported():
    protocol, allocation = blinded_protocol(), seeded_allocation(seed=4)
    _, rows = bens_diary(protocol, allocation, effect=-2.0)
    pain = analyse_blinded(protocol, allocation, rows).primary
    # The mean of the block levels: near the observed mean of the placebo days (about 6.5).
    assert pain.placebo_level is not None
    assert pain.placebo_mean is not None
    assert pain.placebo_level == pytest.approx(pain.placebo_mean, abs=0.3)
    assert pain.placebo_level == pytest.approx(6.5, abs=0.6)
    too_few = [r for r in rows if r.day <= protocol.periods()[1].last]
    assert analyse_blinded(protocol, allocation, too_few).primary.placebo_level is None


def test_too_few_analysed_days_is_insufficient_not_a_result():
    protocol, allocation = blinded_protocol(), seeded_allocation(seed=4)
    _, rows = bens_diary(protocol, allocation)
    only_first_block = [r for r in rows if r.day <= protocol.periods()[1].last]
    pain = analyse_blinded(protocol, allocation, only_first_block).primary
    assert pain.sufficiency is Sufficiency.INSUFFICIENT
    assert pain.effect_mean is None
    assert "2 are needed" in pain.sufficiency_reason


def test_an_open_label_protocol_or_another_trials_allocation_is_refused(protocol):
    allocation = seeded_allocation()
    with pytest.raises(InvalidValue, match="open label"):
        analyse_blinded(protocol, allocation, [])
    committed = blinded_protocol(commitment="0" * 64)
    with pytest.raises(InvalidValue, match="not the one this protocol commits to"):
        analyse_blinded(committed, allocation, [])


def test_side_effects_are_counted_by_arm_with_exact_intervals():
    protocol, allocation = blinded_protocol(), seeded_allocation(seed=4)
    _, rows = bens_diary(protocol, allocation)
    arm_of = {p.number: allocation.arm_of_period(p.number) for p in protocol.periods()}
    period_of = {
        r.day: next((p.number for p in protocol.periods() if p.contains(r.day)), None) for r in rows
    }
    # Vivid dreams on every other LDN day, never on placebo.
    dreamy = [
        dataclasses.replace(r, side_effects=frozenset({"vivid dreams"}))
        if period_of[r.day] and arm_of[period_of[r.day]] is Arm.ACTIVE and r.day.day % 2
        else r
        for r in rows
    ]
    result = analyse_blinded(protocol, allocation, dreamy)
    rates = {(r.name, r.arm): r for r in result.side_effects}
    ldn, placebo = rates[("vivid dreams", Arm.ACTIVE)], rates[("vivid dreams", Arm.PLACEBO)]
    assert ldn.days_observed == placebo.days_observed == 42
    assert placebo.days_with == 0
    assert placebo.interval is not None
    assert ldn.interval is not None
    assert ldn.rate is not None
    assert placebo.interval[0] == 0.0
    assert ldn.interval[0] < ldn.rate < ldn.interval[1]
    assert rates[(ANY, Arm.ACTIVE)].days_with == ldn.days_with
    assert result.nocebo == ()  # no no-capsule arm in this design


def test_the_nocebo_ratio_attributes_side_effects_that_come_with_placebo_too():
    design = BlindedDesign(no_capsule=True)
    protocol, allocation = blinded_protocol(design), seeded_allocation(design, seed=6)
    days = []
    for period in protocol.periods():
        arm = allocation.arm_of_period(period.number)
        # Headache on 6 of 14 days on LDN, 5 on placebo, 1 without capsules.
        burden = {Arm.ACTIVE: 6, Arm.PLACEBO: 5, Arm.NO_CAPSULE: 1}[arm]
        for offset in range(period.days):
            day = period.first + dt.timedelta(days=offset)
            effects = frozenset({"headache"}) if offset < burden else frozenset()
            days.append(Observation(day, {"pain": 5.0 + (offset % 3)}, side_effects=effects))
    result = analyse_blinded(protocol, allocation, days)
    ratio = next(r for r in result.nocebo if r.name == "headache")
    assert ratio.ratio == pytest.approx((15 / 42 - 3 / 42) / (18 / 42 - 3 / 42))
    assert ratio.interval is not None
    assert ratio.ratio is not None
    low, high = ratio.interval
    assert low < ratio.ratio < high


@pytest.mark.parametrize(
    ("guesses", "right", "total", "p"),
    [
        ({1: Guess.LDN, 2: Guess.PLACEBO}, 2, 2, 0.5),
        ({1: Guess.PLACEBO, 2: Guess.LDN, 3: Guess.DONT_KNOW}, 0, 2, 0.5),
        ({}, 0, 0, None),
    ],
)
def test_the_blinding_check_counts_right_guesses_against_chance(guesses, right, total, p):
    arms = {1: Arm.ACTIVE, 2: Arm.PLACEBO, 3: Arm.ACTIVE, 4: Arm.PLACEBO}
    check = blinding_check(guesses, arms)
    assert (check.right, check.guesses) == (right, total)
    if p is None:
        assert check.p_value is None
        assert "cannot be checked" in check.summary
    else:
        assert check.p_value == pytest.approx(p)


def test_six_right_guesses_of_six_is_unlikely_by_chance():
    arms = {n: Arm.ACTIVE if n % 2 else Arm.PLACEBO for n in range(1, 7)}
    guesses = {n: Guess.LDN if n % 2 else Guess.PLACEBO for n in range(1, 7)}
    check = blinding_check(guesses, arms)
    # scipy.stats.binomtest(6, 6, 0.5).pvalue == 2 / 64
    assert check.p_value == pytest.approx(stats.binomtest(6, 6, 0.5).pvalue)
    assert check.p_value == pytest.approx(0.03125)
    assert "6 of 6" in check.summary


def test_a_guess_for_a_period_without_capsules_is_refused():
    with pytest.raises(InvalidValue, match="period 3 has no capsules"):
        blinding_check({3: Guess.LDN}, {1: Arm.ACTIVE, 2: Arm.PLACEBO, 3: Arm.NO_CAPSULE})


@pytest.mark.parametrize(
    ("text", "guess"),
    [("LDN", Guess.LDN), ("placebo", Guess.PLACEBO), ("don't know", Guess.DONT_KNOW)],
)
def test_guesses_are_read_from_plain_words(text, guess):
    assert Guess.parse(text) is guess


def test_an_unknown_guess_says_what_is_accepted():
    with pytest.raises(InvalidValue, match="use ldn, placebo or dont_know"):
        Guess.parse("maybe")


def test_a_block_with_no_diary_days_is_left_out_not_an_error():
    protocol, allocation = blinded_protocol(), seeded_allocation(seed=4)
    _, rows = bens_diary(protocol, allocation)
    periods = protocol.periods()
    without_block_2 = [r for r in rows if not (periods[2].first <= r.day <= periods[3].last)]
    pain = analyse_blinded(protocol, allocation, without_block_2).primary
    assert pain.sufficiency is Sufficiency.SUFFICIENT
    assert pain.active_days == pain.placebo_days == 14
    assert pain.p_better is not None
    assert pain.p_better > 0.9


def test_the_open_label_analysis_refuses_a_blinded_protocol():
    from ldntrial.core.analysis.trial import analyse_trial

    with pytest.raises(InvalidValue, match="analysed against placebo with its unblinded"):
        analyse_trial(blinded_protocol(), [])
