"""Sourced data files shipped with ldntrial, read here and validated by ``ldntrial.core``."""

from __future__ import annotations

import gc
import gzip
from functools import cache
from importlib import resources

import yaml

from ldntrial.core.conditions import ConditionCatalogue, parse_conditions
from ldntrial.core.errors import DataFileError
from ldntrial.core.evidence.studies import StudyLibrary, parse_studies
from ldntrial.core.evidence.summary import EvidenceContext, parse_context
from ldntrial.core.screening.catalogue import MedicineCatalogue, parse_medicines
from ldntrial.core.screening.matching import Matcher
from ldntrial.core.screening.rules import Rules, parse_rules
from ldntrial.core.screening.vocabulary import Vocabulary, parse_vocabulary
from ldntrial.core.trial.drug import LdnProfile, parse_profile
from ldntrial.core.trial.instruments import InstrumentCatalogue, parse_instruments
from ldntrial.core.trial.visit_instruments import VisitInstruments, parse_visit_instruments

# A folder name that is not a Python identifier, so that it can never shadow vocabulary().
VOCABULARY = "medicine-names/names.tsv.gz"


# libyaml's safe loader reads the larger data files about ten times faster than the pure one.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(name: str) -> object:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    try:
        return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader (libyaml when built)
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
def matcher() -> Matcher:
    """The matcher over the curated catalogue and the vendored vocabulary (built once: its
    indexes are cached on it)."""
    return Matcher(medicines(), vocabulary())


@cache
def vocabulary() -> Vocabulary:
    """The vendored medicines vocabulary (see ``data/medicine-names/SOURCES.md``), read once."""
    packed = resources.files(__package__).joinpath(VOCABULARY).read_bytes()
    try:
        text = gzip.decompress(packed).decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise DataFileError(f"{VOCABULARY}: cannot be read ({error})") from None
    # Parsing makes ~1.5 million small objects that all live on: pausing the cyclic garbage
    # collector meanwhile halves the load time (measured: about 0.6 s -> 0.3 s).
    paused = gc.isenabled()
    gc.disable()
    try:
        return parse_vocabulary(text.splitlines(), where=VOCABULARY)
    finally:
        if paused:
            gc.enable()


@cache
def visit_instruments() -> VisitInstruments:
    return parse_visit_instruments(read_yaml("visit_instruments.yaml"))
