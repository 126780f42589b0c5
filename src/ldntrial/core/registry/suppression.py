"""Small-cell suppression: which counts, subgroups and proportions must not be shown.

Rules (docs/decisions/0014-pooling.md), for a minimum of k patients:

- a subgroup (a dose band, a timing, a stratum) with fewer than k patients is hidden, and so is
  every figure computed from it;
- a count of 1 to k-1 patients is hidden. A count of 0 is shown: it is nobody;
- a proportion is hidden when its patients are fewer than k, or when the patients with the
  event, or those without it, number 1 to k-1 ("11 of 12" tells the 12th's neighbours as much
  as "1 of 12");
- complementary suppression: when cells add up to a published total, hiding one cell alone
  gives it away by subtraction, so the smallest shown cells are hidden too until at least two
  are hidden and the hidden cells together hold 0 or at least k patients.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from ldntrial.core.errors import InvalidValue

K = TypeVar("K", bound=Hashable)
DEFAULT_MIN_PATIENTS = 5


class Suppression(enum.Enum):
    SHOWN = "shown"
    TOO_FEW_PATIENTS = "too_few_patients"  # the group itself is smaller than k
    SMALL_COUNT = "small_count"  # 1 to k-1 patients (or 1 to k-1 without the event)
    COMPLEMENTARY = "complementary"  # hidden so that a hidden neighbour cannot be recovered

    @property
    def hidden(self) -> bool:
        return self is not Suppression.SHOWN


def check_min_patients(k: int) -> int:
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise InvalidValue(f"the minimum cell size must be a whole number from 1, not {k!r}")
    return k


def _check_count(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise InvalidValue(f"a cell count must be a whole number, 0 or more, not {n!r}")


def subgroups(sizes: Mapping[K, int], k: int) -> dict[K, Suppression]:
    """Groups smaller than k are hidden (an empty group has nothing to show either)."""
    check_min_patients(k)
    for n in sizes.values():
        _check_count(n)
    return {
        key: Suppression.TOO_FEW_PATIENTS if n < k else Suppression.SHOWN
        for key, n in sizes.items()
    }


@dataclass(frozen=True)
class Partition(Generic[K]):
    """Cells that add up to a total, each with its suppression, and the total's own."""

    cells: dict[K, Suppression]
    total: Suppression


def counts(cells: Mapping[K, int], k: int) -> dict[K, Suppression]:
    """Counts shown on their own (no total beside them): 1 to k-1 hidden."""
    check_min_patients(k)
    for n in cells.values():
        _check_count(n)
    return {
        key: Suppression.SMALL_COUNT if 0 < n < k else Suppression.SHOWN for key, n in cells.items()
    }


def partition(cells: Mapping[K, int], k: int) -> Partition[K]:
    """Counts shown with their total: small counts hidden, then the smallest shown cells until
    the hidden ones cannot be recovered by subtraction. When that is impossible (one cell, or
    every cell hidden and together fewer than k), the total is hidden too."""
    result = counts(cells, k)
    order = list(cells)  # ties broken by the caller's order
    while True:
        hidden = [key for key in order if result[key].hidden]
        held = sum(cells[key] for key in hidden)
        if not hidden or (len(hidden) >= 2 and (held == 0 or held >= k)):
            return Partition(result, Suppression.SHOWN)
        shown = [key for key in order if not result[key].hidden]
        if not shown:
            total = sum(cells.values())
            hide = Suppression.SMALL_COUNT if 0 < total < k else Suppression.COMPLEMENTARY
            return Partition(result, hide)
        positive = [key for key in shown if cells[key] > 0] or shown
        result[min(positive, key=lambda key: cells[key])] = Suppression.COMPLEMENTARY


def proportion(events: int, patients: int, k: int) -> Suppression:
    """Whether ``events`` of ``patients`` may be shown."""
    check_min_patients(k)
    _check_count(events)
    _check_count(patients)
    if events > patients:
        raise InvalidValue(f"{events} events among {patients} patients is not possible")
    if patients < k:
        return Suppression.TOO_FEW_PATIENTS
    if 0 < events < k or 0 < patients - events < k:
        return Suppression.SMALL_COUNT
    return Suppression.SHOWN
