"""The prescription a pharmacist reads."""

import datetime as dt
from decimal import Decimal

from ldntrial import data
from ldntrial.core.trial.compounding import compounding_order, oral_liquid
from ldntrial.core.trial.design import design_protocol
from ldntrial.reports.prescription import prescription_text
from tests.conftest import NOW


def ana(profile, **overrides):
    protocol, _ = design_protocol(
        condition="fibromyalgia",
        start_date=dt.date(2026, 11, 28),
        profile=profile,
        instruments=data.instruments(),
        conditions=data.conditions(),
        time_zone="Europe/London",
        **overrides,
    )
    return protocol


def text_for(protocol, profile, patient=None):
    order = compounding_order(
        protocol.titration, protocol.formulation, overage_percent=protocol.overage_percent
    )
    return prescription_text(protocol, order, profile=profile, patient=patient)


def test_the_prescription_lists_each_step_and_the_quantities_to_dispense(profile):
    text = text_for(ana(profile), profile, patient="EXAMPLE-001")
    assert "Patient:       EXAMPLE-001" in text
    assert "Medicine:      naltrexone, capsules, strengths 1.5, 3, 4.5 mg" in text
    assert "Course:        2026-12-12 to 2027-03-06 (85 days), once daily" in text
    assert "2026-12-12 to 2026-12-25  (14 days)  Take your capsule: 1.5 mg, at night" in text
    assert "Quantities (each fill covers its days plus 10% overage, rounded up):" in text
    assert "4.5 mg capsules: 63 (needed 57)" in text


def test_the_prescription_leaves_the_patient_blank_when_not_given(profile):
    assert "Patient:       ____" in text_for(ana(profile), profile)


def test_the_prescription_names_the_protocol_and_whether_it_is_locked(profile):
    protocol = ana(profile)
    assert f"Protocol:      {protocol.fingerprint[:16]} (draft)" in text_for(protocol, profile)
    locked = protocol.lock(at=NOW)
    assert f"{protocol.fingerprint[:16]} (locked)" in text_for(locked, profile)


def test_the_prescription_carries_sourced_storage_and_the_opioid_warning(profile):
    text = text_for(ana(profile, formulation=oral_liquid(Decimal(5), profile)), profile)
    assert "Oral liquid: 60 days refrigerated or 30 days at room temperature" in text
    assert "Source: Alberta Health Services compounding recipe 156" in text
    assert "Take your dose: 0.3 mL (1.5 mg), at night" in text
    assert "contraindicated with opioid analgesics" in text
    assert "drugcentral.org/label" in text


def test_each_container_gets_a_label_with_its_directions(profile):
    from ldntrial.reports.prescription import container_labels

    protocol = ana(profile)
    order = compounding_order(protocol.titration, protocol.formulation, overage_percent=10)
    labels = container_labels(order, patient="FM-0001")
    assert [label.splitlines()[0] for label in labels] == [
        "FM-0001 - naltrexone 1.5 mg capsules",
        "FM-0001 - naltrexone 3 mg capsules",
        "FM-0001 - naltrexone 4.5 mg capsules",
    ]
    assert labels[0].splitlines()[1:3] == [
        "Quantity: 16 capsules (fill 1)",
        "2026-12-12 to 2026-12-25: 1 capsule at night",
    ]
    assert "Lot: __________" in labels[2]


def test_liquid_labels_follow_the_fills(profile):
    from ldntrial.reports.prescription import container_labels

    protocol = ana(profile, formulation=oral_liquid(Decimal(1), profile))
    order = compounding_order(protocol.titration, protocol.formulation, overage_percent=0)
    labels = container_labels(order, patient="FM-0001")
    assert len(labels) == 2  # 85 days in fills of at most 60 days
    assert "2026-12-12 to 2026-12-25: 1.5 mL (1.5 mg) at night" in labels[0]
    assert labels[1].splitlines()[1].startswith("Quantity: ")
