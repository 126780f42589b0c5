"""Sourced data files shipped with ldntrial, read here and validated by ``ldntrial.core``."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from ldntrial.core.conditions import ConditionCatalogue, parse_conditions
from ldntrial.core.drug import LdnProfile, parse_profile
from ldntrial.core.errors import DataFileError
from ldntrial.core.evidence import StudyLibrary, parse_studies
from ldntrial.core.evidence_summary import EvidenceContext, parse_context
from ldntrial.core.instruments import InstrumentCatalogue, parse_instruments
from ldntrial.core.medicines import MedicineCatalogue, parse_medicines
from ldntrial.core.screening import Rules, parse_rules
from ldntrial.core.visit_instruments import VisitInstruments, parse_visit_instruments


def read_yaml(name: str) -> object:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise DataFileError(f"{name}: is not valid YAML: {error}") from None


@cache
def ldn_profile() -> LdnProfile:
    return parse_profile(read_yaml("ldn_profile.yaml"))


@cache
def instruments() -> InstrumentCatalogue:
    return parse_instruments(read_yaml("instruments.yaml"))


@cache
def conditions() -> ConditionCatalogue:
    return parse_conditions(read_yaml("conditions.yaml"))


@cache
def medicines() -> MedicineCatalogue:
    return parse_medicines(read_yaml("medicines.yaml"))


@cache
def screening_rules() -> Rules:
    return parse_rules(read_yaml("screening_rules.yaml"))


@cache
def studies() -> StudyLibrary:
    return parse_studies(read_yaml("studies.yaml"), conditions=set(conditions().conditions))


@cache
def evidence_context() -> EvidenceContext:
    return parse_context(read_yaml("evidence_context.yaml"))


@cache
def visit_instruments() -> VisitInstruments:
    return parse_visit_instruments(read_yaml("visit_instruments.yaml"))
