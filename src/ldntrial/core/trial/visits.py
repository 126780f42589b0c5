"""When a protocol's visits happen and what a recorded visit must hold (PEG, PGIC): the rules
that need the protocol, apart from the visit measures' value types, which the protocol uses."""

from __future__ import annotations

import datetime as dt

from ldntrial.core.errors import FieldErrors, InvalidValue
from ldntrial.core.trial.protocol import Protocol
from ldntrial.core.trial.visit_measures import PegScore, Pgic, VisitKind, VisitRecord

# Product rules (docs/decisions/0017): the reassessment visit may be recorded from a week before
# the reassessment date (the PEG asks about the past week) to two weeks after it.
REASSESSMENT_WINDOW_BEFORE = 7
REASSESSMENT_WINDOW_AFTER = 14


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
