"""Compounding quantities: what the pharmacy prepares for a schedule, overage included."""

import datetime as dt
from decimal import Decimal

import pytest

from ldntrial.core.doses import Dose
from ldntrial.core.errors import InvalidValue, PlanRefused
from ldntrial.core.trial.compounding import (
    Capsules,
    OralLiquid,
    compounding_order,
    default_capsules,
    fewest_capsules,
    oral_liquid,
)
from ldntrial.core.trial.titration import TitrationPlan, plan_titration

FIRST = dt.date(2026, 12, 12)


@pytest.fixture
def usual(profile):
    schedule, _ = plan_titration(
        TitrationPlan.of(start=1.5, step=1.5, interval_days=14, target=4.5, timing="night"),
        first_dose=FIRST,
        end=FIRST + dt.timedelta(weeks=12),
        profile=profile,
    )
    return schedule  # 14 days at 1.5 mg, 14 at 3 mg, 57 at 4.5 mg


def strengths(*mg):
    return tuple(Dose(m) for m in mg)


@pytest.mark.parametrize(
    ("dose", "offered", "expected"),
    [
        ("4.5", (1.5, 3, 4.5), [("4.5", 1)]),
        ("4.5", (1.5, 3), [("3", 1), ("1.5", 1)]),
        ("2.5", (0.5, 1, 2), [("2", 1), ("0.5", 1)]),
        ("6", (1, 3, 4.5), [("3", 2)]),  # two capsules, not 4.5 + 1 + ... or six of 1 mg
        ("3", (1,), [("1", 3)]),
    ],
)
def test_each_dose_is_made_from_the_fewest_capsules(dose, offered, expected):
    got = fewest_capsules(Dose(dose), strengths(*offered))
    assert [(s.text, n) for s, n in got] == expected


def test_a_dose_the_strengths_cannot_make_is_refused_with_a_fix():
    with pytest.raises(
        PlanRefused,
        match=r"2.25 mg cannot be made from the capsule strengths "
        r"offered \(1, 1.5 mg\): add a 2.25 mg strength or change the dose",
    ):
        fewest_capsules(Dose("2.25"), strengths(1, 1.5))


def test_capsules_cover_each_step_and_the_whole_trial_plus_overage(profile, usual):
    order = compounding_order(usual, default_capsules(profile), overage_percent=10)
    assert [(s.period.days, [(d.text, n) for d, n in s.daily_capsules]) for s in order.steps] == [
        (14, [("1.5", 1)]),
        (14, [("3", 1)]),
        (57, [("4.5", 1)]),
    ]
    # needed, then dispensed with 10% rounded up: 14 -> 15.4 -> 16; 57 -> 62.7 -> 63
    assert [(s.text, need, give) for s, need, give in order.total_capsules()] == [
        ("1.5", 14, 16),
        ("3", 14, 16),
        ("4.5", 57, 63),
    ]


def test_without_a_matching_strength_a_dose_is_split_across_capsules(profile, usual):
    order = compounding_order(usual, Capsules(strengths(1.5), 180), overage_percent=0)
    assert [(s.text, need, give) for s, need, give in order.total_capsules()] == [
        ("1.5", 14 + 14 * 2 + 57 * 3, 14 + 14 * 2 + 57 * 3)
    ]


def test_an_oral_liquid_is_measured_in_millilitres(profile, usual):
    order = compounding_order(usual, oral_liquid(Decimal(1), profile), overage_percent=10)
    assert [s.daily_millilitres for s in order.steps] == [
        Decimal("1.5"),
        Decimal(3),
        Decimal("4.5"),
    ]
    totals = order.total_millilitres()
    assert totals is not None
    need, give = totals
    assert need == Decimal("1.5") * 14 + 3 * 14 + Decimal("4.5") * 57
    assert give == (need * Decimal("1.1")).to_integral_value(rounding="ROUND_CEILING")


def test_liquid_fills_are_split_so_none_outlasts_its_beyond_use_period(profile, usual):
    liquid = oral_liquid(Decimal(5), profile)
    assert liquid.beyond_use_days == 60  # refrigerated, per the sourced recipe
    order = compounding_order(usual, liquid, overage_percent=0)
    assert [(f.first, f.last, f.days) for f in order.fills] == [
        (FIRST, FIRST + dt.timedelta(days=59), 60),
        (FIRST + dt.timedelta(days=60), usual.end, 25),
    ]
    totals = order.total_millilitres()
    assert totals is not None
    needed = [f.millilitres[0] for f in order.fills if f.millilitres is not None]
    assert len(needed) == len(order.fills)
    assert sum(needed) == totals[0]


@pytest.mark.parametrize("overage", [-1, 101, 2.5, True])
def test_an_overage_outside_0_to_100_percent_is_refused(profile, usual, overage):
    with pytest.raises(InvalidValue, match="overage"):
        compounding_order(usual, default_capsules(profile), overage_percent=overage)


@pytest.mark.parametrize("concentration", ["0", "-1", "NaN", "60"])
def test_an_impossible_liquid_concentration_is_refused(concentration):
    with pytest.raises(InvalidValue, match="is not possible"):
        OralLiquid(Decimal(concentration), 60)


def _brute_force_count(dose, offered):
    # Reference: try every multiset of capsules, fewest first.
    import itertools

    for count in range(1, 13):
        for combo in itertools.combinations_with_replacement(offered, count):
            if sum(s.mg for s in combo) == dose.mg:
                return count
    return None


@pytest.mark.parametrize("tenths", range(5, 61, 5))
@pytest.mark.parametrize(
    "offered", [(0.5, 1, 1.5, 2, 3), (0.75, 1.5, 4.5), (1, 3), (0.5, 0.75, 1, 1.5, 2, 3, 4, 4.5, 6)]
)
def test_the_fewest_capsules_agree_with_a_brute_force_search(tenths, offered):
    dose, offered = Dose(Decimal(tenths) / 10), strengths(*offered)
    expected = _brute_force_count(dose, offered)
    if expected is None:
        with pytest.raises(PlanRefused):
            fewest_capsules(dose, offered)
    else:
        got = fewest_capsules(dose, offered)
        assert sum(n for _, n in got) == expected
        assert sum(s.mg * n for s, n in got) == dose.mg
