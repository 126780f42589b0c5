"""Amendments: a locked protocol's schedule changed from a day on, as a new locked version."""

import datetime as dt

import pytest

from ldntrial.core.doses import Dose
from ldntrial.core.errors import InvalidValue, PlanRefused, WarningsNotAccepted
from ldntrial.core.trial.amendment import (
    Amendment,
    AmendmentKind,
    amend,
    remaining_schedule,
    replacement_steps,
)
from ldntrial.core.trial.drug import Timing
from ldntrial.core.trial.protocol import PhaseKind
from ldntrial.core.trial.titration import WarningCode
from tests.conftest import NOW

FIRST_DOSE = dt.date(2026, 12, 12)  # Ana: 1.5 mg, 3 mg from 26 Dec, 4.5 mg from 9 Jan, at night
DAY_30 = dt.date(2026, 12, 30)  # Ana is on 3 mg and has vivid dreams
LATER = NOW + dt.timedelta(days=33)


@pytest.fixture
def locked(protocol):
    return protocol.lock(at=NOW)


def doses(protocol):
    return [(s.start.isoformat(), str(s.dose), s.timing.value) for s in protocol.titration.steps]


def run(locked, profile, amendment, **kw):
    return amend(locked, amendment, today=DAY_30, at=LATER, profile=profile, **kw)


@pytest.mark.parametrize(
    ("amendment", "expected"),
    [
        (
            Amendment(AmendmentKind.HOLD, DAY_30, "tired", hold_days=7),
            [
                ("2026-12-12", "1.5 mg", "night"),
                ("2026-12-26", "3 mg", "night"),
                ("2027-01-16", "4.5 mg", "night"),
            ],
        ),
        (
            Amendment(AmendmentKind.STEP_BACK, DAY_30, "vivid dreams at 3 mg"),
            [
                ("2026-12-12", "1.5 mg", "night"),
                ("2026-12-26", "3 mg", "night"),
                ("2026-12-30", "1.5 mg", "night"),
            ],
        ),
        (
            Amendment(AmendmentKind.SWITCH_TIMING, DAY_30, "vivid dreams", timing=Timing.MORNING),
            [
                ("2026-12-12", "1.5 mg", "night"),
                ("2026-12-26", "3 mg", "night"),
                ("2026-12-30", "3 mg", "morning"),
                ("2027-01-09", "4.5 mg", "morning"),
            ],
        ),
        (
            Amendment(
                AmendmentKind.REPLACE_SCHEDULE,
                DAY_30,
                "stay at 3 mg",
                steps=replacement_steps([(DAY_30, "2.5", "night")]),
            ),
            [
                ("2026-12-12", "1.5 mg", "night"),
                ("2026-12-26", "3 mg", "night"),
                ("2026-12-30", "2.5 mg", "night"),
            ],
        ),
    ],
    ids=lambda v: v.kind.value if isinstance(v, Amendment) else "",
)
def test_each_kind_of_amendment_changes_the_schedule_from_its_day(
    locked, profile, amendment, expected
):
    amended = run(locked, profile, amendment)
    assert doses(amended.protocol) == expected
    assert amended.protocol.is_locked
    assert amended.parent_fingerprint == locked.fingerprint
    assert amended.fingerprint != locked.fingerprint
    assert amended.changes  # the difference is listed


def test_the_locked_original_never_changes(locked, profile):
    before = (locked.fingerprint, doses(locked))
    run(locked, profile, Amendment(AmendmentKind.STEP_BACK, DAY_30, "nausea"))
    assert (locked.fingerprint, doses(locked)) == before


def test_only_the_schedule_changes_baseline_and_reassessment_stay(locked, profile):
    amended = run(locked, profile, Amendment(AmendmentKind.STEP_BACK, DAY_30, "nausea")).protocol
    assert amended.phases()[0] == locked.phases()[0]
    assert amended.phases()[0].kind is PhaseKind.BASELINE
    assert amended.reassessment_date == locked.reassessment_date
    assert amended.success == locked.success
    assert amended.metrics == locked.metrics


def test_a_step_back_moves_maintenance_to_the_lower_dose_so_the_analysis_follows(locked, profile):
    amended = run(locked, profile, Amendment(AmendmentKind.STEP_BACK, DAY_30, "nausea")).protocol
    maintenance = amended.phases()[-1]
    assert maintenance.kind is PhaseKind.MAINTENANCE
    assert amended.titration.step_on(maintenance.first).dose == Dose("1.5")
    assert maintenance.first == DAY_30


