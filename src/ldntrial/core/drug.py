"""The LDN profile: the sourced dosing facts the planner, protocol and prescription use.

Built from ``data/ldn_profile.yaml`` by :func:`parse_profile`, which refuses a value without a
source, an unverified source, a missing or unknown value, and values that contradict each other.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ldntrial.core.doses import MAX_DOSE_MG, Dose, DoseRange
from ldntrial.core.errors import DataFileError, InvalidValue
from ldntrial.core.sources import Source, parse_sources, require_mapping, require_schema

SCHEMA = "ldntrial.ldn-profile/1"


class Timing(enum.Enum):
    """When in the day the dose is taken."""

    NIGHT = "night"
    MORNING = "morning"

    @property
    def phrase(self) -> str:
        """'at night' or 'in the morning'."""
        return "at night" if self is Timing.NIGHT else "in the morning"


@dataclass(frozen=True)
class IntRange:
    low: int
    high: int

    def contains(self, value: int) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.low}–{self.high}"


@dataclass(frozen=True)
class LdnProfile:
    low_dose_range: DoseRange
    usual_start: DoseRange
    usual_target: Dose
    highest_studied: Dose
    full_dose_tablet: Dose
    usual_step_interval_days: IntRange
    shortest_usual_step_interval_days: int
    default_timing: Timing
    default_dose_time: Mapping[Timing, dt.time]
    reassessment_window_weeks: IntRange
    minimum_baseline_days: int
    default_baseline_days: int
    success_relative_fall: float
    success_absolute_fall_points: float
    success_probability: float
    capsule_strengths: tuple[Dose, ...]
    capsule_beyond_use_days: int
    oral_liquid_concentrations: tuple[Decimal, ...]
    oral_liquid_beyond_use_days_refrigerated: int
    oral_liquid_beyond_use_days_room_temperature: int
    default_overage_percent: int
    pharmacy_safety_note: str  # printed on every prescription, with its sources
    sources: Mapping[str, tuple[Source, ...]]


_KEYS = (
    "low_dose_range_mg",
    "usual_start_mg",
    "usual_target_mg",
    "highest_studied_mg",
    "full_dose_tablet_mg",
    "usual_step_interval_days",
    "shortest_usual_step_interval_days",
    "default_timing",
    "default_dose_time",
    "reassessment_window_weeks",
    "baseline_days",
    "success_relative_fall",
    "success_absolute_fall_points",
    "success_probability",
    "capsule_strengths_mg",
    "capsule_beyond_use_days",
    "oral_liquid_concentrations_mg_per_ml",
    "oral_liquid_beyond_use_days",
    "default_overage_percent",
    "pharmacy_safety_note",
)


def parse_profile(raw: object, where: str = "ldn_profile.yaml") -> LdnProfile:
    """Validate the raw profile document and build the profile."""
    document = require_schema(raw, SCHEMA, where)
    values = require_mapping(document.get("values"), f"{where}: values")
    missing = [key for key in _KEYS if key not in values]
    if missing:
        raise DataFileError(f"{where}: missing value(s) {', '.join(missing)}")
    unknown = sorted(set(values) - set(_KEYS))
    if unknown:
        raise DataFileError(f"{where}: unknown value(s) {', '.join(unknown)}")

    sources: dict[str, tuple[Source, ...]] = {}
    v: dict[str, Any] = {}
    for key in _KEYS:
        row = require_mapping(values[key], f"{where}: {key}")
        sources[key] = parse_sources(row.get("sources"), f"{where}: {key}")
        if "value" not in row:
            raise DataFileError(f"{where}: {key} has no value")
        v[key] = row["value"]

    try:
        profile = _build(v, sources)
    except (InvalidValue, KeyError, TypeError, ValueError) as error:
        raise DataFileError(f"{where}: {error}") from None
    _check_consistency(profile, where)
    return profile


def _build(v: dict[str, Any], sources: dict[str, tuple[Source, ...]]) -> LdnProfile:
    def dose_range(key: str) -> DoseRange:
        return DoseRange(Dose(v[key]["low"]), Dose(v[key]["high"]))

    def int_range(key: str) -> IntRange:
        return IntRange(_int(v[key]["low"]), _int(v[key]["high"]))

    times = {
        Timing(name): dt.time.fromisoformat(text) for name, text in v["default_dose_time"].items()
    }
    return LdnProfile(
        low_dose_range=dose_range("low_dose_range_mg"),
        usual_start=dose_range("usual_start_mg"),
        usual_target=Dose(v["usual_target_mg"]),
        highest_studied=Dose(v["highest_studied_mg"]),
        full_dose_tablet=Dose(v["full_dose_tablet_mg"]),
        usual_step_interval_days=int_range("usual_step_interval_days"),
        shortest_usual_step_interval_days=_int(v["shortest_usual_step_interval_days"]),
        default_timing=Timing(v["default_timing"]),
        default_dose_time=times,
        reassessment_window_weeks=int_range("reassessment_window_weeks"),
        minimum_baseline_days=_int(v["baseline_days"]["minimum"]),
        default_baseline_days=_int(v["baseline_days"]["default"]),
        success_relative_fall=float(v["success_relative_fall"]),
        success_absolute_fall_points=float(v["success_absolute_fall_points"]),
        success_probability=float(v["success_probability"]),
        capsule_strengths=tuple(sorted(Dose(s) for s in v["capsule_strengths_mg"])),
        capsule_beyond_use_days=_int(v["capsule_beyond_use_days"]),
        oral_liquid_concentrations=tuple(
            Decimal(str(c)) for c in v["oral_liquid_concentrations_mg_per_ml"]
        ),
        oral_liquid_beyond_use_days_refrigerated=_int(
            v["oral_liquid_beyond_use_days"]["refrigerated"]
        ),
        oral_liquid_beyond_use_days_room_temperature=_int(
            v["oral_liquid_beyond_use_days"]["room_temperature"]
        ),
        default_overage_percent=_int(v["default_overage_percent"]),
        pharmacy_safety_note=_text(v["pharmacy_safety_note"]),
        sources=sources,
    )


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"expected text, found {value!r}")
    return " ".join(value.split())


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(f"expected a whole number, found {value!r}")
    return value


def _check_consistency(p: LdnProfile, where: str) -> None:
    problems = []
    if p.full_dose_tablet.mg != MAX_DOSE_MG:
        problems.append("full_dose_tablet_mg differs from the dose limit in ldntrial.core.doses")
    if not p.usual_start.high <= p.usual_target <= p.highest_studied:
        problems.append("usual start, usual target and highest studied dose are out of order")
    if not p.minimum_baseline_days <= p.default_baseline_days:
        problems.append("the default baseline is shorter than the minimum")
    if not 0 < p.success_relative_fall < 1 or not 0 < p.success_probability < 1:
        problems.append("success thresholds must lie strictly between 0 and 1")
    if not p.capsule_strengths or not p.oral_liquid_concentrations:
        problems.append("at least one capsule strength and one liquid concentration are needed")
    if set(p.default_dose_time) != set(Timing):
        problems.append("default_dose_time needs a time for night and for morning")
    if problems:
        raise DataFileError(f"{where}: " + "; ".join(problems))
