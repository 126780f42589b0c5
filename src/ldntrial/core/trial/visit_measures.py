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
from typing import TYPE_CHECKING

from ldntrial.core.errors import FieldErrors, InvalidValue

if TYPE_CHECKING:
    from ldntrial.core.trial.protocol import Protocol

# Product rules (docs/decisions/0017): the reassessment visit may be recorded from a week before
# the reassessment date (the PEG asks about the past week) to two weeks after it.
REASSESSMENT_WINDOW_BEFORE = 7
REASSESSMENT_WINDOW_AFTER = 14
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


def visit_window(protocol: Protocol, kind: VisitKind) -> tuple[dt.date, dt.date] | None:
    """The days on which a visit of ``kind`` may be recorded (None: not in this protocol)."""
    if kind is VisitKind.BASELINE:
        return protocol.start_date, protocol.first_dose_date - dt.timedelta(days=1)
    if kind is VisitKind.REASSESSMENT:
        return (
            protocol.reassessment_date - dt.timedelta(days=REASSESSMENT_WINDOW_BEFORE),
            protocol.reassessment_date + dt.timedelta(days=REASSESSMENT_WINDOW_AFTER),
        )
    return None  # no protocol has periods yet


def open_visits(protocol: Protocol, *, today: dt.date) -> tuple[VisitKind, ...]:
    """The visits whose measures can be recorded today."""
    kinds = []
    for kind in VisitKind:
        window = visit_window(protocol, kind)
        if window is not None and window[0] <= today <= window[1]:
            kinds.append(kind)
    return tuple(kinds)


def validate_visit(
    protocol: Protocol,
    *,
    kind: VisitKind,
    day: dt.date,
    today: dt.date,
    peg: dict[str, object] | None,
    pgic: object | None,
    period: int | None = None,
) -> VisitRecord:
    """A visit's measures checked against the protocol; every wrong field is reported at once."""
    errors: dict[str, str] = {}
    window = visit_window(protocol, kind)
    if day > today:
        errors["day"] = f"{day.isoformat()} has not happened yet: record a visit on or before today"
    elif window is not None and not window[0] <= day <= window[1]:
        what = {
            VisitKind.BASELINE: "the baseline PEG is recorded during the baseline",
            VisitKind.REASSESSMENT: "the reassessment measures are recorded from a week before "
            "to two weeks after reassessment",
        }[kind]
        errors["day"] = f"{what}: {window[0].isoformat()} to {window[1].isoformat()}"
    if kind is VisitKind.PERIOD_END:
        errors["period"] = "this protocol has no periods: the PGIC is asked at reassessment"
    elif period is not None:
        errors["period"] = "only a period-end visit names a period"
    peg_value: PegScore | None = None
    wants_peg = kind in (VisitKind.BASELINE, VisitKind.REASSESSMENT)
    if peg is None or not any(str(v).strip() for v in peg.values() if v is not None):
        if wants_peg:
            errors["peg"] = "answer the three PEG questions (0 to 10 each)"
    elif not wants_peg:
        errors["peg"] = "the PEG is asked at baseline and at reassessment only"
    else:
        try:
            peg_value = PegScore.parse(peg)
        except FieldErrors as error:
            errors.update({f"peg_{k}": v for k, v in error.errors.items()})
    pgic_value: Pgic | None = None
    wants_pgic = kind in (VisitKind.REASSESSMENT, VisitKind.PERIOD_END)
    if pgic is None or pgic == "":
        if wants_pgic:
            errors["pgic"] = "choose how the patient's condition has changed since the start"
    elif not wants_pgic:
        errors["pgic"] = (
            "the impression of change is asked at reassessment, not at baseline: there is "
            "nothing yet to compare with"
        )
    else:
        try:
            pgic_value = Pgic.parse(pgic)
        except InvalidValue as error:
            errors["pgic"] = str(error)
    if errors:
        raise FieldErrors(errors)
    return VisitRecord(kind, day, peg_value, pgic_value, period)


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
