"""A blinded trial period by period, and the descriptive carry-over check of the run-in days."""

import datetime as dt

from ldntrial.core.analysis.blinded_periods import carry_over_check, period_summaries
from ldntrial.core.analysis.trial import Observation
from ldntrial.core.trial.blinded import Arm
from tests.core.blinded_builders import blinded_protocol, seeded_allocation

PROTOCOL, ALLOCATION = blinded_protocol(), seeded_allocation(seed=4)


def diary(score) -> list[Observation]:
    """Every day of every period, scored by ``score(arm, day in period)``."""
    rows = []
    for period in PROTOCOL.periods():
        arm = ALLOCATION.arm_of_period(period.number)
        for offset in range(period.days):
            day = period.first + dt.timedelta(days=offset)
            rows.append(Observation(day, {"pain": float(score(arm, offset))}))
    return rows


def test_each_period_has_its_arm_kit_days_and_means_on_run_in_and_analysed_days():
    rows = diary(lambda arm, offset: (4 if arm is Arm.ACTIVE else 6) + (offset < 7))
    summaries = period_summaries(PROTOCOL, ALLOCATION, rows, "pain")
    assert [s.arm for s in summaries] == list(ALLOCATION.arms)
    assert [s.kit for s in summaries] == [1, 2, 3, 4, 5, 6]
    for s in summaries:
        assert (s.recorded_days, s.analysed_days) == (14, 7)
        level = 4.0 if s.arm is Arm.ACTIVE else 6.0
        assert (s.run_in_mean, s.analysed_mean) == (level + 1, level)


def test_missing_days_are_counted_as_missing():
    rows = [r for r in diary(lambda arm, offset: 5) if r.day != PROTOCOL.periods()[0].last]
    first = period_summaries(PROTOCOL, ALLOCATION, rows, "pain")[0]
    assert (first.recorded_days, first.analysed_days) == (13, 6)


def test_an_effect_that_lingers_shows_in_the_run_in_of_the_periods_after_ldn():
    """LDN lowers pain by 2 points, and the benefit lingers for the first 5 days after LDN stops."""
    lingering = {p.number for p in PROTOCOL.periods() if _follows_ldn(p.number)}

    def score(arm, offset):
        return 4 if arm is Arm.ACTIVE else 6

    rows = diary(score)
    periods = {p.number: p for p in PROTOCOL.periods()}
    rows = [
        Observation(r.day, {"pain": 4.0})
        if any(
            periods[n].first <= r.day < periods[n].first + dt.timedelta(days=5) for n in lingering
        )
        else r
        for r in rows
    ]
    summaries = period_summaries(PROTOCOL, ALLOCATION, rows, "pain")
    check = carry_over_check(summaries, PROTOCOL.primary)
    assert check.after_ldn.periods == len(lingering)
    assert check.after_ldn.difference is not None
    assert check.after_ldn.difference < -1  # run-in lower (better) than the analysed days
    assert check.ldn_after_none.difference == 0
    assert "A carry-over of LDN's effect would show as lower scores" in check.summary
    assert "This is descriptive" in check.summary


def _follows_ldn(number: int) -> bool:
    previous = Arm.ACTIVE if number == 1 else ALLOCATION.arm_of_period(number - 1)
    return previous is Arm.ACTIVE and ALLOCATION.arm_of_period(number) is not Arm.ACTIVE


def test_the_first_period_follows_the_open_titration_on_ldn():
    """Ben's sequence: placebo, LDN | LDN, placebo | placebo, LDN."""
    assert [a.value for a in ALLOCATION.arms] == [
        "placebo",
        "active",
        "active",
        "placebo",
        "placebo",
        "active",
    ]
    summaries = period_summaries(PROTOCOL, ALLOCATION, diary(lambda arm, offset: 5), "pain")
    check = carry_over_check(summaries, PROTOCOL.primary)
    assert check.after_ldn.numbers == (1, 4)
    assert check.ldn_after_none.numbers == (2, 6)
