"""Per-patient summaries: what one trial contributes to pooling, and nothing more.

The caller gives one summary per started trial and per metric its protocol measures, whatever
became of the trial: a trial stopped early, lost to follow-up or still running has a summary
too (with no effect when there is no outcome), so that every started trial is counted.

A summary holds no name, contact, date or free text: a pseudonymous patient key (a keyed hash
made by the web layer), the locked protocol's fingerprint, the condition and metric keys, the
design, the effect and its posterior SD, the MCID the protocol fixed (in points), the trial's
status, the dose reached and its timing, the number of diary days and the days on which each
checklist side effect was reported. ``as_json`` gives its canonical form (sorted keys; see
``ldntrial.core.canonical.canonical_json``), which site bundles sign.

Summaries are pooled in strata (condition, design, metric) and never across them: a ``Cohort``
refuses summaries of two strata, so blinded (LDN against placebo) and open-label (change from
baseline) effects cannot end up in one estimate.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ldntrial.core.analysis.random_effects import MAX_SD, MIN_SD
from ldntrial.core.doses import Dose
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.diary import SideEffect
from ldntrial.core.trial.drug import Timing
from ldntrial.core.trial.instruments import Direction
from ldntrial.core.trial.protocol import Design

SCHEMA = "ldntrial.patient-summary/1"
_PATIENT_KEY = re.compile(r"[A-Za-z0-9_-]{8,128}")
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")
_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class Completion(enum.Enum):
    """How a started trial stands in the registry (not the web app's trial state)."""

    COMPLETED = "completed"  # reached reassessment
    STOPPED_EARLY = "stopped_early"  # ended before reassessment, with a reason
    LOST_TO_FOLLOW_UP = "lost_to_follow_up"  # stopped answering; outcome unknown
    RUNNING = "running"  # not yet at reassessment


class StopReason(enum.Enum):
    """Why a trial ended early: broad categories in the spirit of CONSORT's flow diagram
    ("discontinued intervention (give reasons)"), never free text."""

    SIDE_EFFECTS = "side_effects"
    NO_BENEFIT = "no_benefit"
    PATIENT_CHOICE = "patient_choice"
    CLINICIAN_DECISION = "clinician_decision"
    OTHER = "other"


@dataclass(frozen=True)
class Stratum:
    """What may be pooled together: one condition, one design, one metric."""

    condition: str
    design: Design
    metric: str

    def __lt__(self, other: Stratum) -> bool:
        return self._key() < other._key()

    def _key(self) -> tuple[str, str, str]:
        return (self.condition, self.design.value, self.metric)

    @property
    def label(self) -> str:
        if self.design is Design.BLINDED_N_OF_1:
            return "Effect of LDN against placebo, from blinded n-of-1 trials."
        return (
            "Change from baseline, from open-label trials: it includes placebo response, "
            "natural fluctuation and regression to the mean, not only any effect of LDN."
        )

    def __str__(self) -> str:
        return f"{self.condition} / {self.design.value} / {self.metric}"


@dataclass(frozen=True)
class PatientSummary:
    patient_key: str
    protocol_fingerprint: str
    condition: str
    design: Design
    metric: str
    better: Direction
    mcid: float  # points of improvement the protocol fixed (the caller converts a relative one)
    status: Completion
    stop_reason: StopReason | None = None
    effect: float | None = None  # posterior mean, in points (negative = less pain)
    effect_sd: float | None = None  # posterior SD
    dose: Dose | None = None  # the dose reached
    timing: Timing | None = None
    diary_days: int = 0
    side_effects: tuple[tuple[SideEffect, int | None], ...] = ()  # days reported (None: yes/no)

    def __post_init__(self) -> None:
        _check(self)
        for name in ("mcid", "effect", "effect_sd"):  # one JSON form: 2.0, never 2
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, float(value))
        order = sorted(self.side_effects, key=lambda pair: pair[0].value)
        object.__setattr__(self, "side_effects", tuple(order))

    @property
    def stratum(self) -> Stratum:
        return Stratum(self.condition, self.design, self.metric)

    @property
    def has_outcome(self) -> bool:
        return self.effect is not None

    def reported(self, effect: SideEffect) -> bool:
        return any(name is effect for name, _ in self.side_effects)

    def as_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "patient_key": self.patient_key,
            "protocol_fingerprint": self.protocol_fingerprint,
            "condition": self.condition,
            "design": self.design.value,
            "metric": self.metric,
            "better": self.better.value,
            "mcid": self.mcid,
            "status": self.status.value,
            "stop_reason": self.stop_reason.value if self.stop_reason else None,
            "effect": self.effect,
            "effect_sd": self.effect_sd,
            "dose_mg": _dose_number(self.dose),
            "timing": self.timing.value if self.timing else None,
            "diary_days": self.diary_days,
            "side_effects": {name.value: days for name, days in self.side_effects},
        }

    @classmethod
    def from_json(cls, raw: object) -> PatientSummary:
        if not isinstance(raw, Mapping):
            raise InvalidValue("a patient summary must be a JSON object")
        if raw.get("schema") != SCHEMA:
            raise InvalidValue(f"a patient summary must declare schema {SCHEMA!r}")
        expected = set(cls.__dataclass_fields__) - {"dose"} | {"dose_mg", "schema"}
        unknown, missing = set(raw) - expected, expected - set(raw)
        if unknown or missing:
            parts = [f"unknown field(s) {sorted(unknown)}"] * bool(unknown)
            parts += [f"missing field(s) {sorted(missing)}"] * bool(missing)
            raise InvalidValue("patient summary: " + "; ".join(parts))
        try:
            effects = raw["side_effects"]
            if not isinstance(effects, Mapping):
                raise InvalidValue("side_effects must map each side effect to its days")
            return cls(
                patient_key=raw["patient_key"],
                protocol_fingerprint=raw["protocol_fingerprint"],
                condition=raw["condition"],
                design=Design(raw["design"]),
                metric=raw["metric"],
                better=Direction(raw["better"]),
                mcid=raw["mcid"],
                status=Completion(raw["status"]),
                stop_reason=_optional(StopReason, raw["stop_reason"]),
                effect=raw["effect"],
                effect_sd=raw["effect_sd"],
                dose=None if raw["dose_mg"] is None else Dose(str(raw["dose_mg"])),
                timing=_optional(Timing, raw["timing"]),
                diary_days=raw["diary_days"],
                side_effects=tuple((SideEffect(name), days) for name, days in effects.items()),
            )
        except ValueError as error:
            if isinstance(error, InvalidValue):
                raise
            raise InvalidValue(f"patient summary: {error}") from None


