"""Small-cell suppression: what the pages and exports must hide, for a minimum of k patients."""

import pytest

from ldntrial.core.errors import InvalidValue
from ldntrial.core.registry.suppression import (
    Suppression,
    counts,
    partition,
    proportion,
    subgroups,
)

SHOWN, FEW, SMALL, COMPLEMENT = (
    Suppression.SHOWN,
    Suppression.TOO_FEW_PATIENTS,
    Suppression.SMALL_COUNT,
    Suppression.COMPLEMENTARY,
)


def test_a_subgroup_with_fewer_than_k_patients_is_hidden():
    found = subgroups({"at night": 12, "in the morning": 4, "below 1.5 mg": 0}, k=5)
    assert found == {"at night": SHOWN, "in the morning": FEW, "below 1.5 mg": FEW}


@pytest.mark.parametrize(
    ("n", "expected"), [(0, SHOWN), (1, SMALL), (4, SMALL), (5, SHOWN), (120, SHOWN)]
)
def test_a_count_of_one_to_k_minus_one_is_hidden_and_zero_is_shown(n, expected):
    assert counts({"cell": n}, k=5) == {"cell": expected}


@pytest.mark.parametrize(
    ("cells", "hidden", "total"),
    [
        # nothing small: everything shown
        ({"completed": 40, "stopped early": 6, "lost": 5}, set(), SHOWN),
        # one small cell alone would be total minus the others: the smallest other goes too
        ({"completed": 40, "stopped early": 6, "lost": 2}, {"stopped early", "lost"}, SHOWN),
        # two small cells that together hold fewer than k: a third is hidden
        (
            {"completed": 40, "stopped early": 7, "lost": 1, "running": 2},
            {"stopped early", "lost", "running"},
            SHOWN,
        ),
        # two small cells holding k or more between them: enough
        ({"completed": 40, "lost": 3, "running": 4}, {"lost", "running"}, SHOWN),
        # zeros are not chosen to protect a small cell while a positive cell can
        ({"completed": 40, "stopped early": 0, "lost": 2}, {"completed", "lost"}, SHOWN),
        # one cell only: the total would give it away, so it is hidden too
        ({"completed": 3}, {"completed"}, SMALL),
        # every cell small and few in all: the total is hidden as well
        ({"completed": 2, "lost": 1}, {"completed", "lost"}, SMALL),
    ],
)
def test_cells_beside_their_total_cannot_be_recovered_by_subtraction(cells, hidden, total):
    found = partition(cells, k=5)
    assert {key for key, s in found.cells.items() if s.hidden} == hidden
    assert found.total is total
    held = sum(cells[key] for key in hidden)
    protected = not hidden or (len(hidden) >= 2 and (held == 0 or held >= 5))
    assert protected or found.total.hidden  # never one hidden cell beside a shown total


@pytest.mark.parametrize(
    ("events", "patients", "expected"),
    [
        (0, 3, FEW),  # the group is too small
        (0, 12, SHOWN),
        (1, 12, SMALL),  # one of twelve
        (11, 12, SMALL),  # all but one
        (5, 12, SHOWN),
        (7, 12, SHOWN),
        (12, 12, SHOWN),
    ],
)
def test_a_proportion_is_hidden_when_either_side_is_small(events, patients, expected):
    assert proportion(events, patients, k=5) is expected


@pytest.mark.parametrize("k", [0, -2, 2.5, True])
def test_the_minimum_must_be_a_whole_number_from_one(k):
    with pytest.raises(InvalidValue, match="minimum cell size"):
        counts({"cell": 3}, k=k)


def test_an_impossible_proportion_is_refused():
    with pytest.raises(InvalidValue, match="not possible"):
        proportion(6, 5, k=5)
