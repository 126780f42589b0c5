"""The wording, anchors, codes, sources and terms of use of the visit instruments (PEG, PGIC),
read from ``ldntrial/data/visit_instruments.yaml`` and checked against the categories and items
that :mod:`ldntrial.core.visit_measures` scores."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from ldntrial.core.errors import DataFileError
from ldntrial.core.instruments import Coding
from ldntrial.core.sources import Source, parse_sources, require_mapping, require_schema
from ldntrial.core.visit_measures import PEG_ITEMS, Pgic

SCHEMA = "ldntrial.visit-instruments/1"


class TermsStatus(enum.Enum):
    PUBLIC_DOMAIN = "public_domain"
    UNVERIFIED = "unverified"  # shipped with a note; a clinic should confirm before relying on it


@dataclass(frozen=True)
class TermsOfUse:
    status: TermsStatus
    note: str


@dataclass(frozen=True)
class PegItem:
    key: str
    question: str
    low_anchor: str
    high_anchor: str


@dataclass(frozen=True)
class PegInstrument:
    name: str
    recall: str
    items: tuple[PegItem, ...]
    coding: Coding
    sources: tuple[Source, ...]
    terms: TermsOfUse


@dataclass(frozen=True)
class PgicInstrument:
    name: str
    question: str
    labels: Mapping[Pgic, str]
    coding: Coding
    sources: tuple[Source, ...]
    terms: TermsOfUse


@dataclass(frozen=True)
class VisitInstruments:
    peg: PegInstrument
    pgic: PgicInstrument


def parse_visit_instruments(raw: object, where: str = "visit_instruments.yaml") -> VisitInstruments:
    document = require_schema(raw, SCHEMA, where)
    systems = require_mapping(document.get("code_systems"), f"{where}: code_systems")
    peg = require_mapping(document.get("peg"), f"{where}: peg")
    pgic = require_mapping(document.get("pgic"), f"{where}: pgic")
    items = peg.get("items")
    if not isinstance(items, list):
        raise DataFileError(f"{where}: peg items must be a list")
    parsed_items = tuple(_item(require_mapping(i, f"{where}: peg item"), where) for i in items)
    if tuple(i.key for i in parsed_items) != PEG_ITEMS:
        raise DataFileError(f"{where}: the PEG items must be {', '.join(PEG_ITEMS)}, in order")
    categories = pgic.get("categories")
    if not isinstance(categories, list):
        raise DataFileError(f"{where}: pgic categories must be a list")
    labels: dict[Pgic, str] = {}
    for row in categories:
        entry = require_mapping(row, f"{where}: pgic category")
        try:
            category = Pgic(entry.get("key"))
        except ValueError:
            raise DataFileError(f"{where}: unknown PGIC category {entry.get('key')!r}") from None
        if entry.get("rank") != category.rank:
            raise DataFileError(f"{where}: PGIC {category.value} must have rank {category.rank}")
        labels[category] = _text(entry.get("label"), f"{where}: PGIC {category.value} label")
    if list(labels) != list(Pgic):
        raise DataFileError(f"{where}: the PGIC needs its seven categories, best first")
    return VisitInstruments(
        PegInstrument(
            name=_text(peg.get("name"), f"{where}: peg name"),
            recall=_text(peg.get("recall"), f"{where}: peg recall"),
            items=parsed_items,
            coding=_coding(peg.get("code"), systems, f"{where}: peg"),
            sources=parse_sources(peg.get("sources"), f"{where}: peg"),
            terms=_terms(peg.get("terms_of_use"), f"{where}: peg"),
        ),
        PgicInstrument(
            name=_text(pgic.get("name"), f"{where}: pgic name"),
            question=_text(pgic.get("question"), f"{where}: pgic question"),
            labels=labels,
            coding=_coding(pgic.get("code"), systems, f"{where}: pgic"),
            sources=parse_sources(pgic.get("sources"), f"{where}: pgic"),
            terms=_terms(pgic.get("terms_of_use"), f"{where}: pgic"),
        ),
    )


def _item(entry: Mapping[str, object], where: str) -> PegItem:
    anchors = require_mapping(entry.get("anchors"), f"{where}: peg item anchors")
    return PegItem(
        key=_text(entry.get("key"), f"{where}: peg item key"),
        question=_text(entry.get("question"), f"{where}: peg item question"),
        low_anchor=_text(anchors.get("low"), f"{where}: peg item low anchor"),
        high_anchor=_text(anchors.get("high"), f"{where}: peg item high anchor"),
    )


def _coding(raw: object, systems: Mapping[str, object], where: str) -> Coding:
    code = require_mapping(raw, f"{where}: code")
    system = systems.get(str(code.get("system")))
    if not isinstance(system, str):
        raise DataFileError(f"{where}: code system {code.get('system')!r} is not declared")
    return Coding(
        system, _text(code.get("code"), f"{where}: code"), _text(code.get("display"), where)
    )


def _terms(raw: object, where: str) -> TermsOfUse:
    entry = require_mapping(raw, f"{where}: terms_of_use")
    try:
        status = TermsStatus(entry.get("status"))
    except ValueError:
        known = ", ".join(s.value for s in TermsStatus)
        raise DataFileError(f"{where}: terms status must be one of {known}") from None
    return TermsOfUse(status, _text(entry.get("note"), f"{where}: terms note"))


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DataFileError(f"{where}: must be non-empty text")
    return value.strip()
