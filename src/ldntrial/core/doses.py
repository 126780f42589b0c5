"""Doses of naltrexone in milligrams, and ranges of doses."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pydantic import GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

from ldntrial.core.errors import InvalidValue

# The only oral naltrexone product sold is the 50 mg tablet, the full (not low) dose; low doses
# are compounded from it. Source: naltrexone hydrochloride 50 mg tablet label
# (https://drugcentral.org/label/adb7c4dc-221a-4d91-9687-0d78913a92ad/view) and the AAFP letter,
# Am Fam Physician 2024;109(2):105 — shared/facts/ldn-evidence.md §12 [V]. A dose above it is
# not a low dose of anything: it is refused as absurd.
MAX_DOSE_MG = Decimal(50)
# A microgram is the finest amount a compounding pharmacy can be asked for; finer is a typo.
RESOLUTION = Decimal("0.001")

DoseInput = Decimal | int | float | str


def _to_decimal(value: DoseInput, what: str) -> Decimal:
    if isinstance(value, bool):
        raise InvalidValue(f"{what} must be a number of milligrams, not {value!r}")
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise InvalidValue(
            f"{what} {value!r} is not a number: give milligrams, for example 1.5"
        ) from None
    if not number.is_finite():
        raise InvalidValue(f"{what} must be a finite number of milligrams, not {value!r}")
    return number


@dataclass(frozen=True, order=True)
class Dose:
    """A daily amount of naltrexone in mg. Refuses zero, negative, non-finite and absurd values."""

    mg: Decimal

    def __init__(self, mg: DoseInput) -> None:
        number = _to_decimal(mg, "dose")
        if number <= 0:
            raise InvalidValue(
                f"dose {plain_number(number)} mg is not possible: a dose must be more than 0 mg"
            )
        if number > MAX_DOSE_MG:
            raise InvalidValue(
                f"dose {plain_number(number)} mg is not a low dose: ldntrial accepts more "
                f"than 0 mg and at most {plain_number(MAX_DOSE_MG)} mg (the full-dose tablet)"
            )
        if number != number.quantize(RESOLUTION):
            raise InvalidValue(
                f"dose {plain_number(number)} mg is finer than 1 microgram: round it to at most "
                "3 decimal places of a milligram"
            )
        object.__setattr__(self, "mg", number.normalize())

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: object, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        """How pydantic reads a dose (in the data files): as ``Dose(value)`` reads it."""
        return core_schema.no_info_plain_validator_function(
            lambda mg: mg if isinstance(mg, Dose) else cls(mg)
        )

    def __str__(self) -> str:
        return f"{plain_number(self.mg)} mg"

    @property
    def text(self) -> str:
        """The number of milligrams without a unit, as people write it ("1.5", "3")."""
        return plain_number(self.mg)

    def within(self, dose_range: DoseRange) -> bool:
        return dose_range.contains(self)


@dataclass(frozen=True)
class DoseRange:
    """An inclusive range of daily doses."""

    low: Dose
    high: Dose

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise InvalidValue(f"dose range {self.low} to {self.high} runs backwards")

    def contains(self, dose: Dose) -> bool:
        return self.low <= dose <= self.high

    def __str__(self) -> str:
        return f"{self.low.text}–{self.high.text} mg"


def plain_number(number: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 1.50 -> "1.5", 5E+1 -> "50"."""
    return format(number.normalize(), "f")
