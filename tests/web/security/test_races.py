"""Races on the diary: the same submission twice at once, two submissions for one day at once.

Real threads, each with its own database connection, against committed data (a transactional
test). The database is emptied after each test, which deletes audit events: the append-only
triggers are lifted for this module only (as for the browser tests).
"""

from __future__ import annotations

import uuid

import pytest

from ldntrial.core.errors import FieldErrors
from ldntrial.web.clinic import services
from ldntrial.web.clinic.models import DiaryEntry
from tests.web.concurrency import at_once
from tests.web.conftest import World

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("append_only_lifted"),
]


def _submit(world, day, key, pain):
    def call():
        return services.submit_diary(
            by=world.ana_user,
            trial=world.ana_trial,
            day=day,
            today=day,
            client_key=key,
            scores={"pain": pain, "sleep_quality": 5, "function": 4},
            dose_taken=None,
            dose_time=None,
            side_effects=[],
        )

    return call


@pytest.mark.parametrize("round_", range(5))
def test_the_same_key_twice_at_once_stores_one_entry_and_returns_it_to_both(round_):
    world = World()
    day = world.ana_trial.protocol().start_date
    key = uuid.uuid4()
    first, second = at_once([_submit(world, day, key, 6), _submit(world, day, key, 6)])
    assert not isinstance(first, Exception), first
    assert not isinstance(second, Exception), second
    (entry_a, created_a), (entry_b, created_b) = first, second
    assert entry_a.pk == entry_b.pk
    assert sorted([created_a, created_b]) == [False, True]
    assert DiaryEntry.objects.filter(trial=world.ana_trial, day=day).count() == 1


@pytest.mark.parametrize("round_", range(5))
def test_two_keys_for_one_day_at_once_store_one_and_tell_the_other_the_day_is_filled(round_):
    world = World()
    day = world.ana_trial.protocol().start_date
    results = at_once([_submit(world, day, uuid.uuid4(), 6), _submit(world, day, uuid.uuid4(), 3)])
    stored = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, FieldErrors)]
    assert len(stored) == 1, results
    assert len(refused) == 1, results
    assert "filled" in refused[0].errors["correction_reason"]
    assert DiaryEntry.objects.filter(trial=world.ana_trial, day=day).count() == 1
