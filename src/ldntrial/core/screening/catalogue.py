"""The curated medicine catalogue: what each opioid-relevant ingredient means for LDN, and the
products and names that the vendored vocabulary does not cover.

Loaded from ``data/medicines.yaml``. Every entry carries its sources; the loader refuses an entry
without one, refuses a name that points at two different products, and refuses a product that is
rated less severe than one of its ingredients: opioid status is decided by ingredient, never by
brand. Each opioid names its opioid-free interval (the days without it before the first dose).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel

from ldntrial.core.data_files import (
    Bool,
    Int,
    NonEmpty,
    OrEmpty,
    Stripped,
    Text,
    by_key,
    squash,
    validate,
)
from ldntrial.core.errors import DataFileError
from ldntrial.core.screening.text import normalise
from ldntrial.core.sources import Source, Sources

SCHEMA = "ldntrial.medicines/1"


class Severity(enum.Enum):
    """How much a finding matters before LDN, most severe first."""

    CONTRAINDICATED = "contraindicated"
    UNRECOGNISED = "unrecognised"  # must be resolved by the clinician: never treated as safe
    CAUTION = "caution"
    MONITOR = "monitor"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    @property
    def blocks_start(self) -> bool:
        """A trial cannot start while a finding of this severity is open."""
        return self in (Severity.CONTRAINDICATED, Severity.UNRECOGNISED)


_RANKS = {severity: rank for rank, severity in enumerate(Severity)}


def most_severe(severities: Iterable[Severity], default: Severity = Severity.INFO) -> Severity:
    return min(severities, key=lambda s: s.rank, default=default)


class NameKind(enum.Enum):
    GENERIC = "generic"
    BRAND = "brand"
    SALT = "salt"
    ABBREVIATION = "abbreviation"
    STREET = "street"
    MISSPELLING = "misspelling"

    @property
    def restricted(self) -> bool:
        """Street names and abbreviations ("op", "DM") are ordinary words too: they name a
        medicine only when every other word of the line names one as well."""
        return self in (NameKind.ABBREVIATION, NameKind.STREET)


def _days(days: int) -> int:
    if not 0 <= days <= 730:
        raise ValueError("days must be a whole number from 0 to 730")
    return days


@dataclass(frozen=True)
class OpioidFreeInterval:
    """How long a patient must be without an opioid of this kind before the first LDN dose."""

    key: NonEmpty[str]
    label: Text
    days: Annotated[Int, AfterValidator(_days)]
    sources: Sources = ()
    why: Annotated[str, AfterValidator(squash)] = ""  # how the days were chosen, for the clinician


# Where a name is used: countries and regions as the sources name them.
Region = Literal[
    "US", "CA", "UK", "IE", "EU", "DE", "FR", "ES", "CH", "CZ", "RO", "AU", "NZ", "EG", "SA", "any"
]


@dataclass(frozen=True)
class Name:
    text: Stripped
    kind: NameKind
    region: Region = "any"


@dataclass(frozen=True)
class Medicine:
    key: str
    generic: str
    ingredients: tuple[str, ...]
    atc: str | None
    group: str
    opioid: bool
    severity: Severity
    meaning: str
    action: str
    names: tuple[Name, ...]
    sources: tuple[Source, ...]
    interval: OpioidFreeInterval | None = None

    @property
    def is_substance(self) -> bool:
        """An entry for one ingredient (not a combination product)."""
        return self.ingredients == (self.key,)


@dataclass(frozen=True)
class MedicineCatalogue:
    medicines: Mapping[str, Medicine]
    # normalised name -> medicine key
    index: Mapping[str, str]
    gaps: tuple[str, ...] = ()
    # normalised names that are street names or abbreviations only
    restricted: frozenset[str] = frozenset()
    intervals: Mapping[str, OpioidFreeInterval] = field(default_factory=dict)

    def get(self, key: str) -> Medicine:
        return self.medicines[key]

    @property
    def longest_interval(self) -> OpioidFreeInterval | None:
        return max(self.intervals.values(), key=lambda i: i.days, default=None)


Group = Literal[
    "opioid_analgesic",
    "opioid_use_disorder",
    "cough",
    "antidiarrhoeal",
    "anaesthetic",
    "non_prescription",
    "opioid_antagonist",
    "interaction",
    "non_opioid",
]


def _atc(code: str | None) -> str | None:
    if code is not None and not (code[:1].isalpha() and len(code) >= 3):
        raise ValueError(f"ATC code {code!r} is not valid")
    return code


def _rated(severity: Severity) -> Severity:
    if severity is Severity.UNRECOGNISED:
        raise ValueError("a catalogue entry cannot be 'unrecognised'")
    return severity


class _Row(BaseModel):
    """One medicine as ``data/medicines.yaml`` gives it; ``interval`` names an interval."""

    key: NonEmpty[str]
    generic: Stripped
    ingredients: tuple[str, ...]  # empty: the entry is its own single ingredient
    atc: Annotated[str | None, AfterValidator(_atc)] = None
    group: Group
    opioid: Bool
    severity: Annotated[Severity, AfterValidator(_rated)]
    meaning: Stripped
    action: Stripped
    names: OrEmpty[tuple[Name, ...]] = ()
    sources: Sources = ()
    interval: str | None = None

    def medicine(self, intervals: Mapping[str, OpioidFreeInterval], where: str) -> Medicine:
        interval = None
        if self.interval is not None:
            interval = intervals.get(self.interval)
            if interval is None:
                known = ", ".join(intervals) or "none defined"
                raise DataFileError(
                    f"{where}: medicine {self.key!r}: interval {self.interval!r} is not one of: "
                    f"{known}"
                )
        ingredients = self.ingredients or (self.key,)
        return Medicine(**{**dict(self), "ingredients": ingredients, "interval": interval})


class _File(BaseModel):
    intervals: OrEmpty[tuple[OpioidFreeInterval, ...]] = ()
    medicines: NonEmpty[tuple[_Row, ...]] = ()
    gaps: OrEmpty[tuple[str, ...]] = ()


def parse_medicines(raw: object, where: str = "medicines.yaml") -> MedicineCatalogue:
    rows = {"medicines": "medicine", "intervals": "interval", "names": "name"}
    file = validate(_File, raw, where=where, schema=SCHEMA, rows=rows)
    intervals = by_key(file.intervals, where, "interval")
    medicines = by_key(
        (row.medicine(intervals, where) for row in file.medicines), where, "medicine"
    )
    index: dict[str, str] = {}
    kinds: dict[str, set[NameKind]] = {}
    for key, medicine in medicines.items():
        for name in (Name(medicine.generic, NameKind.GENERIC, "any"), *medicine.names):
            normal = normalise(name.text)
            if not normal:
                raise DataFileError(
                    f"{where}: medicine {key!r}: the name {name.text!r} has no letters"
                )
            owner = index.setdefault(normal, key)
            if owner != key:
                raise DataFileError(
                    f"{where}: medicine {key!r}: the name {name.text!r} also names {owner!r}; a "
                    "name must point at one product"
                )
            kinds.setdefault(normal, set()).add(name.kind)
    for medicine in medicines.values():
        _check_ingredients(medicine, medicines, where)
    restricted = frozenset(n for n, k in kinds.items() if all(kind.restricted for kind in k))
    return MedicineCatalogue(medicines, index, file.gaps, restricted, intervals)


def _check_ingredients(medicine: Medicine, medicines: Mapping[str, Medicine], where: str) -> None:
    """A product is at least as severe as each ingredient the catalogue rates (by ingredient,
    never by brand), and an opioid product keeps an opioid-free interval."""
    at = f"{where}: medicine {medicine.key!r}"
    rated = [medicines[i] for i in medicine.ingredients if i in medicines and i != medicine.key]
    for ingredient in rated:
        if ingredient.severity.rank < medicine.severity.rank:
            raise DataFileError(
                f"{at}: is rated {medicine.severity.value} but its ingredient "
                f"{ingredient.key!r} is {ingredient.severity.value}; a product is at least as "
                "severe as each of its ingredients"
            )
        if ingredient.opioid and not medicine.opioid:
            raise DataFileError(f"{at}: contains the opioid {ingredient.key!r}: mark it opioid")
