"""What the patient is told in each blinded period: a number, a block, a kit; never an arm."""

import datetime as dt
import re

from ldntrial.core.trial.blinded import BlindedDesign
from ldntrial.core.trial.blinded_instructions import instruction_on, period_instructions
from tests.core.blinded_builders import blinded_protocol

ARM_WORDS = re.compile(r"placebo|active|no_capsule|naltrexone|LDN", re.IGNORECASE)


def test_each_period_names_its_number_and_its_kit_each_night():
    protocol = blinded_protocol()
    instructions = period_instructions(protocol)
    assert [i.period.number for i in instructions] == [1, 2, 3, 4, 5, 6]
    assert instructions[2].text == "Blinded period 3 of 6 — take one capsule from kit 3 each night"
    assert instructions[2].short == "Blinded period 3 of 6: one capsule from kit 3"


def test_with_no_capsule_periods_the_kit_is_not_tied_to_the_period():
    protocol = blinded_protocol(BlindedDesign(no_capsule=True))
    instructions = period_instructions(protocol)
    assert len(instructions) == 9
    assert {i.kit for i in instructions} == {None}
    assert instructions[4].text == (
        "Blinded period 5 of 9 (block 2) — take one capsule each night from the kit the "
        "pharmacy gave you for this period, or none if you were told this period has no capsules"
    )


def test_the_wording_is_the_same_for_every_period_but_its_numbers_and_names_no_arm():
    for design in (BlindedDesign(), BlindedDesign(no_capsule=True)):
        instructions = period_instructions(blinded_protocol(design))
        texts = {re.sub(r"\d+", "N", i.text + i.short) for i in instructions}
        assert len(texts) == 1
        assert not ARM_WORDS.search(texts.pop())


def test_the_instruction_of_a_day_is_its_period_s_and_none_outside_the_periods():
    protocol = blinded_protocol()
    first = protocol.periods()[0].first
    assert instruction_on(protocol, first - dt.timedelta(days=1)) is None
    on_day = instruction_on(protocol, first + dt.timedelta(days=15))
    assert on_day is not None
    assert on_day.period.number == 2
    assert instruction_on(protocol, protocol.reassessment_date + dt.timedelta(days=1)) is None
