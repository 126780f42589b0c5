"""The decision rules on a blinded n-of-1 trial: the same rules, judged against the identical
placebo rather than baseline. Ben's trial: 3 pairs of 14-day periods, 7 run-in days, success
when pain is lower on LDN than on placebo by 30% of the placebo level (probability 80%)."""

import dataclasses

import numpy as np
import pytest

from ldntrial.core.analysis.blinded import analyse_blinded
from ldntrial.core.analysis.blinded_validation import (
    LEAD_IN_DAYS,
    blinded_schedule,
    observations_of,
)
from ldntrial.core.analysis.decision import Decision, Outcome, Rule, decide
from ldntrial.core.analysis.simulation import Noise, Patient, simulate
from ldntrial.core.analysis.trial import Observation
from tests.core.blinded_builders import blinded_protocol, seeded_allocation

PROTOCOL, ALLOCATION = blinded_protocol(), seeded_allocation(seed=4)


def bens_diary(effect: float, seed: int = 2) -> list[Observation]:
    """Ben's pain diary through the open lead-in and the periods, taking every dose."""
    assert PROTOCOL.blinded is not None
    schedule = blinded_schedule(PROTOCOL.blinded, ALLOCATION.arms, LEAD_IN_DAYS)
    patient = Patient(level=6.5, effect=effect, noise=Noise(1.0, 0.4))
    diary = simulate(schedule, patient, np.random.default_rng(seed))
    rows = observations_of(PROTOCOL, diary, "pain", LEAD_IN_DAYS)
    return [dataclasses.replace(r, dose_taken=True) for r in rows]


def decided(rows: list[Observation]) -> Decision:
    return decide(analyse_blinded(PROTOCOL, ALLOCATION, rows), rows)


@pytest.mark.parametrize(
    ("effect", "outcome", "rule", "words"),
    [
        (
            -4.0,
            Outcome.CONTINUE,
            Rule.SUCCESS_CRITERION_MET,
            "LDN better than the identical placebo",
        ),
        (-2.0, Outcome.ADJUST, Rule.PARTIAL_RESPONSE, "Probably better than placebo"),
        (0.0, Outcome.STOP, Rule.CRITERION_NOT_MET, "a probable improvement over placebo"),
    ],
)
def test_the_rules_judge_ldn_against_placebo(effect, outcome, rule, words):
    d = decided(bens_diary(effect))
    assert (d.outcome, d.rule) == (outcome, rule)
    assert words in d.explanation
    assert "baseline" not in d.explanation


def test_a_four_point_benefit_over_placebo_meets_the_criterion_with_its_probability():
    d = decided(bens_diary(-4.0))
    assert d.probability_met is not None
    assert d.probability_met >= 0.8
    assert "(LDN better than the identical placebo by 30% of the placebo level)" in d.explanation


def test_too_few_blinded_periods_mean_more_pairs_of_periods():
    first_analysed_pair_end = PROTOCOL.periods()[1].last
    rows = [r for r in bens_diary(-2.0) if r.day <= first_analysed_pair_end]
    d = decided(rows)
    assert (d.outcome, d.rule) == (Outcome.ADJUST, Rule.INSUFFICIENT_DATA)
    assert "Not enough diary data to judge LDN against placebo" in d.explanation
    assert "further pairs of periods" in d.explanation


def test_capsules_left_untaken_make_the_comparison_with_placebo_uninterpretable():
    rows = [dataclasses.replace(r, dose_taken=i % 2 == 0) for i, r in enumerate(bens_diary(-4.0))]
    d = decided(rows)
    assert (d.outcome, d.rule) == (Outcome.ADJUST, Rule.LOW_ADHERENCE)
    assert "Capsules were taken on" in d.explanation
    assert "whether LDN does better than placebo" in d.explanation


def test_side_effects_still_reported_point_to_tolerability_and_to_their_rates_by_arm():
    rows = bens_diary(0.0)
    end = rows[-1].day
    rows = [
        dataclasses.replace(r, side_effects=frozenset({"insomnia"}))
        if (end - r.day).days < 5
        else r
        for r in rows
    ]
    d = decided(rows)
    assert (d.outcome, d.rule) == (Outcome.ADJUST, Rule.TOLERABILITY)
    assert "compare how often they came on LDN and on placebo" in d.explanation
    (course,) = d.side_effects
    assert (course.name, course.days_reported, course.settled) == ("insomnia", 5, False)


def test_no_dose_on_the_days_without_capsules_is_not_a_missed_dose():
    """With no-capsule periods, the patient answers "not taken" on their days: adherence counts
    only the days a capsule was due (known once unblinded)."""
    from ldntrial.core.trial.blinded import Arm, BlindedDesign

    design = BlindedDesign(no_capsule=True)
    protocol = blinded_protocol(design)
    allocation = seeded_allocation(design, seed=3)
    assert protocol.blinded is not None
    schedule = blinded_schedule(design, allocation.arms, LEAD_IN_DAYS)
    diary = simulate(schedule, Patient(6.5, -3.0, Noise(1.0, 0.4)), np.random.default_rng(1))
    rows = observations_of(protocol, diary, "pain", LEAD_IN_DAYS)
    empty = [p for p in protocol.periods() if allocation.arm_of_period(p.number) is Arm.NO_CAPSULE]
    rows = [
        dataclasses.replace(r, dose_taken=not any(p.contains(r.day) for p in empty)) for r in rows
    ]
    d = decide(analyse_blinded(protocol, allocation, rows), rows)
    assert d.rule is not Rule.LOW_ADHERENCE
    assert d.adherence.share == 1.0
    assert d.adherence.reported == len(rows) - sum(
        1 for r in rows if any(p.contains(r.day) for p in empty)
    )
