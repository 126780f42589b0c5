"""Kits: identical for everyone but the pharmacy; the preparation sheet says what is in each."""

import pytest

from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.blinded import Arm, BlindedDesign
from ldntrial.core.trial.kits import CapsuleSpec, kit_list, preparation_sheet
from tests.core.blinded_builders import blinded_protocol, seeded_allocation


def test_kits_are_numbered_one_to_2k_with_the_same_count_and_label_whatever_they_hold():
    protocol = blinded_protocol()
    kits = kit_list(protocol)
    assert [k.number for k in kits.kits] == [1, 2, 3, 4, 5, 6]
    overage = protocol.overage_percent
    assert {k.capsules for k in kits.kits} == {-(-14 * (100 + overage) // 100)}
    # Remove what differs by design (number, dates); what is left is identical.
    stripped = {
        k.label.replace(f"Kit {k.number} ", "Kit N ")
        .replace(k.first.isoformat(), "D1")
        .replace(k.last.isoformat(), "D2")
        for k in kits.kits
    }
    assert len(stripped) == 1
    assert "or placebo" in kits.kits[0].label


def test_the_kit_list_says_nothing_that_depends_on_the_allocation():
    protocol = blinded_protocol()
    assert kit_list(protocol) == kit_list(protocol)  # it takes no allocation at all
    assert not hasattr(kit_list(protocol).kits[0], "arm")


def test_the_preparation_sheet_follows_the_allocation_with_one_capsule_spec():
    protocol, allocation = blinded_protocol(), seeded_allocation(seed=5)
    sheet = preparation_sheet(
        protocol, allocation, spec=CapsuleSpec("1", "opaque blue"), lots={1: "L-001"}
    )
    assert [line.arm for line in sheet.lines] == list(allocation.kit_arms())
    assert sheet.lines[0].lot == "L-001"
    assert sheet.lines[1].lot is None
    active = [line for line in sheet.lines if line.arm is Arm.ACTIVE]
    placebo = [line for line in sheet.lines if line.arm is Arm.PLACEBO]
    assert len(active) == len(placebo) == 3
    assert {line.capsules for line in sheet.lines} == {kit_list(protocol).kits[0].capsules}
    assert all("naltrexone 4.5 mg per capsule" in line.content for line in active)
    assert all("no naltrexone" in line.content for line in placebo)
    assert "size 1, opaque blue shell, microcrystalline cellulose filler" in sheet.statement


def test_a_sheet_for_another_design_or_commitment_is_refused():
    protocol = blinded_protocol()
    with pytest.raises(InvalidValue, match="not for this protocol"):
        preparation_sheet(protocol, seeded_allocation(BlindedDesign(pairs=4)))
    committed = blinded_protocol(commitment="0" * 64)
    with pytest.raises(InvalidValue, match="not the one this protocol commits to"):
        preparation_sheet(committed, seeded_allocation())
    with pytest.raises(InvalidValue, match="no kit 9"):
        preparation_sheet(protocol, seeded_allocation(), lots={9: "x"})


def test_an_open_label_protocol_has_no_kits(protocol):
    with pytest.raises(InvalidValue, match="only a blinded n-of-1 protocol has kits"):
        kit_list(protocol)


def test_a_capsule_spec_must_be_stated():
    with pytest.raises(InvalidValue, match="capsule colour must be stated"):
        CapsuleSpec(colour=" ")


def test_with_a_no_capsule_arm_there_are_still_two_kits_per_block():
    protocol = blinded_protocol(BlindedDesign(no_capsule=True))
    kits = kit_list(protocol).kits
    assert len(kits) == 6
    periods = protocol.periods()
    assert kits[0].first == periods[0].first
    assert kits[0].last == periods[2].last
    assert "for 14 days from the day you are told" in kits[0].label
