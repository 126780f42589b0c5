"""The wording, anchors, codes, sources and terms of use of the visit instruments (PEG, PGIC),
read from ``ldntrial/data/visit_instruments.yaml`` and checked against the categories and items
that :mod:`ldntrial.core.trial.visit_measures` scores."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel

from ldntrial.core.data_files import Int, Stripped, validate
from ldntrial.core.errors import DataFileError
from ldntrial.core.sources import Source, Sources
from ldntrial.core.trial.instruments import Coding
from ldntrial.core.trial.visit_measures import PEG_ITEMS, Pgic

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


class _Anchors(BaseModel):
    low: Stripped
    high: Stripped


class _Item(BaseModel):
    key: Stripped
    question: Stripped
    anchors: _Anchors

    def item(self) -> PegItem:
        return PegItem(self.key, self.question, self.anchors.low, self.anchors.high)


class _Code(BaseModel):
    system: Stripped
    code: Stripped
    display: Stripped


class _Terms(BaseModel):
    status: TermsStatus
    note: Stripped


class _Category(BaseModel):
    key: Pgic
    rank: Int
    label: Stripped


class _Peg(BaseModel):
    name: Stripped
    recall: Stripped
    code: _Code
    items: tuple[_Item, ...]
    sources: Sources = ()
    terms_of_use: _Terms


class _Pgic(BaseModel):
    name: Stripped
    question: Stripped
    code: _Code
    categories: tuple[_Category, ...]
    sources: Sources = ()
    terms_of_use: _Terms


class _File(BaseModel):
    code_systems: dict[str, str]
    peg: _Peg
    pgic: _Pgic


def parse_visit_instruments(raw: object, where: str = "visit_instruments.yaml") -> VisitInstruments:
    rows = {"items": "item", "categories": "category", "peg": "", "pgic": ""}
    file = validate(_File, raw, where=where, schema=SCHEMA, rows=rows)
    peg, pgic = file.peg, file.pgic
    items = tuple(i.item() for i in peg.items)
    if tuple(i.key for i in items) != PEG_ITEMS:
        raise DataFileError(f"{where}: the PEG items must be {', '.join(PEG_ITEMS)}, in order")
    for category in pgic.categories:
        if category.rank != category.key.rank:
            raise DataFileError(
                f"{where}: PGIC {category.key.value} must have rank {category.key.rank}"
            )
    labels = {c.key: c.label for c in pgic.categories}
    if list(labels) != list(Pgic):
        raise DataFileError(f"{where}: the PGIC needs its seven categories, best first")

    def coding(code: _Code, at: str) -> Coding:
        system = file.code_systems.get(code.system)
        if system is None:
            raise DataFileError(f"{where}: {at}: code system {code.system!r} is not declared")
        return Coding(system, code.code, code.display)

    return VisitInstruments(
        PegInstrument(
            name=peg.name,
            recall=peg.recall,
            items=items,
            coding=coding(peg.code, "peg"),
            sources=peg.sources,
            terms=TermsOfUse(peg.terms_of_use.status, peg.terms_of_use.note),
        ),
        PgicInstrument(
            name=pgic.name,
            question=pgic.question,
            labels=labels,
            coding=coding(pgic.code, "pgic"),
            sources=pgic.sources,
            terms=TermsOfUse(pgic.terms_of_use.status, pgic.terms_of_use.note),
        ),
    )
