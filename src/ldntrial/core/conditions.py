"""Conditions a trial can be for, with their SNOMED CT code where one was confirmed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ldntrial.core.errors import DataFileError, InvalidValue
from ldntrial.core.sources import Source, parse_sources, require_mapping, require_schema

SCHEMA = "ldntrial.conditions/1"


@dataclass(frozen=True)
class Condition:
    key: str
    name: str
    snomed: str | None


@dataclass(frozen=True)
class ConditionCatalogue:
    conditions: Mapping[str, Condition]
    sources: tuple[Source, ...]

    def get(self, key: str) -> Condition:
        try:
            return self.conditions[key]
        except KeyError:
            known = ", ".join(self.conditions)
            raise InvalidValue(f"unknown condition {key!r}: choose from {known}") from None


def parse_conditions(raw: object, where: str = "conditions.yaml") -> ConditionCatalogue:
    document = require_schema(raw, SCHEMA, where)
    sources = parse_sources(document.get("source"), where)
    rows = document.get("conditions")
    if not isinstance(rows, list) or not rows:
        raise DataFileError(f"{where}: conditions must be a non-empty list")
    conditions: dict[str, Condition] = {}
    for number, row in enumerate(rows, start=1):
        entry = require_mapping(row, f"{where}: condition {number}")
        key, name, snomed = entry.get("key"), entry.get("name"), entry.get("snomed")
        if not isinstance(key, str) or not isinstance(name, str):
            raise DataFileError(f"{where}: condition {number} needs a key and a name")
        if snomed is not None and not (isinstance(snomed, str) and snomed.isdigit()):
            raise DataFileError(f"{where}: {key}: a SNOMED CT id is digits, quoted as text")
        if key in conditions:
            raise DataFileError(f"{where}: duplicate condition {key!r}")
        conditions[key] = Condition(key, name, snomed)
    return ConditionCatalogue(conditions, sources)
