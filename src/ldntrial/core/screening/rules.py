"""Conditions and situations before LDN, each rule with its sources (data/screening_rules.yaml)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from ldntrial.core.errors import DataFileError
from ldntrial.core.screening.catalogue import Severity
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
    ACUTE_OPIOID_WITHDRAWAL = "acute_opioid_withdrawal"
    POSITIVE_URINE_OPIOID_SCREEN = "positive_urine_opioid_screen"
    FAILED_NALOXONE_CHALLENGE = "failed_naloxone_challenge"
    SEVERE_HEPATIC_IMPAIRMENT = "severe_hepatic_impairment"
    SEVERE_RENAL_IMPAIRMENT = "severe_renal_impairment"
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
class Advice:
    """Standing advice shown with every screening (not part of the verdict)."""

    key: str
    label: str
    text: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Rules:
    rules: Mapping[Situation, Rule]
    gaps: tuple[str, ...] = ()
    advice: tuple[Advice, ...] = ()


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
    return Rules(
        rules,
        tuple(str(g) for g in document.get("gaps") or []),
        _advice(document.get("advice"), where),
    )


def _advice(raw: object, where: str) -> tuple[Advice, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise DataFileError(f"{where}: advice must be a list")
    items = []
    for number, row in enumerate(raw, start=1):
        entry = require_mapping(row, f"{where}: advice {number}")
        at = f"{where}: advice {entry.get('key', number)!r}"
        texts = {}
        for name in ("key", "label", "text"):
            value = entry.get(name)
            if not isinstance(value, str) or not value.strip():
                raise DataFileError(f"{at}: needs {name}")
            texts[name] = " ".join(value.split())
        items.append(
            Advice(
                texts["key"], texts["label"], texts["text"], parse_sources(entry.get("sources"), at)
            )
        )
    return tuple(items)
