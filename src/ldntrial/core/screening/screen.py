"""Screening before LDN: medicines, conditions and planned procedures, each finding sourced.

``screen`` returns every finding in a deterministic order (most severe first, then in the order
the medicines were listed) and an overall verdict, the most severe finding. Text that names no
catalogue entry is an ``unrecognised`` finding that the clinician must resolve.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ldntrial.core.errors import DataFileError, InvalidValue
from ldntrial.core.screening.catalogue import Medicine, MedicineCatalogue, Severity
from ldntrial.core.screening.matching import Matcher
from ldntrial.core.sources import Source, parse_sources, require_mapping, require_schema

RULES_SCHEMA = "ldntrial.screening-rules/1"


class Situation(enum.Enum):
    """Conditions and situations a clinician records before LDN."""

    OPIOID_USE_DISORDER_TREATMENT = "opioid_use_disorder_treatment"
    PREGNANT = "pregnant"
    BREASTFEEDING = "breastfeeding"
    ACUTE_HEPATITIS = "acute_hepatitis"
    LIVER_FAILURE = "liver_failure"
    NALTREXONE_HYPERSENSITIVITY = "naltrexone_hypersensitivity"
    AUTOIMMUNE_THYROIDITIS = "autoimmune_thyroiditis"
    SURGERY_PLANNED = "surgery_planned"


@dataclass(frozen=True)
class Rule:
    situation: Situation
    label: str
    severity: Severity
    reason: str
    action: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Rules:
    rules: Mapping[Situation, Rule]
    gaps: tuple[str, ...] = ()


def parse_rules(raw: object, where: str = "screening_rules.yaml") -> Rules:
    document = require_schema(raw, RULES_SCHEMA, where)
    rows = document.get("rules")
    if not isinstance(rows, list):
        raise DataFileError(f"{where}: rules must be a list")
    rules: dict[Situation, Rule] = {}
    for number, row in enumerate(rows, start=1):
        entry = require_mapping(row, f"{where}: rule {number}")
        at = f"{where}: rule {entry.get('situation', number)!r}"
        try:
            situation = Situation(entry.get("situation"))
            severity = Severity(entry.get("severity"))
        except ValueError as error:
            raise DataFileError(f"{at}: {error}") from None
        texts = {}
        for name in ("label", "reason", "action"):
            value = entry.get(name)
            if not isinstance(value, str) or not value.strip():
                raise DataFileError(f"{at}: needs {name}")
            texts[name] = " ".join(value.split())
        rules[situation] = Rule(
            situation,
            texts["label"],
            severity,
            texts["reason"],
            texts["action"],
            parse_sources(entry.get("sources"), at),
        )
    return Rules(rules, tuple(str(g) for g in document.get("gaps") or []))


class ResolutionKind(enum.Enum):
    CATALOGUE_ENTRY = "catalogue_entry"  # the clinician chose what the text means
    NOT_AN_OPIOID = "not_an_opioid"  # the clinician confirmed it is not an opioid


@dataclass(frozen=True)
class Resolution:
    kind: ResolutionKind
    medicine_key: str | None = None
    by: str = ""


@dataclass(frozen=True)
class MedicineLine:
    text: str
    resolution: Resolution | None = None


@dataclass(frozen=True)
class Finding:
    severity: Severity
    subject: str
    text: str  # what was typed (or the situation)
    reason: str
    action: str
    sources: tuple[Source, ...]
    line: int | None = None  # position in the medicine list, from 0
    medicine_key: str | None = None
    confidence: float | None = None
    suggestion: str | None = None
    situation: Situation | None = None


@dataclass(frozen=True)
class Screening:
    findings: tuple[Finding, ...]

    @property
    def verdict(self) -> Severity:
        """The most severe finding; ``info`` when there is nothing more."""
        return min((f.severity for f in self.findings), key=lambda s: s.rank, default=Severity.INFO)

    @property
    def contraindicated_medicines(self) -> tuple[str, ...]:
        """Medicines on the list that rule LDN out (an alert when a trial is running)."""
        return tuple(
            f.subject
            for f in self.findings
            if f.severity is Severity.CONTRAINDICATED and f.medicine_key is not None
        )

    @property
    def unrecognised_lines(self) -> frozenset[int]:
        """Positions in the medicine list whose text the clinician must resolve."""
        return frozenset(
            f.line
            for f in self.findings
            if f.severity is Severity.UNRECOGNISED and f.line is not None
        )

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """Findings that must be resolved before a trial can start."""
        return tuple(
            f
            for f in self.findings
            if f.severity in (Severity.CONTRAINDICATED, Severity.UNRECOGNISED)
        )


UNRECOGNISED_REASON = (
    "this text names no medicine in the catalogue, so it cannot be checked for opioids"
)
UNRECOGNISED_ACTION = (
    "find out what it is; choose the catalogue entry it means, or confirm it is not an opioid"
)


def screen(
    medicines: Sequence[MedicineLine | str],
    *,
    catalogue: MedicineCatalogue,
    rules: Rules,
    situations: Iterable[Situation] = (),
    surgery_planned: dt.date | None = None,
    today: dt.date | None = None,
) -> Screening:
    """Screen a medicine list and the patient's situations."""
    matcher = Matcher(catalogue)
    findings: list[Finding] = []
    lines = [m if isinstance(m, MedicineLine) else MedicineLine(m) for m in medicines]
    for position, line in enumerate(lines):
        if not line.text.strip():
            continue
        findings.extend(_medicine_findings(line, position, matcher, catalogue))
    chosen = set(situations)
    if surgery_planned is not None:
        chosen.add(Situation.SURGERY_PLANNED)
    for situation in sorted(chosen, key=lambda s: list(Situation).index(s)):
        rule = rules.rules.get(situation)
        if rule is None:
            raise InvalidValue(
                f"no sourced rule for {situation.value!r}: the data file records it as a gap"
            )
        text = rule.label
        if situation is Situation.SURGERY_PLANNED and surgery_planned is not None:
            text = f"{rule.label} on {surgery_planned.isoformat()}"
            if today is not None and surgery_planned < today:
                raise InvalidValue(
                    f"the planned procedure date {surgery_planned.isoformat()} is in the past"
                )
        findings.append(
            Finding(
                rule.severity,
                rule.label,
                text,
                rule.reason,
                rule.action,
                rule.sources,
                situation=situation,
            )
        )
    order = {s: i for i, s in enumerate(Situation)}
    findings.sort(
        key=lambda f: (
            f.severity.rank,
            f.line if f.line is not None else 10_000,
            order[f.situation] if f.situation is not None else -1,
            f.medicine_key or "",
            f.subject,
        )
    )
    return Screening(tuple(findings))


