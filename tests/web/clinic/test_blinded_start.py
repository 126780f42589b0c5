"""Starting a blinded n-of-1 trial: the allocation is drawn, committed to and sealed."""

from __future__ import annotations

import datetime as dt

from ldntrial.core.trial.randomisation import unseal
from ldntrial.web import keys
from ldntrial.web.audit.models import AuditEvent
from ldntrial.web.clinic.models import BlindedAllocation, Prescription
from tests.web.conftest import World


def test_starting_a_blinded_trial_seals_an_allocation_the_locked_protocol_commits_to(
    world: World,
) -> None:
    trial = world.blinded_trial()
    protocol = trial.protocol()
    row = BlindedAllocation.objects.get(trial=trial)
    assert protocol.locked_at is not None
    assert protocol.allocation_commitment == row.commitment
    key = keys.ring(keys.Purpose.ALLOCATION).get(row.key_id)
    assert key is not None
    allocation = unseal(bytes(row.sealed), key, expected_commitment=row.commitment)
    assert allocation.design == protocol.blinded


def test_the_allocation_s_audit_event_holds_its_commitment_and_no_arm(world: World) -> None:
    trial = world.blinded_trial()
    row = BlindedAllocation.objects.get(trial=trial)
    event = AuditEvent.objects.get(object_type="clinic.BlindedAllocation", object_id=str(row.pk))
    assert event.after == {"trial": trial.pk, "commitment": row.commitment, "key_id": row.key_id}
    assert "placebo" not in str(event.after)
    assert "active" not in str(event.after)


def test_the_start_prescription_covers_the_open_titration_only(world: World) -> None:
    """The blinded periods are supplied as kits: the prescription stops the day before them."""
    trial = world.blinded_trial()
    protocol = trial.protocol()
    prescription = Prescription.objects.get(trial=trial)
    last_open_day = protocol.periods()[0].first - dt.timedelta(days=1)
    assert prescription.needed_by == protocol.first_dose_date
    assert f"to {last_open_day.isoformat()} (28 days)" in prescription.text
    assert [q["item"] for q in prescription.quantities] == ["1.5 mg capsules", "3 mg capsules"]
