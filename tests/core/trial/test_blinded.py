"""The blinded n-of-1 design in the protocol: its periods, its rules, its fingerprint."""

import dataclasses
import datetime as dt

import pytest

from ldntrial import data
from ldntrial.core.errors import InvalidValue, ProtocolLocked
from ldntrial.core.trial.blinded import Arm, BlindedDesign
from ldntrial.core.trial.document import protocol_from_document, protocol_to_document
from ldntrial.core.trial.protocol import Design, PhaseKind
from tests.conftest import NOW
from tests.core.blinded_builders import blinded_protocol


def test_the_default_design_is_three_pairs_of_fourteen_days_with_seven_run_in_days():
    design = BlindedDesign()
    assert (design.pairs, design.period_days, design.run_in_days) == (3, 14, 7)
    assert design.periods == 6
    assert design.kits == 6
    assert design.days == 84
    assert design.arms == (Arm.ACTIVE, Arm.PLACEBO)


def test_a_no_capsule_arm_makes_blocks_of_three_with_two_kits_each():
    design = BlindedDesign(no_capsule=True)
    assert design.arms == (Arm.ACTIVE, Arm.PLACEBO, Arm.NO_CAPSULE)
    assert design.periods == 9
    assert design.kits == 6


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"pairs": 1}, "pairs must be a whole number from 2 to 8"),
        ({"pairs": 9}, "pairs must be a whole number from 2 to 8"),
        ({"pairs": True}, "pairs must be a whole number"),
        ({"period_days": 6}, "period days must be a whole number from 7 to 56"),
        ({"run_in_days": -1}, "run-in days must be a whole number of 0 or more"),
        ({"run_in_days": 12}, "leaves 2 analysed days"),
        ({"no_capsule": "yes"}, "no capsule must be true or false"),
    ],
)
def test_impossible_designs_are_refused_with_a_fix(changes, message):
    with pytest.raises(InvalidValue, match=message):
        BlindedDesign(**changes)


def test_the_periods_follow_the_open_titration_to_the_tolerated_dose():
    protocol = blinded_protocol()
    assert protocol.design is Design.BLINDED_N_OF_1
    maintenance = protocol.phases()[-1]
    assert maintenance.kind is PhaseKind.MAINTENANCE
    periods = protocol.periods()
    assert periods[0].first == maintenance.first
    assert periods[-1].last == protocol.reassessment_date
    assert [p.pair for p in periods] == [1, 1, 2, 2, 3, 3]
    assert all(p.days == 14 for p in periods)
    assert periods[1].first == periods[0].last + dt.timedelta(days=1)
    assert periods[0].first_analysed == periods[0].first + dt.timedelta(days=7)
    # The whole tolerated dose is taken in every blinded period.
    assert all(step.start <= maintenance.first for step in protocol.titration.steps)


def test_the_reassessment_must_be_the_last_day_of_the_last_period():
    protocol = blinded_protocol()
    with pytest.raises(InvalidValue, match="the reassessment must be on that last day"):
        dataclasses.replace(
            protocol,
            reassessment_date=protocol.reassessment_date + dt.timedelta(days=1),
            titration=dataclasses.replace(
                protocol.titration, end=protocol.reassessment_date + dt.timedelta(days=1)
            ),
        )


def test_the_design_is_part_of_the_fingerprint():
    three, four = blinded_protocol(), blinded_protocol(BlindedDesign(pairs=4))
    run_in = blinded_protocol(BlindedDesign(run_in_days=5))
    assert len({three.fingerprint, four.fingerprint, run_in.fingerprint}) == 3
    assert three.content()["blinded"] == {
        "pairs": 3,
        "period_days": 14,
        "run_in_days": 7,
        "no_capsule": False,
        "allocation_commitment": None,
    }


def test_the_protocol_holds_a_commitment_to_the_allocation_never_the_allocation():
    protocol = blinded_protocol(commitment="ab" * 32)
    text = str(protocol_to_document(protocol))
    assert "ab" * 32 in text
    for word in ("active", "placebo", "arms"):
        assert word not in text.lower().replace("placebo period", "")


def test_a_commitment_must_be_a_sha256():
    with pytest.raises(InvalidValue, match="64 lower-case hex digits"):
        blinded_protocol(commitment="not-a-hash")


def test_an_open_label_protocol_has_no_blinded_part(protocol):
    assert "blinded" not in protocol.content()
    assert protocol.periods() == ()
    with pytest.raises(InvalidValue, match="open-label protocol has no blinded periods"):
        dataclasses.replace(protocol, blinded=BlindedDesign())


def test_a_blinded_protocol_reads_back_as_written_and_stays_locked():
    locked = blinded_protocol(commitment="cd" * 32).lock(at=NOW)
    document = protocol_to_document(locked)
    again = protocol_from_document(
        document, profile=data.ldn_profile(), conditions=data.conditions()
    )
    assert again == locked
    assert again.fingerprint == locked.fingerprint
    assert again.blinded == BlindedDesign()
    with pytest.raises(ProtocolLocked):
        dataclasses.replace(locked, allocation_commitment="ef" * 32)


def test_a_changed_blinded_design_breaks_the_locked_fingerprint():
    from ldntrial.core.errors import IntegrityFailure

    document = protocol_to_document(blinded_protocol().lock(at=NOW))
    document["protocol"]["blinded"]["run_in_days"] = 5
    with pytest.raises(IntegrityFailure, match="fingerprint mismatch"):
        protocol_from_document(document, profile=data.ldn_profile(), conditions=data.conditions())


@pytest.mark.parametrize(
    ("blinded", "message"),
    [
        ({"pairs": 3}, "needs exactly pairs, period_days, run_in_days and no_capsule"),
        (
            {"pairs": 3, "period_days": 14, "run_in_days": 7, "no_capsule": False, "x": 1},
            "unknown: x",
        ),
        ("three", "must be a JSON object"),
    ],
)
def test_a_malformed_blinded_block_is_a_clear_error(blinded, message):
    document = protocol_to_document(blinded_protocol())
    document["protocol"]["blinded"] = blinded
    with pytest.raises(InvalidValue, match=message):
        protocol_from_document(document, profile=data.ldn_profile(), conditions=data.conditions())


def test_the_reassessment_window_rule_of_open_trials_does_not_apply_to_blinded_ones():
    protocol = blinded_protocol(BlindedDesign(pairs=4, period_days=21))
    assert protocol.weeks_to_reassessment > 12  # beyond the open-label window, by design


def test_with_a_custom_schedule_the_periods_start_when_the_last_dose_does():
    from ldntrial.core.doses import Dose
    from ldntrial.core.trial.drug import Timing
    from ldntrial.core.trial.titration import DoseStep, StepReason
    from tests.conftest import START

    first_dose = START + dt.timedelta(days=14)
    steps = (
        DoseStep(first_dose, Dose("1.5"), Timing.NIGHT, StepReason.CUSTOM),
        DoseStep(first_dose + dt.timedelta(days=10), Dose("3"), Timing.NIGHT, StepReason.CUSTOM),
    )
    protocol = blinded_protocol(custom_steps=steps)
    assert protocol.periods()[0].first == first_dose + dt.timedelta(days=10)
    assert protocol.reassessment_date == first_dose + dt.timedelta(days=10 + 84 - 1)
