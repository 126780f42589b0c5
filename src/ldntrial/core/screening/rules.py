"""Conditions and situations before LDN, each rule with its sources (data/screening_rules.yaml)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel

from ldntrial.core.data_files import OrEmpty, Text, validate
from ldntrial.core.screening.catalogue import Severity
from ldntrial.core.sources import Sources

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
    label: Text
    severity: Severity
    reason: Text
    action: Text
    sources: Sources = ()


@dataclass(frozen=True)
class Advice:
    """Standing advice shown with every screening (not part of the verdict)."""

    key: Text
    label: Text
    text: Text
    sources: Sources = ()


@dataclass(frozen=True)
class Rules:
    rules: Mapping[Situation, Rule]
    gaps: tuple[str, ...] = ()
    advice: tuple[Advice, ...] = ()


class _File(BaseModel):
    rules: tuple[Rule, ...]
    gaps: OrEmpty[tuple[str, ...]] = ()
    advice: OrEmpty[tuple[Advice, ...]] = ()


def parse_rules(raw: object, where: str = "screening_rules.yaml") -> Rules:
    rows = {"rules": "rule", "advice": "advice"}
    file = validate(_File, raw, where=where, schema=RULES_SCHEMA, rows=rows)
    return Rules({rule.situation: rule for rule in file.rules}, file.gaps, file.advice)
