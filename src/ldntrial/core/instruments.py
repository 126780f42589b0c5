"""The instrument catalogue: daily diary metrics with their code and better direction."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ldntrial.core.errors import DataFileError, InvalidValue
from ldntrial.core.sources import Source, parse_sources, require_mapping, require_schema

SCHEMA = "ldntrial.instruments/1"


class Direction(enum.Enum):
    """Which way a change counts as improvement."""

    LOWER = "lower"  # pain, fatigue: a fall is better
    HIGHER = "higher"  # sleep quality, function, mood: a rise is better


@dataclass(frozen=True)
class Coding:
    system: str
    code: str
    display: str


@dataclass(frozen=True)
class Metric:
    """A 0–10 daily diary item."""

    key: str
    label: str
    question: str
    low_anchor: str
    high_anchor: str
    better: Direction
    coding: Coding
    sources: tuple[Source, ...] = field(default=(), compare=False)

    def as_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "label": self.label,
            "question": self.question,
            "anchors": {"low": self.low_anchor, "high": self.high_anchor},
            "scale": {"min": 0, "max": 10},
            "better": self.better.value,
            "code": {
                "system": self.coding.system,
                "code": self.coding.code,
                "display": self.coding.display,
            },
        }

    @classmethod
    def from_json(cls, raw: object) -> Metric:
        entry = require_mapping(raw, "metric")
        try:
            code = entry["code"]
            anchors = entry["anchors"]
            scale = entry.get("scale", {"min": 0, "max": 10})
            if scale != {"min": 0, "max": 10}:
                raise InvalidValue(f"metric {entry['key']!r}: only 0–10 scales are supported")
            return cls(
                key=_text(entry["key"], "metric key"),
                label=_text(entry["label"], "metric label"),
                question=_text(entry["question"], "metric question"),
                low_anchor=_text(anchors["low"], "low anchor"),
                high_anchor=_text(anchors["high"], "high anchor"),
                better=Direction(entry["better"]),
                coding=Coding(
                    _text(code["system"], "code system"),
                    _text(code["code"], "code"),
                    _text(code["display"], "code display"),
                ),
            )
        except KeyError as missing:
            raise InvalidValue(f"metric is missing the field {missing}") from None
        except (TypeError, ValueError) as error:
            if isinstance(error, InvalidValue):
                raise
            raise InvalidValue(f"metric is not valid: {error}") from None


@dataclass(frozen=True)
class InstrumentCatalogue:
    metrics: Mapping[str, Metric]

    def get(self, key: str) -> Metric:
        try:
            return self.metrics[key]
        except KeyError:
            known = ", ".join(self.metrics)
            raise InvalidValue(f"unknown metric {key!r}: choose from {known}") from None

    def keys(self) -> tuple[str, ...]:
        return tuple(self.metrics)


def parse_instruments(raw: object, where: str = "instruments.yaml") -> InstrumentCatalogue:
    document = require_schema(raw, SCHEMA, where)
    systems = require_mapping(document.get("code_systems"), f"{where}: code_systems")
    rows = document.get("metrics")
    if not isinstance(rows, list) or not rows:
        raise DataFileError(f"{where}: metrics must be a non-empty list")
    metrics: dict[str, Metric] = {}
    for number, row in enumerate(rows, start=1):
        entry = require_mapping(row, f"{where}: metric {number}")
        at = f"{where}: metric {entry.get('key', number)!r}"
        sources = parse_sources(entry.get("sources"), at)
        code = require_mapping(entry.get("code"), f"{at}: code")
        system = systems.get(str(code.get("system")))
        if system is None:
            raise DataFileError(f"{at}: code system {code.get('system')!r} is not declared")
        try:
            metric = Metric.from_json({**entry, "code": {**code, "system": system}})
        except InvalidValue as error:
            raise DataFileError(f"{at}: {error}") from None
        if metric.key in metrics:
            raise DataFileError(f"{at}: duplicate key")
        metrics[metric.key] = replace(metric, sources=sources)
    return InstrumentCatalogue(metrics)


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"{what} must be non-empty text")
    return value
