"""The instrument catalogue: daily diary metrics with their code and better direction."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Annotated

from pydantic import AfterValidator, BaseModel

from ldntrial.core.data_files import NonBlank, NonEmpty, by_key, validate
from ldntrial.core.errors import DataFileError, InvalidValue
from ldntrial.core.sources import Source, Sources

SCHEMA = "ldntrial.instruments/1"


class Direction(enum.Enum):
    """Which way a change counts as improvement."""

    LOWER = "lower"  # pain, fatigue: a fall is better
    HIGHER = "higher"  # sleep quality, function, mood: a rise is better


@dataclass(frozen=True)
class Coding:
    system: NonBlank
    code: NonBlank
    display: NonBlank


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
        """A metric as :meth:`as_json` writes it (in a protocol document)."""
        return validate(_Entry, raw, where="metric", error=InvalidValue).metric()


def _zero_to_ten(scale: object) -> object:
    if scale not in (None, {"min": 0, "max": 10}):
        raise ValueError("only 0–10 scales are supported")
    return scale


class _Anchors(BaseModel):
    low: NonBlank
    high: NonBlank


class _Entry(BaseModel):
    key: NonBlank
    label: NonBlank
    question: NonBlank
    anchors: _Anchors
    scale: Annotated[object, AfterValidator(_zero_to_ten)] = None
    better: Direction
    code: Coding

    def metric(self, sources: tuple[Source, ...] = (), system: str | None = None) -> Metric:
        """The metric; ``system`` is the code system a data file names by a short name."""
        code = replace(self.code, system=system) if system else self.code
        a = self.anchors
        return Metric(
            self.key, self.label, self.question, a.low, a.high, self.better, code, sources
        )


class _Row(_Entry):
    sources: Sources = ()


class _File(BaseModel):
    code_systems: dict[str, str]
    metrics: NonEmpty[tuple[_Row, ...]] = ()


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

    def label_of(self, key: str) -> str:
        """What people read for a metric key (``sleep_quality`` → "Sleep quality"); a key the
        catalogue no longer holds (an old diary) is shown as it was stored, never dropped."""
        metric = self.metrics.get(key)
        return metric.label if metric is not None else key


def parse_instruments(raw: object, where: str = "instruments.yaml") -> InstrumentCatalogue:
    file = validate(_File, raw, where=where, schema=SCHEMA, rows={"metrics": "metric"})
    metrics = []
    for row in file.metrics:
        system = file.code_systems.get(row.code.system)
        if system is None:
            at = f"{where}: metric {row.key!r}"
            raise DataFileError(f"{at}: code system {row.code.system!r} is not declared")
        metrics.append(row.metric(row.sources, system))
    return InstrumentCatalogue(by_key(metrics, where, "metric"))
