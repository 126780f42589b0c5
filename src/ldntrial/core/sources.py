"""Sources of clinical facts, and the rules every sourced data row must pass."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ldntrial.core.errors import DataFileError


class Verification(enum.Enum):
    """How far a source was checked (shared/facts/ldn-evidence.md §0)."""

    VERIFIED = "V"  # read in a primary abstract, registry record, label or publisher page
    SECONDARY = "S"  # read only in a secondary source: current practice, not evidence
    POLICY = "policy"  # a product rule of ldntrial, not a clinical fact


@dataclass(frozen=True)
class Source:
    citation: str
    verification: Verification
    url: str | None = None

    def __str__(self) -> str:
        tag = self.verification.value
        return f"{self.citation} [{tag}]" + (f" <{self.url}>" if self.url else "")


def parse_sources(raw: object, where: str) -> tuple[Source, ...]:
    """Sources of one row: at least one, each with a citation and an accepted tag.

    Unverified facts ([U]) are refused: ldntrial never encodes them as facts.
    """
    if raw is None or raw == []:
        raise DataFileError(f"{where}: has no source; every value needs at least one")
    items = raw if isinstance(raw, list) else [raw]
    sources = []
    for number, item in enumerate(items, start=1):
        at = f"{where}, source {number}"
        entry = require_mapping(item, at)
        citation = entry.get("citation")
        if not isinstance(citation, str) or not citation.strip():
            raise DataFileError(f"{at}: has no citation")
        tag = entry.get("tag")
        if tag == "U":
            raise DataFileError(f"{at}: is tagged U (unverified); unverified facts are not used")
        try:
            verification = Verification(tag)
        except ValueError:
            accepted = ", ".join(v.value for v in Verification)
            raise DataFileError(f"{at}: tag {tag!r} is not one of {accepted}") from None
        url = entry.get("url")
        if url is not None and not isinstance(url, str):
            raise DataFileError(f"{at}: url must be text")
        if verification is not Verification.POLICY and not url:
            raise DataFileError(f"{at}: a clinical source needs the url it was read at")
        unknown = set(entry) - {"citation", "tag", "url"}
        if unknown:
            raise DataFileError(f"{at}: unknown field(s) {', '.join(sorted(unknown))}")
        sources.append(Source(citation.strip(), verification, url))
    return tuple(sources)


def require_mapping(raw: object, where: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise DataFileError(f"{where}: expected a mapping of fields, found {type(raw).__name__}")
    return raw


def require_schema(raw: object, schema: str, where: str) -> Mapping[str, Any]:
    document = require_mapping(raw, where)
    if document.get("schema") != schema:
        raise DataFileError(f"{where}: schema is {document.get('schema')!r}, expected {schema!r}")
    return document