def _optional(kind: Any, value: object) -> Any:
    return None if value is None else kind(value)


def _dose_number(dose: Dose | None) -> int | float | None:
    if dose is None:
        return None
    return int(dose.mg) if dose.mg == dose.mg.to_integral_value() else float(dose.mg)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _identity_problems(s: PatientSummary) -> list[str]:
    """What is wrong with who and what the summary is about."""
    problems: list[str] = []
    if not (isinstance(s.patient_key, str) and _PATIENT_KEY.fullmatch(s.patient_key)):
        problems.append(
            "patient_key must be a pseudonym of 8 to 128 letters, digits, '-' or '_' "
            "(the keyed hash the site makes), never a name or record number"
        )
    if not (
        isinstance(s.protocol_fingerprint, str) and _FINGERPRINT.fullmatch(s.protocol_fingerprint)
    ):
        problems.append("protocol_fingerprint must be the locked protocol's 64 hex digits")
    for what, key in (("condition", s.condition), ("metric", s.metric)):
        if not (isinstance(key, str) and _KEY.fullmatch(key)):
            problems.append(f"{what} must be a key such as 'fibromyalgia' or 'pain'")
    if not isinstance(s.design, Design) or not isinstance(s.better, Direction):
        problems.append("design and better must be a Design and a Direction")
    return problems


