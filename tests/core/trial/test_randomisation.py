"""The concealed allocation: drawn with the OS's CSPRNG, balanced within each block, with no
pattern across trials; committed to without revealing it; sealed under a key.

Tolerances of the randomness checks: each statistic is compared with its distribution under
true randomness at about 4.5 standard errors (or p > 1e-5), so a correct generator fails one of
them with probability well under 1 in 10,000 per run, while a first pair that is never shuffled
(StudyU) or an alternating pattern fails every time.
"""

import itertools
import math
from collections import Counter

import numpy as np
import pytest
from scipy import stats

from ldntrial.core.errors import IntegrityFailure, InvalidValue
from ldntrial.core.trial.blinded import Arm, BlindedDesign
from ldntrial.core.trial.randomisation import (
    Allocation,
    draw_allocation,
    key_text,
    new_key,
    parse_key,
    seal,
    sealed_commitment,
    unseal,
)
from tests.core.blinded_builders import FIXED_NONCE, seeded_allocation

DRAWS = 4000
Z = 4.5


@pytest.fixture(scope="module")
def many():
    design = BlindedDesign()
    return [draw_allocation(design) for _ in range(DRAWS)]


def test_every_block_holds_one_ldn_and_one_placebo_period(many):
    for allocation in many:
        for block in range(3):
            assert set(allocation.arms[2 * block : 2 * block + 2]) == {Arm.ACTIVE, Arm.PLACEBO}


def test_the_first_pair_is_randomised_too_about_half_the_time_each_way(many):
    ldn_first = sum(a.arms[0] is Arm.ACTIVE for a in many)
    assert abs(ldn_first - DRAWS / 2) < Z * math.sqrt(DRAWS / 4)


def test_all_eight_sequences_of_three_pairs_are_equally_likely(many):
    counts = Counter(a.arms for a in many)
    assert len(counts) == 8
    assert stats.chisquare(list(counts.values())).pvalue > 1e-5


def test_no_serial_pattern_across_consecutive_trials(many):
    first = np.array([a.arms[0] is Arm.ACTIVE for a in many], dtype=float)
    r = np.corrcoef(first[:-1], first[1:])[0, 1]
    assert abs(r) < Z / math.sqrt(DRAWS)
    # Wald-Wolfowitz runs test on the sequence of first-pair orders.
    ones = first.sum()
    zeros = DRAWS - ones
    runs = 1 + np.count_nonzero(first[1:] != first[:-1])
    mean = 2 * ones * zeros / DRAWS + 1
    variance = (mean - 1) * (mean - 2) / (DRAWS - 1)
    assert abs(runs - mean) < Z * math.sqrt(variance)


def test_no_pattern_between_pairs_within_a_trial(many):
    # Whether pair 2 repeats pair 1's order is a coin toss, whatever pair 1 was.
    same = sum(a.arms[0] == a.arms[2] for a in many)
    assert abs(same - DRAWS / 2) < Z * math.sqrt(DRAWS / 4)


def test_with_a_no_capsule_arm_all_six_orders_of_a_block_occur_evenly():
    design = BlindedDesign(no_capsule=True)
    counts = Counter(draw_allocation(design).arms[:3] for _ in range(3000))
    assert set(counts) == set(itertools.permutations(design.arms))
    assert stats.chisquare(list(counts.values())).pvalue > 1e-5


def test_nonces_are_fresh_so_commitments_differ_even_for_the_same_sequence(many):
    assert len({a.nonce for a in many}) == DRAWS
    same_sequence = [a for a in many if a.arms == many[0].arms][:2]
    assert same_sequence[0].commitment != same_sequence[1].commitment


def test_an_allocation_never_shows_its_arms_in_its_repr():
    allocation = seeded_allocation()
    text = repr(allocation)
    assert "active" not in text.lower()
    assert "placebo" not in text.lower()
    assert FIXED_NONCE not in text


@pytest.mark.parametrize(
    ("arms", "message"),
    [
        ((Arm.ACTIVE, Arm.ACTIVE, Arm.PLACEBO, Arm.PLACEBO, Arm.ACTIVE, Arm.PLACEBO), "block 1"),
        ((Arm.ACTIVE, Arm.PLACEBO), "has 6 periods, not 2"),
    ],
)
def test_an_unbalanced_allocation_cannot_exist(arms, message):
    with pytest.raises(InvalidValue, match=message):
        Allocation(BlindedDesign(), arms, FIXED_NONCE)


def test_kits_are_the_capsule_periods_in_order():
    design = BlindedDesign(no_capsule=True)
    allocation = seeded_allocation(design, seed=3)
    kits = [allocation.kit_of_period(n) for n in range(1, 10)]
    assert sorted(k for k in kits if k is not None) == [1, 2, 3, 4, 5, 6]
    assert [allocation.arm_of_period(n) for n in range(1, 10) if kits[n - 1] is None] == [
        Arm.NO_CAPSULE
    ] * 3
    assert len(allocation.kit_arms()) == 6


def test_sealing_round_trips_with_the_right_key_only():
    allocation, key = seeded_allocation(), new_key()
    sealed = seal(allocation, key)
    assert b"active" not in sealed
    assert b"placebo" not in sealed
    assert sealed_commitment(sealed) == allocation.commitment
    assert unseal(sealed, key, expected_commitment=allocation.commitment) == allocation
    with pytest.raises(IntegrityFailure, match="cannot be opened with this key"):
        unseal(sealed, new_key())


def test_a_changed_sealed_file_or_another_trials_allocation_is_refused():
    allocation, key = seeded_allocation(), new_key()
    sealed = bytearray(seal(allocation, key))
    index = sealed.index(b'"ciphertext":"') + 20
    sealed[index] = ord("A") if sealed[index] != ord("A") else ord("B")
    with pytest.raises(IntegrityFailure):
        unseal(bytes(sealed), key)
    with pytest.raises(IntegrityFailure, match="not the one the protocol commits to"):
        unseal(seal(allocation, key), key, expected_commitment="0" * 64)


@pytest.mark.parametrize("text", ["", "short", "!!!!", key_text(b"x" * 32)[:-4]])
def test_a_bad_key_file_says_how_to_make_one(text):
    with pytest.raises(InvalidValue, match="ldntrial pharmacy new-key"):
        parse_key(text)


def test_a_key_survives_its_text_form():
    key = new_key()
    assert parse_key(key_text(key) + "\n") == key


def test_a_file_that_is_not_a_sealed_allocation_is_a_clear_error():
    with pytest.raises(InvalidValue, match="not a sealed ldntrial allocation"):
        unseal(b"hello", new_key())


def test_periods_outside_the_design_and_malformed_content_are_refused():
    allocation = seeded_allocation()
    with pytest.raises(InvalidValue, match="period 7 does not exist"):
        allocation.arm_of_period(7)
    with pytest.raises(InvalidValue, match="not an ldntrial allocation"):
        Allocation.from_content({"format": "other"})
    broken = {**allocation.content(), "arms": ["sometimes"]}
    with pytest.raises(InvalidValue, match="malformed"):
        Allocation.from_content(broken)
    assert Allocation.from_content(allocation.content()) == allocation
