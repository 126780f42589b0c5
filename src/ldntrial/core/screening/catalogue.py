"""The medicine catalogue: products by every name people write, with what each means for LDN.

Loaded from ``data/medicines.yaml``. Every entry carries its sources; the loader refuses an entry
without one, and refuses a name that points at two different products.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
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
        return list(Severity).index(self)


class NameKind(enum.Enum):
    GENERIC = "generic"
    BRAND = "brand"
    SALT = "salt"
    ABBREVIATION = "abbreviation"
    STREET = "street"
    MISSPELLING = "misspelling"


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


@dataclass(frozen=True)
class MedicineCatalogue:
    medicines: Mapping[str, Medicine]
    # normalised name -> medicine key
    index: Mapping[str, str]
    gaps: tuple[str, ...] = ()

    def get(self, key: str) -> Medicine:
        return self.medicines[key]


GROUPS = {
    "opioid_analgesic",
    "opioid_use_disorder",
    "cough",
    "antidiarrhoeal",
    "anaesthetic",
    "non_prescription",
    "non_opioid",
}
REGIONS = {"US", "UK", "EU", "EG", "any"}


def parse_medicines(raw: object, where: str = "medicines.yaml") -> MedicineCatalogue:
    document = require_schema(raw, SCHEMA, where)
    rows = document.get("medicines")
    if not isinstance(rows, list) or not rows:
        raise DataFileError(f"{where}: medicines must be a non-empty list")
    medicines: dict[str, Medicine] = {}
    index: dict[str, str] = {}
    for number, row in enumerate(rows, start=1):
        entry = require_mapping(row, f"{where}: medicine {number}")
        key = entry.get("key")
        at = f"{where}: medicine {key or number!r}"
        if not isinstance(key, str) or not key:
            raise DataFileError(f"{at}: needs a key")
        if key in medicines:
            raise DataFileError(f"{at}: duplicate key")
        medicine = _medicine(entry, at)
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
    gaps = document.get("gaps") or []
    return MedicineCatalogue(medicines, index, tuple(str(g) for g in gaps))


def _medicine(entry: Mapping[str, Any], at: str) -> Medicine:
    sources = parse_sources(entry.get("sources"), at)
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
    for field in ("generic", "meaning", "action"):
        value = entry.get(field)
        if not isinstance(value, str) or not value.strip():
            raise DataFileError(f"{at}: needs {field}")
        texts[field] = value.strip()
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
    )
