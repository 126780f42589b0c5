"""The protocol file format, both ways: :func:`protocol_to_document` writes it and
:func:`protocol_from_document` reads it back, checking every field and the fingerprint.

Documents written before analysis settings were part of a protocol have no ``analysis`` block.
They are read as they stand (their fingerprint still verifies, because the content is not
changed) and analysed with the current defaults, which the report says (docs/decisions/0017).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

from ldntrial.core.conditions import ConditionCatalogue
from ldntrial.core.doses import Dose
from ldntrial.core.errors import IntegrityFailure, InvalidValue
from ldntrial.core.trial.blinded import BlindedDesign
from ldntrial.core.trial.compounding import Capsules, Formulation, FormulationKind, OralLiquid
from ldntrial.core.trial.design import check_protocol
from ldntrial.core.trial.drug import LdnProfile, Timing
from ldntrial.core.trial.instruments import Metric
from ldntrial.core.trial.protocol import (
    AnalysisSettings,
    CriterionKind,
    Design,
    Protocol,
    SuccessCriterion,
    TitrationHandling,
    utc_text,
)
from ldntrial.core.trial.titration import (
    DoseStep,
    StepReason,
    TitrationSchedule,
    parse_timing,
    parse_warning_code,
)
from ldntrial.core.trial.visit_measures import Pgic

FORMAT = "ldntrial.protocol/1"

_CONTENT_KEYS = {
    "design",
    "condition",
    "start_date",
    "baseline_days",
    "titration",
    "reassessment",
    "metrics",
    "primary_metric",
    "success",
    "formulation",
    "overage_percent",
    "time_zone",
    "dose_times",
    "accepted_warnings",
    "diary_backfill_days",
}
_OPTIONAL_KEYS = {"analysis", "blinded"}


def protocol_to_document(protocol: Protocol) -> dict[str, Any]:
    """The protocol as a file: content, lock time and fingerprint."""
    return {
        "format": FORMAT,
        "protocol": protocol.content(),
        "locked_at": None if protocol.locked_at is None else utc_text(protocol.locked_at),
        "fingerprint": protocol.fingerprint,
    }


def protocol_from_document(
    raw: object, *, profile: LdnProfile, conditions: ConditionCatalogue
) -> Protocol:
    """The protocol in a document written by :meth:`Protocol.document`.

    Every field is checked as when the protocol was designed. A locked protocol whose content no
    longer matches its fingerprint raises :class:`IntegrityFailure`.
    """
    document = _mapping(raw, "the file")
    if document.get("format") != FORMAT:
        raise InvalidValue(
            f"this is not an ldntrial protocol (format {document.get('format')!r}, "
            f"expected {FORMAT!r})"
        )
    content = _mapping(document.get("protocol"), "protocol")
    locked_at = _lock_time(document.get("locked_at"))
    stored = document.get("fingerprint")
    try:
        protocol = _protocol(content, conditions)
    except (KeyError, TypeError) as error:
        raise InvalidValue(f"protocol field missing or of the wrong kind: {error}") from None
    if locked_at is not None:
        if not isinstance(stored, str):
            raise IntegrityFailure("the protocol is marked locked but carries no fingerprint")
        if stored != protocol.fingerprint:
            raise IntegrityFailure(
                f"fingerprint mismatch: the locked protocol was changed after locking "
                f"(stored {stored[:12]}…, content gives {protocol.fingerprint[:12]}…)"
            )
        # The rules were checked when it was locked; a locked protocol is read as it stands.
        return replace(protocol, locked_at=locked_at.astimezone(dt.UTC), locked_fingerprint=stored)
    check_protocol(protocol, profile)
    return protocol


def _protocol(c: Mapping[str, Any], conditions: ConditionCatalogue) -> Protocol:
    unknown = set(c) - _CONTENT_KEYS - _OPTIONAL_KEYS
    missing = _CONTENT_KEYS - set(c)
    if unknown:
        raise InvalidValue(f"unknown protocol field(s): {', '.join(sorted(unknown))}")
    if missing:
        raise InvalidValue(f"missing protocol field(s): {', '.join(sorted(missing))}")
    try:
        design = Design(c["design"])
    except ValueError:
        known = " or ".join(d.value for d in Design)
        raise InvalidValue(f"design {c['design']!r} is not known: use {known}") from None
    blinded, commitment = _blinded(c.get("blinded"))
    condition = conditions.get(_text(c["condition"], "condition")).key
    steps = tuple(_step(raw, n) for n, raw in enumerate(c["titration"]["steps"], start=1))
    reassessment = _mapping(c["reassessment"], "reassessment")
    reassess = _date(reassessment["date"], "reassessment date")
    success = _mapping(c["success"], "success")
    try:
        kind = CriterionKind(success["kind"])
    except ValueError:
        known = ", ".join(k.value for k in CriterionKind)
        raise InvalidValue(f"success kind {success['kind']!r} is not known: use {known}") from None
    override = reassessment.get("override_reason")
    unknown_success = set(success) - {"metric", "kind", "threshold", "probability", "pgic_at_least"}
    if unknown_success:
        raise InvalidValue(f"unknown success field(s): {', '.join(sorted(unknown_success))}")
    pgic = success.get("pgic_at_least")
    return Protocol(
        design=design,
        condition=condition,
        start_date=_date(c["start_date"], "start date"),
        baseline_days=_int(c["baseline_days"], "baseline days"),
        titration=TitrationSchedule(steps, reassess),
        reassessment_date=reassess,
        metrics=tuple(Metric.from_json(m) for m in c["metrics"]),
        primary_metric=_text(c["primary_metric"], "primary metric"),
        success=SuccessCriterion(
            metric=_text(success["metric"], "success metric"),
            kind=kind,
            threshold=_float(success["threshold"], "success threshold"),
            probability=_float(success["probability"], "success probability"),
            pgic_at_least=None if pgic is None else Pgic.parse(pgic),
        ),
        formulation=_formulation(_mapping(c["formulation"], "formulation")),
        overage_percent=_int(c["overage_percent"], "overage percent"),
        time_zone=_text(c["time_zone"], "time zone"),
        dose_times=_dose_times(_mapping(c["dose_times"], "dose times")),
        accepted_warnings=tuple(parse_warning_code(w) for w in c["accepted_warnings"]),
        reassessment_override=None if override is None else _text(override, "override reason"),
        diary_backfill_days=_int(c["diary_backfill_days"], "diary backfill days"),
        analysis=_analysis(c.get("analysis")),
        blinded=blinded,
        allocation_commitment=commitment,
    )


def _blinded(raw: object) -> tuple[BlindedDesign | None, str | None]:
    if raw is None:
        return None, None
    entry = dict(_mapping(raw, "blinded"))
    commitment = entry.pop("allocation_commitment", None)
    if commitment is not None and not isinstance(commitment, str):
        raise InvalidValue("the allocation commitment must be text")
    return BlindedDesign.from_json(entry), commitment


def _analysis(raw: object) -> AnalysisSettings | None:
    if raw is None:
        return None  # written before protocols held their analysis settings
    entry = _mapping(raw, "analysis")
    known = set(AnalysisSettings().as_json())
    unknown, missing = set(entry) - known, known - set(entry) - {"weekly"}
    if unknown:
        raise InvalidValue(f"unknown analysis setting(s): {', '.join(sorted(unknown))}")
    if missing:
        raise InvalidValue(f"missing analysis setting(s): {', '.join(sorted(missing))}")
    try:
        titration = TitrationHandling(entry["titration"])
    except ValueError:
        raise InvalidValue("analysis titration must be 'exclude' or 'model'") from None
    trend, weekly = entry["trend"], entry.get("weekly")
    if not isinstance(trend, bool):
        raise InvalidValue("analysis trend must be true or false")
    if weekly is not None and not isinstance(weekly, bool):
        raise InvalidValue("analysis weekly must be true or false")
    return AnalysisSettings(
        titration=titration,
        trend=trend,
        weekly=weekly,  # absent (None) in protocols written before it existed
        run_in_days=_int(entry["run_in_days"], "run-in days"),
        min_baseline_days=_int(entry["min_baseline_days"], "minimum baseline days"),
        min_maintenance_days=_int(entry["min_maintenance_days"], "minimum maintenance days"),
    )


def _step(raw: object, number: int) -> DoseStep:
    entry = _mapping(raw, f"dose step {number}")
    try:
        reason = StepReason(entry.get("reason", "custom"))
    except ValueError:
        raise InvalidValue(
            f"dose step {number}: reason {entry.get('reason')!r} is not known"
        ) from None
    return DoseStep(
        start=_date(entry["start"], f"dose step {number} start"),
        dose=_dose(entry["dose_mg"], f"dose step {number}"),
        timing=parse_timing(_text(entry["timing"], f"dose step {number} timing")),
        reason=reason,
    )


def _formulation(raw: Mapping[str, Any]) -> Formulation:
    kind = raw.get("kind")
    days = _int(raw.get("beyond_use_days"), "beyond-use days")
    if kind == FormulationKind.CAPSULES.value:
        strengths = raw.get("strengths_mg")
        if not isinstance(strengths, list):
            raise InvalidValue("capsule strengths must be a list of milligrams")
        return Capsules(tuple(_dose(s, "capsule strength") for s in strengths), days)
    if kind == FormulationKind.ORAL_LIQUID.value:
        return OralLiquid(_decimal(raw.get("concentration_mg_per_ml"), "concentration"), days)
    raise InvalidValue(f"formulation {kind!r} is not known: use capsules or oral_liquid")


def _mapping(raw: object, what: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise InvalidValue(f"{what} must be a JSON object")
    return raw


def _text(raw: object, what: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidValue(f"{what} must be non-empty text")
    return raw


def _int(raw: object, what: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise InvalidValue(f"{what} must be a whole number, not {raw!r}")
    return raw


def _float(raw: object, what: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InvalidValue(f"{what} must be a number, not {raw!r}")
    return float(raw)


def _decimal(raw: object, what: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise InvalidValue(f"{what} must be a number, not {raw!r}")
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        raise InvalidValue(f"{what} must be a number, not {raw!r}") from None


def _dose(raw: object, what: str) -> Dose:
    try:
        return Dose(_decimal(raw, what))
    except InvalidValue as error:
        raise InvalidValue(f"{what}: {error}") from None


def _date(raw: object, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(_text(raw, what))
    except ValueError:
        raise InvalidValue(f"{what} {raw!r} is not a date: use YYYY-MM-DD") from None


def _dose_times(raw: Mapping[str, Any]) -> dict[Timing, dt.time]:
    if set(raw) != {t.value for t in Timing}:
        raise InvalidValue("dose times need exactly a night and a morning time")
    return {parse_timing(key): _time(value, key) for key, value in raw.items()}


def _time(raw: object, which: str) -> dt.time:
    try:
        return dt.time.fromisoformat(_text(raw, f"{which} dose time"))
    except ValueError:
        raise InvalidValue(f"{which} dose time {raw!r} is not a time: use HH:MM") from None


def _lock_time(raw: object) -> dt.datetime | None:
    if raw is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(_text(raw, "locked_at"))
    except ValueError:
        raise InvalidValue(f"locked_at {raw!r} is not a timestamp") from None
    if moment.utcoffset() is None:
        raise InvalidValue("locked_at must carry a time zone")
    return moment