def test_the_difference_names_removed_and_added_steps(locked, profile):
    amended = run(locked, profile, Amendment(AmendmentKind.STEP_BACK, DAY_30, "nausea"))
    assert [c.describe() for c in amended.changes] == [
        "added: from 2026-12-30 1.5 mg night",
        "removed: from 2027-01-09 4.5 mg night",
    ]


def test_an_amendment_needs_a_reason():
    with pytest.raises(InvalidValue, match="say why"):
        Amendment(AmendmentKind.STEP_BACK, DAY_30, "   ")


@pytest.mark.parametrize("days", [0, -1, 85, True])
def test_a_hold_has_a_sane_length(days):
    with pytest.raises(InvalidValue, match="hold for 1 to 84 days"):
        Amendment(AmendmentKind.HOLD, DAY_30, "tired", hold_days=days)


def test_the_past_cannot_be_amended(locked, profile):
    with pytest.raises(InvalidValue, match="doses already taken cannot change"):
        run(locked, profile, Amendment(AmendmentKind.STEP_BACK, DAY_30 - dt.timedelta(1), "x"))


def test_an_amendment_after_reassessment_is_refused(locked, profile):
    late = locked.reassessment_date + dt.timedelta(days=1)
    with pytest.raises(InvalidValue, match="with a new reassessment date"):
        amend(
            locked,
            Amendment(AmendmentKind.HOLD, late, "x", hold_days=3),
            today=late,
            at=LATER,
            profile=profile,
        )


def test_a_draft_is_edited_not_amended(protocol, profile):
    with pytest.raises(InvalidValue, match="edit the draft"):
        run(protocol, profile, Amendment(AmendmentKind.HOLD, DAY_30, "x", hold_days=3))


def test_no_step_back_below_the_first_dose(locked, profile):
    with pytest.raises(PlanRefused, match="already the lowest dose"):
        amend(
            locked,
            Amendment(AmendmentKind.STEP_BACK, FIRST_DOSE, "nausea"),
            today=FIRST_DOSE,
            at=LATER,
            profile=profile,
        )


def test_a_replacement_with_new_warnings_needs_them_accepted(locked, profile):
    amendment = Amendment(
        AmendmentKind.REPLACE_SCHEDULE,
        DAY_30,
        "faster",
        steps=replacement_steps(
            [(DAY_30, "4.5", "night"), (DAY_30 + dt.timedelta(1), "6", "night")]
        ),
    )
    with pytest.raises(WarningsNotAccepted):
        run(locked, profile, amendment)
    amended = run(
        locked,
        profile,
        amendment,
        accepted=[WarningCode.TARGET_ABOVE_USUAL, WarningCode.STEPS_TOO_CLOSE],
    )
    assert WarningCode.TARGET_ABOVE_USUAL in amended.protocol.accepted_warnings


def test_a_replacement_must_start_on_the_amendment_day():
    with pytest.raises(InvalidValue, match="must start on the day"):
        Amendment(
            AmendmentKind.REPLACE_SCHEDULE,
            DAY_30,
            "x",
            steps=replacement_steps([(DAY_30 + dt.timedelta(1), "3", "night")]),
        )


def test_an_amendment_that_changes_nothing_is_refused(locked, profile):
    with pytest.raises(InvalidValue, match="already taken in the night"):
        run(
            locked,
            profile,
            Amendment(AmendmentKind.SWITCH_TIMING, DAY_30, "x", timing=Timing.NIGHT),
        )


def test_the_remaining_schedule_starts_on_the_amendment_day(locked, profile):
    amended = run(
        locked,
        profile,
        Amendment(AmendmentKind.SWITCH_TIMING, DAY_30, "dreams", timing=Timing.MORNING),
    ).protocol
    rest = remaining_schedule(amended.titration, DAY_30)
    assert rest.first_day == DAY_30
    assert rest.end == amended.reassessment_date
    assert str(rest.steps[0].dose) == "3 mg"
    assert rest.steps[0].timing is Timing.MORNING


def test_a_step_back_soon_after_an_increase_needs_no_acceptance(locked, profile):
    two_days_after_3mg = dt.date(2026, 12, 28)
    amended = amend(
        locked,
        Amendment(AmendmentKind.STEP_BACK, two_days_after_3mg, "vivid dreams"),
        today=two_days_after_3mg,
        at=LATER,
        profile=profile,
    )
    assert amended.warnings == ()


def test_a_retry_soon_after_is_an_increase_and_needs_acceptance(locked, profile):
    with pytest.raises(WarningsNotAccepted, match="accept it explicitly"):
        run(locked, profile, Amendment(AmendmentKind.STEP_BACK, DAY_30, "x", retry_after_days=1))


