"""Sources of clinical facts, and the rules every sourced data row must pass."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Annotated, ClassVar

from pydantic import BeforeValidator, ConfigDict, Field, StrictStr

from ldntrial.core.errors import InvalidValue


class Verification(enum.Enum):
    """How far a source was checked (shared/facts/ldn-evidence.md §0)."""

    VERIFIED = "V"  # read in a primary abstract, registry record, label or publisher page
    SECONDARY = "S"  # read only in a secondary source: current practice, not evidence
    POLICY = "policy"  # a product rule of ldntrial, not a clinical fact


def _citation(text: object) -> object:
    if not isinstance(text, str) or not text.strip():
        raise ValueError("has no citation")
    return text.strip()


def _not_unverified(tag: object) -> object:
    if tag == "U":
        raise ValueError("is tagged U (unverified); unverified facts are not used")
    return tag


@dataclass(frozen=True)
class Source:
    """A source as a data file gives it: ``{citation, tag, url}``, no other field.

    Unverified facts ([U]) are refused: ldntrial never encodes them as facts.
    """

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="forbid")

    citation: Annotated[str, BeforeValidator(_citation)]
    verification: Annotated[Verification, Field(alias="tag"), BeforeValidator(_not_unverified)]
    url: StrictStr | None = None

    def __post_init__(self) -> None:
        if self.verification is not Verification.POLICY and not self.url:
            raise InvalidValue("a clinical source needs the url it was read at")

    def __str__(self) -> str:
        tag = self.verification.value
        return f"{self.citation} [{tag}]" + (f" <{self.url}>" if self.url else "")


def _at_least_one(raw: object) -> object:
    if raw is None or raw == [] or raw == ():
        raise ValueError("has no source; every value needs at least one")
    return raw if isinstance(raw, list | tuple) else [raw]  # one source may stand alone


# The sources of one row: at least one. A missing field counts as none (so give it ``= ()``).
Sources = Annotated[
    tuple[Source, ...], BeforeValidator(_at_least_one), Field(validate_default=True)
]
