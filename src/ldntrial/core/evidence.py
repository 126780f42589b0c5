"""Study records: the evidence on LDN, one validated record per study.

Loaded from ``data/studies.yaml``. Each fact carries the verification tag of the research note
(V or S); unverified facts are not recorded, and a record without a source URL is refused.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ldntrial.core.errors import DataFileError
from ldntrial.core.sources import Verification, require_mapping, require_schema

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


@dataclass(frozen=True)
class Citation:
    authors: str | None
    year: int | None
    journal: str | None
    title: str | None
    volume_pages: str | None
    doi: str | None
    pmid: str | None
    registry: str | None

    def text(self) -> str:
        parts = [p for p in (self.authors, self.title) if p]
        where = " ".join(str(p) for p in (self.journal, self.year, self.volume_pages) if p)
        return ". ".join([*parts, where]).strip(". ") + "."


@dataclass(frozen=True)
class Effect:
    measure: str
    value: float | None  # None when only a p value was reported
    ci_low: float | None
    ci_high: float | None
    p: str | None  # as reported: "0.27", "<0.001"


@dataclass(frozen=True)
class ArmCount:
    events: int | None
    n: int | None
    percent: float | None

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
    ldn: ArmCount
    comparator: ArmCount
    tag: Verification


@dataclass(frozen=True)
class Study:
    key: str
    short: str
    citation: Citation
    urls: tuple[str, ...]
    conditions: tuple[str, ...]
    design: StudyDesign
    randomised: bool
    blinding: str | None
    comparator: str
    crossover_washout: bool | None
    n_randomised: int | None
    n_analysed: int | None
    arms: Mapping[str, int] | None
    duration_weeks: float | None
    dose: str | None
    primary_outcome: str | None
    result: str | None
    effect: Effect | None
    responders: Responders | None
    direction: Direction
    tags: Mapping[str, Verification]
    notes: str

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


BLINDING = {"double", "single", "open", None}
COMPARATORS = {"placebo", "active", "none"}


def parse_studies(
    raw: object, *, conditions: set[str], where: str = "studies.yaml"
) -> StudyLibrary:
    document = require_schema(raw, SCHEMA, where)
    rows = document.get("studies")
    if not isinstance(rows, list) or not rows:
        raise DataFileError(f"{where}: studies must be a non-empty list")
    studies: dict[str, Study] = {}
    for number, row in enumerate(rows, start=1):
        entry = require_mapping(row, f"{where}: study {number}")
        at = f"{where}: study {entry.get('key', number)!r}"
        try:
            study = _study(entry, at, conditions)
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, DataFileError):
                raise
            raise DataFileError(f"{at}: {error}") from None
        if study.key in studies:
            raise DataFileError(f"{at}: duplicate key")
        studies[study.key] = study
    return StudyLibrary(studies)


def _study(e: Mapping[str, Any], at: str, known_conditions: set[str]) -> Study:
    key = e.get("key")
    if not isinstance(key, str) or not key:
        raise DataFileError(f"{at}: needs a key")
    urls = e.get("urls")
    if (
        not isinstance(urls, list)
        or not urls
        or not all(isinstance(u, str) and u.startswith("http") for u in urls)
    ):
        raise DataFileError(f"{at}: has no source: give the URL(s) the facts were read at")
    try:
        design = StudyDesign(e.get("design"))
    except ValueError:
        known = ", ".join(d.value for d in StudyDesign)
        raise DataFileError(f"{at}: design {e.get('design')!r} is not one of {known}") from None
    try:
        direction = Direction(e.get("direction"))
    except ValueError:
        raise DataFileError(f"{at}: direction {e.get('direction')!r} is not known") from None
    conditions = e.get("conditions")
    if not isinstance(conditions, list) or not conditions:
        raise DataFileError(f"{at}: needs at least one condition")
    unknown = [c for c in conditions if c not in known_conditions]
    if unknown:
        raise DataFileError(f"{at}: unknown condition(s) {', '.join(unknown)}")
    tags = {}
    for field, tag in (e.get("tags") or {}).items():
        if tag == "U":
            raise DataFileError(f"{at}: {field} is tagged U: unverified facts are not recorded")
        try:
            tags[str(field)] = Verification(tag)
        except ValueError:
            raise DataFileError(f"{at}: tag {tag!r} of {field} is not V or S") from None
    blinding = e.get("blinding")
    if blinding not in BLINDING:
        raise DataFileError(f"{at}: blinding {blinding!r} is not double, single, open or null")
    comparator = e.get("comparator") or "none"
    if comparator not in COMPARATORS:
        raise DataFileError(f"{at}: comparator {comparator!r} is not placebo, active or none")
    randomised = e.get("randomised")
    if randomised is None and design in (StudyDesign.SYSTEMATIC_REVIEW, StudyDesign.PROTOCOL):
        randomised = False  # not a property of a review; a protocol's is in its notes
    if not isinstance(randomised, bool):
        raise DataFileError(f"{at}: randomised must be true or false")
    if design.randomised_trial and not randomised:
        raise DataFileError(f"{at}: a {design.value} must be randomised")
    c = require_mapping(e.get("citation"), f"{at}: citation")
    effect = e.get("effect")
    responders = e.get("responders")
    return Study(
        key=key,
        short=str(e.get("short") or key),
        citation=Citation(
            authors=_opt_str(c.get("authors")),
            year=_opt_int(c.get("year"), "year", at),
            journal=_opt_str(c.get("journal")),
            title=_opt_str(c.get("title")),
            volume_pages=_opt_str(c.get("volume_pages")),
            doi=_opt_str(c.get("doi")),
            pmid=_opt_str(c.get("pmid")),
            registry=_opt_str(c.get("registry")),
        ),
        urls=tuple(urls),
        conditions=tuple(conditions),
        design=design,
        randomised=randomised,
        blinding=blinding,
        comparator=comparator,
        crossover_washout=e.get("crossover_washout"),
        n_randomised=_opt_int(e.get("n_randomised"), "n_randomised", at),
        n_analysed=_opt_int(e.get("n_analysed"), "n_analysed", at),
        arms=e.get("arms") or None,
        duration_weeks=_opt_float(e.get("duration_weeks")),
        dose=_opt_str(e.get("dose")),
        primary_outcome=_opt_str(e.get("primary_outcome")),
        result=_opt_str(e.get("result")),
        effect=None
        if not effect
        else Effect(
            measure=str(effect["measure"]),
            value=_opt_float(effect.get("value")),
            ci_low=_opt_float(effect.get("ci_low")),
            ci_high=_opt_float(effect.get("ci_high")),
            p=_opt_str(effect.get("p")),
        ),
        responders=None if not responders else _responders(responders, at),
        direction=direction,
        tags=tags,
        notes=str(e.get("notes") or ""),
    )


def _responders(r: Mapping[str, Any], at: str) -> Responders:
    def arm(raw: Mapping[str, Any] | None) -> ArmCount:
        if raw is None:
            return ArmCount(None, None, None)
        return ArmCount(
            _opt_int(raw.get("events"), "events", at),
            _opt_int(raw.get("n"), "n", at),
            _opt_float(raw.get("percent")),
        )

    try:
        tag = Verification(r.get("tag", "V"))
    except ValueError:
        raise DataFileError(f"{at}: responders tag {r.get('tag')!r} is not V or S") from None
    return Responders(str(r["outcome"]), arm(r.get("ldn")), arm(r.get("comparator")), tag)


def _opt_str(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _opt_int(value: object, what: str, at: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise DataFileError(f"{at}: {what} must be a whole number, not {value!r}")
    return value


def _opt_float(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, found {value!r}")
    return float(value)