def test_a_replacement_may_start_with_the_dose_in_effect(locked, profile):
    steps = replacement_steps([(DAY_30, "3", "night"), (DAY_30 + dt.timedelta(14), "3", "morning")])
    amended = run(
        locked, profile, Amendment(AmendmentKind.REPLACE_SCHEDULE, DAY_30, "x", steps=steps)
    )
    assert doses(amended.protocol)[-2:] == [
        ("2026-12-26", "3 mg", "night"),
        ("2027-01-13", "3 mg", "morning"),
    ]


def test_after_adjust_a_replacement_extends_the_trial_to_a_new_reassessment(locked, profile):
    late = locked.reassessment_date + dt.timedelta(days=3)
    later = late + dt.timedelta(weeks=4)
    amendment = Amendment(
        AmendmentKind.REPLACE_SCHEDULE,
        late,
        "partial response: four more weeks in the morning",
        steps=replacement_steps([(late, "4.5", "morning")]),
        new_reassessment=later,
    )
    amended = amend(locked, amendment, today=late, at=LATER, profile=profile).protocol
    assert amended.reassessment_date == later
    assert amended.titration.end == later
    assert amended.phases()[0] == locked.phases()[0]  # the baseline stays
    # Maintenance is on the final dose from the day it was reached; a timing change is no new
    # phase. It now runs to the new reassessment.
    assert amended.phases()[-1].first == dt.date(2027, 1, 9)
    assert amended.phases()[-1].last == later


def test_the_reassessment_moves_at_most_26_weeks_after_the_first_dose(locked, profile):
    far = FIRST_DOSE + dt.timedelta(weeks=27)
    amendment = Amendment(
        AmendmentKind.REPLACE_SCHEDULE,
        DAY_30,
        "x",
        steps=replacement_steps([(DAY_30, "4.5", "night")]),
        new_reassessment=far,
    )
    with pytest.raises(InvalidValue, match="at most 26 weeks"):
        run(locked, profile, amendment)


def test_only_a_replacement_moves_the_reassessment():
    with pytest.raises(InvalidValue, match="only a replacement"):
        Amendment(AmendmentKind.HOLD, DAY_30, "x", hold_days=3, new_reassessment=DAY_30)


# Blinded n-of-1 trials: the open titration may still find the tolerated dose; the periods
# follow it and are never changed once they have begun.


@pytest.fixture
def blinded_locked():
    from tests.core.blinded_builders import blinded_protocol

    return blinded_protocol(commitment="c" * 64).lock(at=NOW)


def test_a_hold_in_the_open_titration_moves_the_blinded_periods_with_the_tolerated_dose(
    blinded_locked, profile
):
    amended = run(
        blinded_locked, profile, Amendment(AmendmentKind.HOLD, DAY_30, "tired", hold_days=7)
    ).protocol
    before, after = blinded_locked.periods(), amended.periods()
    assert after[0].first == before[0].first + dt.timedelta(days=7) == dt.date(2027, 1, 16)
    assert amended.reassessment_date == after[-1].last
    assert amended.allocation_commitment == blinded_locked.allocation_commitment


def test_a_step_back_makes_the_lower_dose_the_tolerated_one_whose_periods_start_that_day(
    blinded_locked, profile
):
    amended = run(
        blinded_locked, profile, Amendment(AmendmentKind.STEP_BACK, DAY_30, "vivid dreams")
    ).protocol
    assert amended.titration.steps[-1].dose == Dose("1.5")
    assert amended.periods()[0].first == DAY_30
    assert amended.reassessment_date == DAY_30 + dt.timedelta(days=6 * 14 - 1)


def test_the_dose_cannot_change_once_the_blinded_periods_have_begun(blinded_locked, profile):
    first = blinded_locked.periods()[0].first
    with pytest.raises(InvalidValue, match="breaking the blinding"):
        amend(
            blinded_locked,
            Amendment(AmendmentKind.SWITCH_TIMING, first, "dreams", timing=Timing.MORNING),
            today=first,
            at=LATER,
            profile=profile,
        )


def test_a_blinded_trial_s_reassessment_cannot_be_moved_by_hand(blinded_locked, profile):
    with pytest.raises(InvalidValue, match="follows from its periods"):
        run(
            blinded_locked,
            profile,
            Amendment(
                AmendmentKind.REPLACE_SCHEDULE,
                DAY_30,
                "stay at 3 mg",
                steps=replacement_steps([(DAY_30, "3", "night")]),
                new_reassessment=dt.date(2027, 4, 1),
            ),
        )
