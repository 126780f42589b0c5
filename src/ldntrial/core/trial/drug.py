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
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, PlainValidator, model_validator

from ldntrial.core.data_files import Int, Number, Text, validate
from ldntrial.core.doses import MAX_DOSE_MG, Dose, DoseRange
from ldntrial.core.errors import DataFileError
from ldntrial.core.sources import Source, Sources

SCHEMA = "ldntrial.ldn-profile/1"
V = TypeVar("V")


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
    low: Int
    high: Int

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


def _time(text: object) -> dt.time:
    if not isinstance(text, str):
        raise ValueError(f'expected a time such as "22:00", found {text!r}')
    return dt.time.fromisoformat(text)


class _Baseline(BaseModel):
    minimum: Int
    default: Int


class _BeyondUse(BaseModel):
    refrigerated: Int
    room_temperature: Int


class _Sourced(BaseModel, Generic[V]):
    """One value of the profile with its sources (its ``note`` is for people)."""

    value: V
    sources: Sources = ()


class _Values(BaseModel):
    low_dose_range_mg: _Sourced[DoseRange]
    usual_start_mg: _Sourced[DoseRange]
    usual_target_mg: _Sourced[Dose]
    highest_studied_mg: _Sourced[Dose]
    full_dose_tablet_mg: _Sourced[Dose]
    usual_step_interval_days: _Sourced[IntRange]
    shortest_usual_step_interval_days: _Sourced[Int]
    default_timing: _Sourced[Timing]
    default_dose_time: _Sourced[dict[Timing, Annotated[dt.time, PlainValidator(_time)]]]
    reassessment_window_weeks: _Sourced[IntRange]
    baseline_days: _Sourced[_Baseline]
    success_relative_fall: _Sourced[Number]
    success_absolute_fall_points: _Sourced[Number]
    success_probability: _Sourced[Number]
    capsule_strengths_mg: _Sourced[tuple[Dose, ...]]
    capsule_beyond_use_days: _Sourced[Int]
    oral_liquid_concentrations_mg_per_ml: _Sourced[tuple[Decimal, ...]]
    oral_liquid_beyond_use_days: _Sourced[_BeyondUse]
    default_overage_percent: _Sourced[Int]
    pharmacy_safety_note: _Sourced[Text]

    @model_validator(mode="before")
    @classmethod
    def _every_value_once(cls, raw: object) -> object:
        if isinstance(raw, Mapping):
            missing = [key for key in cls.model_fields if key not in raw]
            if missing:
                raise ValueError(f"missing value(s) {', '.join(missing)}")
            unknown = sorted(set(raw) - set(cls.model_fields))
            if unknown:
                raise ValueError(f"unknown value(s) {', '.join(unknown)}")
        return raw


class _Profile(BaseModel):
    values: _Values


def parse_profile(raw: object, where: str = "ldn_profile.yaml") -> LdnProfile:
    """Validate the raw profile document and build the profile."""
    v = validate(_Profile, raw, where=where, schema=SCHEMA, rows={"values": ""}).values
    profile = LdnProfile(
        low_dose_range=v.low_dose_range_mg.value,
        usual_start=v.usual_start_mg.value,
        usual_target=v.usual_target_mg.value,
        highest_studied=v.highest_studied_mg.value,
        full_dose_tablet=v.full_dose_tablet_mg.value,
        usual_step_interval_days=v.usual_step_interval_days.value,
        shortest_usual_step_interval_days=v.shortest_usual_step_interval_days.value,
        default_timing=v.default_timing.value,
        default_dose_time=v.default_dose_time.value,
        reassessment_window_weeks=v.reassessment_window_weeks.value,
        minimum_baseline_days=v.baseline_days.value.minimum,
        default_baseline_days=v.baseline_days.value.default,
        success_relative_fall=v.success_relative_fall.value,
        success_absolute_fall_points=v.success_absolute_fall_points.value,
        success_probability=v.success_probability.value,
        capsule_strengths=tuple(sorted(v.capsule_strengths_mg.value)),
        capsule_beyond_use_days=v.capsule_beyond_use_days.value,
        oral_liquid_concentrations=v.oral_liquid_concentrations_mg_per_ml.value,
        oral_liquid_beyond_use_days_refrigerated=v.oral_liquid_beyond_use_days.value.refrigerated,
        oral_liquid_beyond_use_days_room_temperature=(
            v.oral_liquid_beyond_use_days.value.room_temperature
        ),
        default_overage_percent=v.default_overage_percent.value,
        pharmacy_safety_note=v.pharmacy_safety_note.value,
        sources={key: getattr(v, key).sources for key in _Values.model_fields},
    )
    _check_consistency(profile, where)
    return profile


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
