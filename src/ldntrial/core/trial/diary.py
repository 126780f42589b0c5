"""The daily diary: what a valid entry is, and when a day may still be filled or corrected."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ldntrial.core.errors import FieldErrors, InvalidValue
from ldntrial.core.scores import Score
from ldntrial.core.trial.protocol import Protocol

MAX_NOTE = 1000
MAX_OTHER = 200


class SideEffect(enum.Enum):
    """The side-effect checklist. Vivid dreams and insomnia are the effects most reported on LDN
    (shared/facts/ldn-evidence.md §10.1); the others are the issue's checklist."""

    VIVID_DREAMS = "vivid_dreams"
    INSOMNIA = "insomnia"
    HEADACHE = "headache"
    ANXIETY_RESTLESSNESS = "anxiety_restlessness"
    NAUSEA = "nausea"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            SideEffect.VIVID_DREAMS: "Vivid dreams",
            SideEffect.INSOMNIA: "Trouble sleeping",
            SideEffect.HEADACHE: "Headache",
            SideEffect.ANXIETY_RESTLESSNESS: "Anxiety or restlessness",
            SideEffect.NAUSEA: "Nausea",
            SideEffect.OTHER: "Something else",
        }[self]


@dataclass(frozen=True)
class DiaryRecord:
    day: dt.date
    scores: Mapping[str, Score]
    dose_taken: bool | None
    dose_time: dt.time | None
    side_effects: frozenset[SideEffect]
    side_effect_other: str
    note: str


def is_dosing_day(protocol: Protocol, day: dt.date) -> bool:
    return protocol.first_dose_date <= day <= protocol.reassessment_date


def check_day_open(protocol: Protocol, day: dt.date, *, today: dt.date) -> None:
    """Raise unless ``day`` can be filled (or corrected) on ``today``."""
    if day < protocol.start_date or day > protocol.reassessment_date:
        raise InvalidValue(
            f"{day.isoformat()} is outside the trial ({protocol.start_date.isoformat()} to "
            f"{protocol.reassessment_date.isoformat()})"
        )
    if day > today:
        raise InvalidValue(f"{day.isoformat()} has not happened yet: fill in today or earlier days")
    window = protocol.diary_backfill_days
    if (today - day).days > window:
        raise InvalidValue(
            f"the diary for {day.isoformat()} is closed: days can be filled or corrected up to "
            f"{window} day(s) late; tell your clinic if something important is missing"
        )


def open_days(protocol: Protocol, *, today: dt.date) -> list[dt.date]:
    """The days that can still be filled, most recent first."""
    days = []
    for back in range(protocol.diary_backfill_days + 1):
        day = today - dt.timedelta(days=back)
        if protocol.start_date <= day <= protocol.reassessment_date:
            days.append(day)
    return days


def validate_entry(
    protocol: Protocol,
    *,
    day: dt.date,
    today: dt.date,
    scores: Mapping[str, object],
    dose_taken: bool | None,
    dose_time: dt.time | None,
    side_effects: Iterable[str],
    side_effect_other: str = "",
    note: str = "",
) -> DiaryRecord:
    """A diary entry checked against the protocol; every wrong field is reported at once."""
    check_day_open(protocol, day, today=today)
    errors: dict[str, str] = {}
    valid_scores = _checked_scores(protocol, scores, errors)
    _check_dose(protocol, day, dose_taken, dose_time, errors)
    effects, other = _checked_side_effects(side_effects, side_effect_other, errors)
    if len(note) > MAX_NOTE:
        errors["note"] = f"keep the note under {MAX_NOTE} characters"
    if errors:
        raise FieldErrors(errors)
    return DiaryRecord(
        day=day,
        scores=valid_scores,
        dose_taken=dose_taken,
        dose_time=dose_time,
        side_effects=frozenset(effects),
        side_effect_other=other,
        note=note.strip(),
    )


def _checked_scores(
    protocol: Protocol, scores: Mapping[str, object], errors: dict[str, str]
) -> dict[str, Score]:
    valid: dict[str, Score] = {}
    keys = [m.key for m in protocol.metrics]
    for key in scores:
        if key not in keys:
            errors[key] = f"{key!r} is not measured in this trial"
    for metric in protocol.metrics:
        raw = scores.get(metric.key)
        if raw is None or raw == "":
            errors[metric.key] = f"{metric.label}: choose a number from 0 to 10"
            continue
        try:
            valid[metric.key] = Score(_whole(raw))
        except InvalidValue as error:
            errors[metric.key] = f"{metric.label}: {error}"
    return valid


def _check_dose(
    protocol: Protocol,
    day: dt.date,
    dose_taken: bool | None,
    dose_time: dt.time | None,
    errors: dict[str, str],
) -> None:
    dosing = is_dosing_day(protocol, day)
    if dosing and dose_taken is None:
        errors["dose_taken"] = "say whether you took your dose"
    if not dosing and dose_taken is not None:
        errors["dose_taken"] = "no dose is taken during the baseline"
    if dose_time is not None and dose_taken is not True:
        errors["dose_time"] = "a dose time only goes with a dose taken"


def _checked_side_effects(
    names: Iterable[str], other_text: str, errors: dict[str, str]
) -> tuple[set[SideEffect], str]:
    effects: set[SideEffect] = set()
    for name in names:
        try:
            effects.add(SideEffect(name))
        except ValueError:
            errors["side_effects"] = f"{name!r} is not on the side-effect list"
    other = other_text.strip()
    if SideEffect.OTHER in effects and not other:
        errors["side_effect_other"] = "describe the other side effect"
    if other and SideEffect.OTHER not in effects:
        effects.add(SideEffect.OTHER)
    if len(other) > MAX_OTHER:
        errors["side_effect_other"] = f"keep it under {MAX_OTHER} characters"
    return effects, other


def _whole(raw: object) -> int:
    if isinstance(raw, bool):
        raise InvalidValue("choose a number from 0 to 10")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        return int(raw.strip())
    raise InvalidValue(f"{raw!r} is not a number from 0 to 10")
