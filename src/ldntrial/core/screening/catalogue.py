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
from typing import Any

from ldntrial.core.errors import DataFileError
from ldntrial.core.screening.text import normalise
from ldntrial.core.sources import Source, parse_sources, require_mapping, require_schema

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


@dataclass(frozen=True)
class OpioidFreeInterval:
    """How long a patient must be without an opioid of this kind before the first LDN dose."""

    key: str
    label: str
    days: int
    sources: tuple[Source, ...]
    why: str = ""  # how the days were chosen, for the clinician


@dataclass(frozen=True)
class Name:
    text: str
    kind: NameKind
    region: str


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


GROUPS = {
    "opioid_analgesic",
    "opioid_use_disorder",
    "cough",
    "antidiarrhoeal",
    "anaesthetic",
    "non_prescription",
    "opioid_antagonist",
    "interaction",
    "non_opioid",
}
# Where a name is used: countries and regions as the sources name them.
REGIONS = {
    "US",
    "CA",
    "UK",
    "IE",
    "EU",
    "DE",
    "FR",
    "ES",
    "CH",
    "CZ",
    "RO",
    "AU",
    "NZ",
    "EG",
    "SA",
    "any",
}


def parse_medicines(raw: object, where: str = "medicines.yaml") -> MedicineCatalogue:
    document = require_schema(raw, SCHEMA, where)
    rows = document.get("medicines")
    if not isinstance(rows, list) or not rows:
        raise DataFileError(f"{where}: medicines must be a non-empty list")
    intervals = _intervals(document.get("intervals"), where)
    medicines: dict[str, Medicine] = {}
    index: dict[str, str] = {}
    kinds: dict[str, set[NameKind]] = {}
    for number, row in enumerate(rows, start=1):
        entry = require_mapping(row, f"{where}: medicine {number}")
        key = entry.get("key")
        at = f"{where}: medicine {key or number!r}"
        if not isinstance(key, str) or not key:
            raise DataFileError(f"{at}: needs a key")
        if key in medicines:
            raise DataFileError(f"{at}: duplicate key")
        medicine = _medicine(entry, at, intervals)
        medicines[key] = medicine
        for name in (Name(medicine.generic, NameKind.GENERIC, "any"), *medicine.names):
            normal = normalise(name.text)
            if not normal:
                raise DataFileError(f"{at}: the name {name.text!r} has no letters")
            owner = index.setdefault(normal, key)
            if owner != key:
                raise DataFileError(
                    f"{at}: the name {name.text!r} also names {owner!r}; a name must point at "
                    "one product"
                )
            kinds.setdefault(normal, set()).add(name.kind)
    for medicine in medicines.values():
        _check_ingredients(medicine, medicines, where)
    restricted = frozenset(n for n, k in kinds.items() if all(kind.restricted for kind in k))
    gaps = document.get("gaps") or []
    return MedicineCatalogue(medicines, index, tuple(str(g) for g in gaps), restricted, intervals)


def _intervals(raw: object, where: str) -> dict[str, OpioidFreeInterval]:
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise DataFileError(f"{where}: intervals must be a list")
    intervals: dict[str, OpioidFreeInterval] = {}
    for number, row in enumerate(raw, start=1):
        entry = require_mapping(row, f"{where}: interval {number}")
        key, label, days = entry.get("key"), entry.get("label"), entry.get("days")
        at = f"{where}: interval {key or number!r}"
        if not isinstance(key, str) or not key or key in intervals:
            raise DataFileError(f"{at}: needs a unique key")
        if not isinstance(label, str) or not label.strip():
            raise DataFileError(f"{at}: needs a label")
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 730:
            raise DataFileError(f"{at}: days must be a whole number from 0 to 730")
        why = entry.get("why", "")
        if not isinstance(why, str):
            raise DataFileError(f"{at}: why must be text")
        intervals[key] = OpioidFreeInterval(
            key,
            " ".join(label.split()),
            days,
            parse_sources(entry.get("sources"), at),
            " ".join(why.split()),
        )
    return intervals


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


def _medicine(
    entry: Mapping[str, Any], at: str, intervals: Mapping[str, OpioidFreeInterval]
) -> Medicine:
    sources = parse_sources(entry.get("sources"), at)
    interval_key = entry.get("interval")
    interval = None
    if interval_key is not None:
        interval = intervals.get(str(interval_key))
        if interval is None:
            known = ", ".join(intervals) or "none defined"
            raise DataFileError(f"{at}: interval {interval_key!r} is not one of: {known}")
    group = entry.get("group")
    if group not in GROUPS:
        raise DataFileError(f"{at}: group {group!r} is not one of {', '.join(sorted(GROUPS))}")
    try:
        severity = Severity(entry.get("severity"))
    except ValueError:
        raise DataFileError(f"{at}: severity {entry.get('severity')!r} is not known") from None
    if severity is Severity.UNRECOGNISED:
        raise DataFileError(f"{at}: a catalogue entry cannot be 'unrecognised'")
    opioid = entry.get("opioid")
    if not isinstance(opioid, bool):
        raise DataFileError(f"{at}: opioid must be true or false")
    ingredients = entry.get("ingredients")
    if not isinstance(ingredients, list) or not all(isinstance(i, str) for i in ingredients):
        raise DataFileError(f"{at}: ingredients must be a list of keys")
    raw_names = entry.get("names") or []
    if not isinstance(raw_names, list):
        raise DataFileError(f"{at}: names must be a list")
    names = []
    for raw_name in raw_names:
        name = require_mapping(raw_name, f"{at}: name")
        try:
            kind = NameKind(name.get("kind"))
        except ValueError:
            raise DataFileError(f"{at}: name kind {name.get('kind')!r} is not known") from None
        region = name.get("region", "any")
        if region not in REGIONS:
            raise DataFileError(f"{at}: region {region!r} is not one of {sorted(REGIONS)}")
        text = name.get("text")
        if not isinstance(text, str) or not text.strip():
            raise DataFileError(f"{at}: a name needs text")
        names.append(Name(text.strip(), kind, str(region)))
    atc = entry.get("atc")
    if atc is not None and not (isinstance(atc, str) and atc[:1].isalpha() and len(atc) >= 3):
        raise DataFileError(f"{at}: ATC code {atc!r} is not valid")
    texts = {}
    for text_field in ("generic", "meaning", "action"):
        value = entry.get(text_field)
        if not isinstance(value, str) or not value.strip():
            raise DataFileError(f"{at}: needs {text_field}")
        texts[text_field] = value.strip()
    return Medicine(
        key=str(entry["key"]),
        generic=texts["generic"],
        ingredients=tuple(ingredients) or (str(entry["key"]),),
        atc=atc,
        group=str(group),
        opioid=opioid,
        severity=severity,
        meaning=texts["meaning"],
        action=texts["action"],
        names=tuple(names),
        sources=sources,
        interval=interval,
    )