def _outcome_problems(s: PatientSummary) -> list[str]:
    """What is wrong with the outcome the summary reports."""
    problems: list[str] = []
    if not (_number(s.mcid) and s.mcid > 0):
        problems.append("mcid must be a positive number of points")
    if not isinstance(s.status, Completion):
        problems.append("status must be a Completion")
    elif (s.status is Completion.STOPPED_EARLY) != (s.stop_reason is not None):
        problems.append("a trial stopped early needs a stop_reason, and only such a trial has one")
    if (s.effect is None) != (s.effect_sd is None):
        problems.append("give effect and effect_sd together, or neither")
    elif s.effect is not None:
        if not _number(s.effect):
            problems.append("effect must be a finite number of points")
        if not (_number(s.effect_sd) and MIN_SD <= float(s.effect_sd or 0) <= MAX_SD):
            problems.append(f"effect_sd must be between {MIN_SD:g} and {MAX_SD:g} points")
        if s.status is Completion.RUNNING:
            problems.append("a running trial has no outcome yet: leave effect empty")
    if (s.dose is None) != (s.timing is None):
        problems.append("give the dose reached and its timing together, or neither")
    if (
        not (isinstance(s.diary_days, int) and not isinstance(s.diary_days, bool))
        or s.diary_days < 0
    ):
        problems.append("diary_days must be a whole number, 0 or more")
    return problems


def _side_effect_problems(s: PatientSummary) -> list[str]:
    """What is wrong with the side effects the summary reports."""
    problems: list[str] = []
    names = [name for name, _ in s.side_effects]
    if len(set(names)) != len(names):
        problems.append("each side effect may appear once")
    for name, days in s.side_effects:
        if not isinstance(name, SideEffect):
            problems.append("side effects must be from the diary's checklist")
        elif days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 1):
            problems.append(f"{name.value}: days reported must be a whole number from 1, or empty")
        elif days is not None and days > s.diary_days:
            problems.append(f"{name.value}: reported on more days than the diary has")
    return problems


def _check(s: PatientSummary) -> None:
    problems = [*_identity_problems(s), *_outcome_problems(s), *_side_effect_problems(s)]
    if problems:
        raise InvalidValue("patient summary: " + "; ".join(problems))


@dataclass(frozen=True)
class Cohort:
    """Summaries of one stratum, one per patient, in patient-key order."""

    stratum: Stratum
    summaries: tuple[PatientSummary, ...]

    def __post_init__(self) -> None:
        for number, summary in enumerate(self.summaries, start=1):
            if summary.stratum != self.stratum:
                what = (
                    "design" if summary.design is not self.stratum.design else "condition or metric"
                )
                raise InvalidValue(
                    f"summary {number} is {summary.stratum}, not {self.stratum}: a cohort holds "
                    f"one stratum (its {what} differs). Blinded and open-label trials are pooled "
                    "separately; group summaries with cohorts() first"
                )
        if len({s.better for s in self.summaries}) > 1:
            raise InvalidValue(f"{self.stratum}: summaries disagree on which direction is better")
        keys = [s.patient_key for s in self.summaries]
        if len(set(keys)) != len(keys):
            raise InvalidValue(
                f"{self.stratum}: a patient appears more than once; give one summary per "
                "patient and metric (each patient's first trial of this design)"
            )
        ordered = tuple(sorted(self.summaries, key=lambda s: s.patient_key))
        object.__setattr__(self, "summaries", ordered)

    @property
    def better(self) -> Direction:
        return self.summaries[0].better if self.summaries else Direction.LOWER

    def __len__(self) -> int:
        return len(self.summaries)


def cohorts(summaries: Iterable[PatientSummary]) -> tuple[Cohort, ...]:
    """Summaries grouped by stratum, strata in order."""
    groups: dict[Stratum, list[PatientSummary]] = {}
    for summary in summaries:
        groups.setdefault(summary.stratum, []).append(summary)
    return tuple(Cohort(stratum, tuple(groups[stratum])) for stratum in sorted(groups))
