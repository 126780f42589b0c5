"""Scores on a 0–10 numeric rating scale, as recorded in the daily diary."""

from __future__ import annotations

from dataclasses import dataclass

from ldntrial.core.errors import InvalidValue

LOWEST = 0
HIGHEST = 10


@dataclass(frozen=True, order=True)
class Score:
    """A whole number from 0 to 10 (an 11-point numeric rating scale).

    Fractions are refused rather than rounded: a diary records the point the patient chose.
    """

    value: int

    def __post_init__(self) -> None:
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidValue(
                f"a score must be a whole number from {LOWEST} to {HIGHEST}, not {value!r}"
            )
        if not LOWEST <= value <= HIGHEST:
            raise InvalidValue(f"score {value} is outside the scale: use {LOWEST} to {HIGHEST}")

    def __int__(self) -> int:
        return self.value

    def __str__(self) -> str:
        return f"{self.value}/10"