def _medicine_findings(
    line: MedicineLine, position: int, matcher: Matcher, catalogue: MedicineCatalogue
) -> list[Finding]:
    resolution = line.resolution
    if resolution is not None and resolution.kind is ResolutionKind.NOT_AN_OPIOID:
        return [
            Finding(
                Severity.INFO,
                line.text,
                line.text,
                f"confirmed not an opioid by {resolution.by or 'the clinician'}",
                "none",
                (),
                line=position,
            )
        ]
    if resolution is not None and resolution.medicine_key is not None:
        medicine = catalogue.get(resolution.medicine_key)
        return [_medicine_finding(medicine, line.text, position, 1.0)]
    result = matcher.match(line.text)
    findings = []
    seen: set[str] = set()
    for match in result.matches:
        if match.key in seen:  # "Robitussin DM": two names of one product
            continue
        seen.add(match.key)
        medicine = catalogue.get(match.key)
        findings.append(_medicine_finding(medicine, line.text, position, match.confidence))
    findings.extend(
        _unrecognised(leftover.text, line.text, position, leftover.suggestion)
        for leftover in result.leftovers
    )
    if not findings:
        findings.append(_unrecognised(line.text, line.text, position, None))
    return findings


def _medicine_finding(medicine: Medicine, typed: str, position: int, confidence: float) -> Finding:
    return Finding(
        medicine.severity,
        medicine.generic,
        typed,
        medicine.meaning,
        medicine.action,
        medicine.sources,
        line=position,
        medicine_key=medicine.key,
        confidence=confidence,
    )


def _unrecognised(subject: str, typed: str, position: int, suggestion: str | None) -> Finding:
    return Finding(
        Severity.UNRECOGNISED,
        subject,
        typed,
        UNRECOGNISED_REASON,
        UNRECOGNISED_ACTION,
        (),
        line=position,
        suggestion=suggestion,
    )
