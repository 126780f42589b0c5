"""Conditions a trial can be for, with their SNOMED CT code where one was confirmed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field

from ldntrial.core.data_files import NonEmpty, by_key, validate
from ldntrial.core.errors import InvalidValue
from ldntrial.core.sources import Source, Sources

SCHEMA = "ldntrial.conditions/1"


def _snomed(code: object) -> object:
    if code is not None and not (isinstance(code, str) and code.isdigit()):
        raise ValueError("a SNOMED CT id is digits, quoted as text")
    return code


@dataclass(frozen=True)
class Condition:
    key: str
    name: str
    snomed: Annotated[str | None, BeforeValidator(_snomed)] = None


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


class _File(BaseModel):
    sources: Sources = Field(default=(), alias="source")
    conditions: NonEmpty[tuple[Condition, ...]] = ()


def parse_conditions(raw: object, where: str = "conditions.yaml") -> ConditionCatalogue:
    file = validate(_File, raw, where=where, schema=SCHEMA, rows={"conditions": "condition"})
    return ConditionCatalogue(by_key(file.conditions, where, "condition"), file.sources)
