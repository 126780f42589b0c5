"""Timing for the benchmarks."""

from __future__ import annotations

import timeit
from collections.abc import Callable


def best(function: Callable[[], object], number: int) -> float:
    """Seconds per call: the best of 5 repeats, to damp noise from the rest of the machine."""
    return min(timeit.repeat(function, number=number, repeat=5)) / number
