"""Study records: the evidence on LDN, one validated record per study.

Loaded from ``data/studies.yaml``. Each fact carries the verification tag of the research note
(V or S); unverified facts are not recorded, and a record without a source URL is refused.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ValidationInfo

from ldntrial.core.data_files import Bool, Int, NonEmpty, Number, by_key, validate
from ldntrial.core.errors import InvalidValue
from ldntrial.core.sources import Verification

SCHEMA = "ldntrial.studies/1"


class StudyDesign(enum.Enum):
    RCT_PARALLEL = "rct_parallel"
    RCT_CROSSOVER = "rct_crossover"
    NON_RANDOMISED_CONTROLLED = "non_randomised_controlled"
    SINGLE_ARM = "single_arm"
    RETROSPECTIVE = "retrospective"
    CASE_SERIES = "case_series"
    CASE_REPORT = "case_report"
    REGISTRY_STUDY = "registry_study"
    SYSTEMATIC_REVIEW = "systematic_review"
    DOSE_FINDING = "dose_finding"
    PROTOCOL = "protocol"  # registered, no results: shown, never graded

    @property
    def randomised_trial(self) -> bool:
        return self in (StudyDesign.RCT_PARALLEL, StudyDesign.RCT_CROSSOVER)

    @property
    def label(self) -> str:
        return {
            StudyDesign.RCT_PARALLEL: "randomised trial",
            StudyDesign.RCT_CROSSOVER: "randomised crossover trial",
            StudyDesign.NON_RANDOMISED_CONTROLLED: "non-randomised controlled study",
            StudyDesign.SINGLE_ARM: "uncontrolled study",
            StudyDesign.RETROSPECTIVE: "retrospective study",
            StudyDesign.CASE_SERIES: "case series",
            StudyDesign.CASE_REPORT: "case report",
            StudyDesign.REGISTRY_STUDY: "registry study",
            StudyDesign.SYSTEMATIC_REVIEW: "systematic review",
            StudyDesign.DOSE_FINDING: "dose-finding study",
            StudyDesign.PROTOCOL: "registered trial without results",
        }[self]


class Direction(enum.Enum):
    BENEFIT = "benefit"
    NO_DIFFERENCE = "no_difference"
    HARM = "harm"
    UNCLEAR = "unclear"


def _text_or_none(value: object) -> object:
    return None if value is None or value == "" else str(value)


def _or_none(value: object) -> object:
    return value or None  # an empty mapping or list means not given


Said = Annotated[str | None, BeforeValidator(_text_or_none)]  # as reported: 0.27 -> "0.27"


@dataclass(frozen=True)
class Citation:
    authors: Said = None
    year: Int | None = None
    journal: Said = None
    title: Said = None
    volume_pages: Said = None
    doi: Said = None
    pmid: Said = None
    registry: Said = None

    def text(self) -> str:
        parts = [p for p in (self.authors, self.title) if p]
        where = " ".join(str(p) for p in (self.journal, self.year, self.volume_pages) if p)
        return ". ".join([*parts, where]).strip(". ") + "."


@dataclass(frozen=True)
class Effect:
    measure: str
    value: Number | None = None  # None when only a p value was reported
    ci_low: Number | None = None
    ci_high: Number | None = None
    p: Said = None  # as reported: "0.27", "<0.001"


@dataclass(frozen=True)
class ArmCount:
    events: Int | None = None
    n: Int | None = None
    percent: Number | None = None

    def natural_frequency(self) -> tuple[int, int] | None:
        """(about how many, out of how many), from counts or a percentage of a known n."""
        if self.n is None:
            return None
        if self.events is not None:
            return self.events, self.n
        if self.percent is not None:
            return round(self.percent * self.n / 100), self.n
        return None


@dataclass(frozen=True)
class Responders:
    outcome: str
    ldn: Annotated[ArmCount, BeforeValidator(lambda arm: arm or {})] = ArmCount()
    comparator: Annotated[ArmCount, BeforeValidator(lambda arm: arm or {})] = ArmCount()
    tag: Verification = Verification.VERIFIED


def _urls(urls: object) -> object:
    if (
        not isinstance(urls, list)
        or not urls
        or not all(isinstance(u, str) and u.startswith("http") for u in urls)
    ):
        raise ValueError("has no source: give the URL(s) the facts were read at")
    return urls


def _known_conditions(conditions: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
    if not conditions:
        raise ValueError("needs at least one condition")
    known = info.context["conditions"] if info.context else ()
    unknown = [c for c in conditions if c not in known]
    if unknown:
        raise ValueError(f"unknown condition(s) {', '.join(unknown)}")
    return conditions


def _tags(tags: object) -> object:
    unverified = (
        [name for name, tag in tags.items() if tag == "U"] if isinstance(tags, Mapping) else []
    )
    if unverified:
        raise ValueError(f"{unverified[0]} is tagged U: unverified facts are not recorded")
    return tags or {}


@dataclass(frozen=True, kw_only=True)
class Study:
    """One study as ``data/studies.yaml`` records it; each fact tagged V or S, never U."""

    key: NonEmpty[str]
    short: str  # defaults to the key
    citation: Citation
    urls: Annotated[tuple[str, ...], BeforeValidator(_urls)]
    conditions: Annotated[tuple[str, ...], AfterValidator(_known_conditions)]
    design: StudyDesign
    randomised: Bool  # defaults to false for reviews and protocols
    blinding: Literal["double", "single", "open"] | None = None
    comparator: Literal["placebo", "active", "none"] = "none"
    crossover_washout: Bool | None = None
    n_randomised: Int | None = None
    n_analysed: Int | None = None
    arms: Annotated[Mapping[str, Int] | None, BeforeValidator(_or_none)] = None
    duration_weeks: Number | None = None
    dose: Said = None
    primary_outcome: Said = None
    result: Said = None
    effect: Annotated[Effect | None, BeforeValidator(_or_none)] = None
    responders: Annotated[Responders | None, BeforeValidator(_or_none)] = None
    direction: Direction
    tags: Annotated[Mapping[str, Verification], BeforeValidator(_tags)] = field(
        default_factory=dict
    )
    notes: Annotated[str, BeforeValidator(lambda notes: str(notes or ""))] = ""

    def __post_init__(self) -> None:
        if self.design.randomised_trial and not self.randomised:
            raise InvalidValue(f"a {self.design.value} must be randomised")

    @property
    def participants(self) -> int | None:
        return self.n_randomised if self.n_randomised is not None else self.n_analysed

    @property
    def placebo_controlled(self) -> bool:
        return self.comparator == "placebo"

    def tag(self, field: str) -> Verification | None:
        return self.tags.get(field)


@dataclass(frozen=True)
class StudyLibrary:
    studies: Mapping[str, Study]

    def for_condition(self, condition: str) -> tuple[Study, ...]:
        return tuple(s for s in self.studies.values() if condition in s.conditions)

    def get(self, key: str) -> Study:
        return self.studies[key]


def _defaults(row: object) -> object:
    if not isinstance(row, Mapping):
        return row
    filled = {**row, "short": row.get("short") or row.get("key")}
    filled["comparator"] = row.get("comparator") or "none"
    if row.get("randomised") is None and row.get("design") in ("systematic_review", "protocol"):
        filled["randomised"] = False  # not a property of a review; a protocol's is in its notes
    return filled


class _File(BaseModel):
    studies: NonEmpty[tuple[Annotated[Study, BeforeValidator(_defaults)], ...]] = ()


def parse_studies(
    raw: object, *, conditions: set[str], where: str = "studies.yaml"
) -> StudyLibrary:
    file = validate(
        _File,
        raw,
        where=where,
        schema=SCHEMA,
        rows={"studies": "study"},
        context={"conditions": conditions},
    )
    return StudyLibrary(by_key(file.studies, where, "study"))
