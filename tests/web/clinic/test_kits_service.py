"""The kit services of blinded trials: who may record a kit, for which trials, and what the care
team's view of the kits is made of."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from ldntrial.core.errors import FieldErrors, InvalidValue
from ldntrial.web.accounts.models import Role
from ldntrial.web.clinic import kits
from ldntrial.web.clinic.models import KitDispensing, Trial, TrialStatus
from tests.web.conftest import FROZEN_AT, World, make_user

TODAY = FROZEN_AT.date()


@pytest.fixture
def trial(world: World) -> Trial:
    return world.blinded_trial(days_ago=30)


def record(world: World, trial: Trial, **overrides: object) -> KitDispensing:
    fields: dict[str, object] = {
        "by": world.phil,
        "trial": trial,
        "kit": 1,
        "lot": "K1-2611",
        "use_by": TODAY + dt.timedelta(days=150),
        "dispensed_on": TODAY,
        "today": TODAY,
    }
    fields.update(overrides)
    return kits.record_kit_dispensing(**fields)  # type: ignore[arg-type]  # the fields above


def test_only_the_pharmacy_of_the_trial_s_clinic_records_a_kit(world, trial):
    pia = make_user(world.clinic_b, "pia", Role.PHARMACIST)
    for someone in (world.dr_ode, world.rae, world.ana_user, pia):
        with pytest.raises(InvalidValue, match="only the pharmacy of the trial's clinic"):
            record(world, trial, by=someone)
    assert not KitDispensing.objects.exists()


def test_an_open_label_trial_has_no_kits_to_record(world):
    with pytest.raises(InvalidValue, match="this trial is not blinded: it has no kits"):
        record(world, world.ben_trial)


def test_a_trial_that_is_no_longer_active_gets_no_more_kits(world, trial):
    Trial.objects.filter(pk=trial.pk).update(status=TrialStatus.STOPPED)
    trial.refresh_from_db()
    with pytest.raises(
        InvalidValue, match="this trial is stopped: kits are dispensed for an active"
    ):
        record(world, trial)


def test_a_kit_number_outside_the_list_is_named(world, trial):
    with pytest.raises(FieldErrors) as refused:
        record(world, trial, kit=7)
    assert refused.value.errors == {"kit": "there is no kit 7: this trial's kits are 1 to 6"}


def test_a_lot_longer_than_the_record_holds_is_refused_before_the_database(world, trial):
    with pytest.raises(FieldErrors) as refused:
        record(world, trial, lot="L" * 41)
    assert refused.value.errors == {"lot": "a kit's lot number has at most 40 characters"}


def test_the_care_team_s_kits_come_from_the_kit_list_and_the_dispensings_only(world, trial):
    record(world, trial, kit=2, lot="K2-2611")
    rows = kits.kits_for_care_team(trial)
    assert [r.kit.number for r in rows] == [1, 2, 3, 4, 5, 6]
    assert [r.dispensing.lot if r.dispensing else None for r in rows] == [
        None,
        "K2-2611",
        None,
        None,
        None,
        None,
    ]
    # A row has a kit and its dispensing, and nothing else: no field could carry an arm.
    assert {f.name for f in dataclasses.fields(rows[0])} == {"kit", "dispensing"}
    assert {f.name for f in dataclasses.fields(rows[0].kit)} == {
        "number",
        "period",
        "first",
        "last",
        "capsules",
        "label",
    }
    assert kits.kits_for_care_team(world.ben_trial) == []


def test_only_the_pharmacy_opens_the_preparation_sheet(world, trial):
    with pytest.raises(InvalidValue, match="only the pharmacy"):
        kits.pharmacy_kits(by=world.dr_ode, trial=trial)
    sheet = kits.pharmacy_kits(by=world.phil, trial=trial)
    assert [row.kit.number for row in sheet.rows] == [1, 2, 3, 4, 5, 6]


def test_acknowledging_needs_an_unblinding(world, trial):
    with pytest.raises(InvalidValue, match="this trial is not unblinded"):
        kits.acknowledge_unblinding(by=world.phil, trial=trial)
    with pytest.raises(InvalidValue, match="only the pharmacy"):
        kits.acknowledge_unblinding(by=world.dr_ode, trial=trial)
