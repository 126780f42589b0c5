"""Measures taken at visits: the PEG at baseline and reassessment, the PGIC at reassessment.

- **PEG** (Krebs et al. 2009, J Gen Intern Med 24:733): three 0-10 items about the past week:
  average pain (P), interference with enjoyment of life (E) and with general activity (G).
  The PEG score is the mean of the three.
- **PGIC**, the patient's global impression of change: one 7-point rating from 1 "very much
  improved" through 4 "no change" to 7 "very much worse". It is asked at reassessment and, in
  designs with periods, at the end of each period; never at baseline (there is nothing yet to
  compare with).

The wording shown to patients, the anchors, codes and sources are data
(``ldntrial/data/visit_instruments.yaml``); the categories, scoring and the rules for when each
is asked live here.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from ldntrial.core.errors import FieldErrors, InvalidValue

PEG_ITEMS = ("pain", "enjoyment", "activity")


class Pgic(enum.Enum):
    """The seven PGIC categories, best first."""

    VERY_MUCH_IMPROVED = "very_much_improved"
    MUCH_IMPROVED = "much_improved"
    MINIMALLY_IMPROVED = "minimally_improved"
    NO_CHANGE = "no_change"
    MINIMALLY_WORSE = "minimally_worse"
    MUCH_WORSE = "much_worse"
    VERY_MUCH_WORSE = "very_much_worse"

    @property
    def rank(self) -> int:
        """1 (very much improved) to 7 (very much worse), as the scale is numbered."""
        return list(Pgic).index(self) + 1

    def at_least(self, other: Pgic) -> bool:
        """Whether this rating is ``other`` or better."""
        return self.rank <= other.rank

    @classmethod
    def parse(cls, raw: object) -> Pgic:
        """A category from its name (``much_improved``) or its number (1-7)."""
        if isinstance(raw, cls):
            return raw
        text = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
        if text.isdigit() and 1 <= int(text) <= 7:
            return list(cls)[int(text) - 1]
        try:
            return cls(text)
        except ValueError:
            names = ", ".join(p.value for p in cls)
            raise InvalidValue(
                f"{raw!r} is not a global impression of change: choose 1 (very much improved) "
                f"to 7 (very much worse), or one of {names}"
            ) from None


@dataclass(frozen=True)
class PegScore:
    """The three PEG items, each a whole number from 0 to 10."""

    pain: int
    enjoyment: int
    activity: int

    def __post_init__(self) -> None:
        errors = {
            name: f"{_ITEM_WORDS[name]}: choose a whole number from 0 to 10, not {value!r}"
            for name, value in self.items().items()
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10
        }
        if errors:
            raise FieldErrors(errors)

    def items(self) -> dict[str, int]:
        return {"pain": self.pain, "enjoyment": self.enjoyment, "activity": self.activity}

    @property
    def score(self) -> float:
        """The PEG score: the mean of the three items (0-10)."""
        return (self.pain + self.enjoyment + self.activity) / 3

    @classmethod
    def parse(cls, raw: dict[str, object]) -> PegScore:
        """The items as typed (text or numbers); every wrong item is reported at once."""
        values: dict[str, int] = {}
        errors: dict[str, str] = {}
        for name in PEG_ITEMS:
            value = raw.get(name)
            text = str(value).strip() if isinstance(value, str | int) else ""
            if isinstance(value, bool) or not text.isdigit() or not 0 <= int(text) <= 10:
                errors[name] = f"{_ITEM_WORDS[name]}: choose a whole number from 0 to 10"
            else:
                values[name] = int(text)
        unknown = set(raw) - set(PEG_ITEMS)
        for name in sorted(unknown):
            errors[name] = f"{name!r} is not a PEG item ({', '.join(PEG_ITEMS)})"
        if errors:
            raise FieldErrors(errors)
        return cls(**values)


_ITEM_WORDS = {
    "pain": "PEG pain",
    "enjoyment": "PEG enjoyment of life",
    "activity": "PEG general activity",
}


class VisitKind(enum.Enum):
    BASELINE = "baseline"  # PEG
    REASSESSMENT = "reassessment"  # PEG and PGIC
    PERIOD_END = "period_end"  # PGIC, in designs with periods


@dataclass(frozen=True)
class VisitRecord:
    kind: VisitKind
    day: dt.date
    peg: PegScore | None
    pgic: Pgic | None
    period: int | None = None


@dataclass(frozen=True)
class VisitSummary:
    """What the report and the decision use: the PEG before and after, and the PGIC."""

    baseline_peg: PegScore | None = None
    reassessment_peg: PegScore | None = None
    pgic: Pgic | None = None

    @property
    def peg_change(self) -> float | None:
        """Reassessment minus baseline PEG score (negative: less pain and interference)."""
        if self.baseline_peg is None or self.reassessment_peg is None:
            return None
        return self.reassessment_peg.score - self.baseline_peg.score

    @classmethod
    def of(cls, records: list[VisitRecord]) -> VisitSummary:
        """The latest record of each kind (records are in the order they were made)."""
        latest = {r.kind: r for r in records}
        baseline = latest.get(VisitKind.BASELINE)
        reassessment = latest.get(VisitKind.REASSESSMENT)
        return cls(
            baseline.peg if baseline else None,
            reassessment.peg if reassessment else None,
            reassessment.pgic if reassessment else None,
        )
