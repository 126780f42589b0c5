"""Trial protocols: the design, phases, metrics and success criteria fixed before a trial.

A protocol becomes immutable when it is locked. Its fingerprint is the SHA-256 of its canonical
JSON, so anyone holding the fingerprint can check that the protocol judged at reassessment is
the one agreed at the start.

This module holds the value type and its canonical content (the fingerprint is part of the
type: a locked protocol whose content no longer gives its fingerprint cannot be built). Designing
and revising a protocol against the clinical rules is ``trial.design``; the file format, both
ways, is ``trial.document``. Neither is imported here.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ldntrial.core.canonical import canonical_json
from ldntrial.core.doses import Dose
from ldntrial.core.errors import InvalidValue, ProtocolLocked
from ldntrial.core.trial.blinded import BlindedDesign, BlindedPeriod
from ldntrial.core.trial.compounding import Formulation, OralLiquid
from ldntrial.core.trial.drug import Timing
from ldntrial.core.trial.instruments import Direction, Metric
from ldntrial.core.trial.titration import (
    TitrationSchedule,
    WarningCode,
)
from ldntrial.core.trial.visit_measures import Pgic

DEFAULT_DIARY_BACKFILL_DAYS = 3


class Design(enum.Enum):
    OPEN_LABEL = "open_label"
    BLINDED_N_OF_1 = "blinded_n_of_1"


class PhaseKind(enum.Enum):
    BASELINE = "baseline"
    TITRATION = "titration"
    MAINTENANCE = "maintenance"


@dataclass(frozen=True)
class Phase:
    kind: PhaseKind
    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


class CriterionKind(enum.Enum):
    RELATIVE_IMPROVEMENT = "relative_improvement"  # a share of the baseline mean, e.g. 0.30
    ABSOLUTE_IMPROVEMENT = "absolute_improvement"  # points on the 0–10 scale, e.g. 2


@dataclass(frozen=True)
class SuccessCriterion:
    """The primary metric improves from the baseline mean by at least ``threshold``, judged
    met when the posterior probability of that is at least ``probability``; and, when
    ``pgic_at_least`` is set, the patient's global impression of change at reassessment is that
    category or better (a co-criterion, e.g. "much improved" or "very much improved")."""

    metric: str
    kind: CriterionKind
    threshold: float
    probability: float
    pgic_at_least: Pgic | None = None

    def __post_init__(self) -> None:
        t, p = self.threshold, self.probability
        if self.kind is CriterionKind.RELATIVE_IMPROVEMENT and not 0 < t <= 1:
            raise InvalidValue(
                f"a relative improvement of {t} is not accepted: give a share of the baseline "
                "mean above 0 and at most 1 (0.30 means 30%)"
            )
        if self.kind is CriterionKind.ABSOLUTE_IMPROVEMENT and not 0 < t <= 10:
            raise InvalidValue(
                f"an improvement of {t} points is not accepted: use more than 0 and at most 10"
            )
        if not 0.5 <= p < 1:
            raise InvalidValue(
                f"probability threshold {p} is not accepted: use at least 0.5 and below 1"
            )
        if self.pgic_at_least is not None and not self.pgic_at_least.at_least(
            Pgic.MINIMALLY_IMPROVED
        ):
            raise InvalidValue(
                f"a global impression of {self.pgic_at_least.value.replace('_', ' ')} cannot be "
                "a success criterion: choose an improvement (minimally, much or very much improved)"
            )

    def describe(self, metric: Metric, *, blinded: bool = False) -> str:
        """The criterion in words; ``blinded`` judges LDN against the identical placebo."""
        way = "fall" if metric.better is Direction.LOWER else "rise"
        if blinded:
            side = "lower" if metric.better is Direction.LOWER else "higher"
            amount = (
                f"{self.threshold:.0%} of the placebo level"
                if self.kind is CriterionKind.RELATIVE_IMPROVEMENT
                else f"{self.threshold:g} points"
            )
            head = f"{metric.label} should be {side} on LDN than on placebo by at least {amount}"
        elif self.kind is CriterionKind.RELATIVE_IMPROVEMENT:
            head = (
                f"{metric.label} should {way} at least {self.threshold:.0%} from the baseline mean"
            )
        else:
            head = (
                f"{metric.label} should {way} at least {self.threshold:g} points from the "
                "baseline mean"
            )
        text = f"{head}, judged met when its probability is at least {self.probability:.0%}"
        if self.pgic_at_least is not None:
            text += (
                ", and the patient's global impression of change should be "
                f"{_pgic_words(self.pgic_at_least)}"
            )
        return text

    def as_json(self) -> dict[str, Any]:
        content: dict[str, Any] = {
            "metric": self.metric,
            "kind": self.kind.value,
            "threshold": self.threshold,
            "probability": self.probability,
        }
        # Omitted when not set, so protocols locked before the co-criterion existed keep their
        # fingerprints.
        if self.pgic_at_least is not None:
            content["pgic_at_least"] = self.pgic_at_least.value
        return content


def _pgic_words(level: Pgic) -> str:
    better = [p for p in Pgic if p.at_least(level)]
    words = [p.value.replace("_", " ") for p in better]
    return words[0] if len(words) == 1 else f"{' or '.join(reversed(words))}"


class TitrationHandling(enum.Enum):
    EXCLUDE = "exclude"  # titration days are left out of the analysis (the default)
    MODEL = "model"  # titration days have a level of their own

    @classmethod
    def parse(cls, text: str) -> TitrationHandling:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise InvalidValue(
                f"titration handling {text!r} is not known: use exclude (leave titration days "
                "out of the comparison) or model (give them a level of their own)"
            ) from None


@dataclass(frozen=True)
class AnalysisSettings:
    """How the trial will be analysed, fixed with the protocol.

    The default leaves titration days out: a titration level cannot follow an effect that
    builds up over the titration weeks, and on such diaries it biased the change toward no
    change and undercovered (docs/validation.md, docs/decisions/0017). It also estimates a
    weekly cycle (one 7-day harmonic): without it a weekly swing made intervals too wide.
    ``weekly`` is None only in settings read from a protocol written before it existed
    (analysed without a weekly cycle, as when it was locked).
    """

    titration: TitrationHandling = TitrationHandling.EXCLUDE
    trend: bool = False
    weekly: bool | None = True
    run_in_days: int = 0  # days after the first dose left out of the analysis
    # Product rules (docs/decisions/0008): 7 matches the profile's minimum baseline (a 7-day
    # average, as in FINAL); 14 maintenance days are two weeks at the steady dose.
    min_baseline_days: int = 7
    min_maintenance_days: int = 14

    def __post_init__(self) -> None:
        for name in ("run_in_days", "min_baseline_days", "min_maintenance_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 84:
                raise InvalidValue(
                    f"analysis {name.replace('_', ' ')} must be 0 to 84, not {value!r}"
                )
        if self.min_baseline_days < 3 or self.min_maintenance_days < 3:
            raise InvalidValue("at least 3 observed days per phase are needed to analyse it")
        if self.weekly is not None and not isinstance(self.weekly, bool):
            raise InvalidValue("analysis weekly must be true or false")

    @property
    def models_weekly_cycle(self) -> bool:
        return bool(self.weekly)

    def describe(self) -> str:
        """The analysis as the protocol states it."""
        parts = [
            "titration days left out of the comparison"
            if self.titration is TitrationHandling.EXCLUDE
            else "titration days modelled as a level of their own"
        ]
        if self.run_in_days:
            parts.append(f"the first {self.run_in_days} days after the first dose left out")
        parts.append("a weekly cycle estimated" if self.weekly else "no weekly cycle")
        parts.append("a linear trend estimated" if self.trend else "no trend")
        parts.append(
            f"at least {self.min_baseline_days} baseline and {self.min_maintenance_days} "
            "maintenance days observed"
        )
        return "; ".join(parts)

    def as_json(self) -> dict[str, Any]:
        content: dict[str, Any] = {
            "titration": self.titration.value,
            "trend": self.trend,
            "run_in_days": self.run_in_days,
            "min_baseline_days": self.min_baseline_days,
            "min_maintenance_days": self.min_maintenance_days,
        }
        # Omitted when None, so protocols locked before it existed keep their fingerprints.
        if self.weekly is not None:
            content["weekly"] = self.weekly
        return content


@dataclass(frozen=True)
class Protocol:
    design: Design
    condition: str
    start_date: dt.date
    baseline_days: int
    titration: TitrationSchedule
    reassessment_date: dt.date
    metrics: tuple[Metric, ...]
    primary_metric: str
    success: SuccessCriterion
    formulation: Formulation
    overage_percent: int
    time_zone: str
    dose_times: Mapping[Timing, dt.time]
    accepted_warnings: tuple[WarningCode, ...] = ()
    reassessment_override: str | None = None
    diary_backfill_days: int = DEFAULT_DIARY_BACKFILL_DAYS
    # None only for protocols written before analysis settings were part of a protocol: they
    # are analysed with the defaults, and their content (and fingerprint) stays as locked.
    analysis: AnalysisSettings | None = field(default_factory=AnalysisSettings)
    # The blinded n-of-1 design (only with Design.BLINDED_N_OF_1), and the commitment to its
    # sealed allocation (a SHA-256 that reveals nothing of it; see trial.randomisation).
    blinded: BlindedDesign | None = None
    allocation_commitment: str | None = None
    locked_at: dt.datetime | None = field(default=None, compare=False)
    # The fingerprint at the moment of locking. A locked protocol whose content no longer gives
    # it cannot be built, so even dataclasses.replace() cannot edit a locked protocol.
    locked_fingerprint: str | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._check_design()
        if isinstance(self.baseline_days, bool) or not isinstance(self.baseline_days, int):
            raise InvalidValue(f"baseline days must be a whole number, not {self.baseline_days!r}")
        self._check_schedule()
        self._check_blinded_dates()
        self._check_metrics()
        require_time_zone(self.time_zone)
        if set(self.dose_times) != set(Timing):
            raise InvalidValue("a protocol needs a dose time for night and for morning")
        object.__setattr__(
            self, "dose_times", MappingProxyType({t: self.dose_times[t] for t in Timing})
        )
        backfill = self.diary_backfill_days  # product rule: at most two weeks late
        if isinstance(backfill, bool) or not isinstance(backfill, int) or not 0 <= backfill <= 14:
            raise InvalidValue(f"the diary backfill window must be 0 to 14 days, not {backfill!r}")
        if self.reassessment_override is not None and not self.reassessment_override.strip():
            raise InvalidValue("an override of the reassessment window needs a reason")
        object.__setattr__(
            self, "accepted_warnings", tuple(sorted(set(self.accepted_warnings), key=_code))
        )
        self._check_lock()

    def _check_schedule(self) -> None:
        if self.titration.first_day != self.first_dose_date:
            raise InvalidValue(
                f"the first dose ({self.titration.first_day.isoformat()}) must be the day after "
                f"the baseline ends ({self.first_dose_date.isoformat()})"
            )
        if self.titration.end != self.reassessment_date:
            raise InvalidValue("the dosing schedule must run until the reassessment date")

    def _check_design(self) -> None:
        if self.design is Design.OPEN_LABEL:
            if self.blinded is not None or self.allocation_commitment is not None:
                raise InvalidValue("an open-label protocol has no blinded periods or allocation")
            return
        if self.blinded is None:
            raise InvalidValue("a blinded n-of-1 protocol needs its design (pairs and periods)")
        commitment = self.allocation_commitment
        if commitment is not None and (
            len(commitment) != 64 or any(c not in "0123456789abcdef" for c in commitment)
        ):
            raise InvalidValue("the allocation commitment must be 64 lower-case hex digits")

    def _check_blinded_dates(self) -> None:
        if self.blinded is None:
            return
        start = self.phases()[-1].first
        end = start + dt.timedelta(days=self.blinded.days - 1)
        if end != self.reassessment_date:
            raise InvalidValue(
                f"the blinded periods run from {start.isoformat()} (the tolerated dose) to "
                f"{end.isoformat()}: the reassessment must be on that last day, not "
                f"{self.reassessment_date.isoformat()}"
            )

    def _check_metrics(self) -> None:
        keys = [m.key for m in self.metrics]
        if not keys or len(set(keys)) != len(keys):
            raise InvalidValue("a protocol needs at least one metric, each named once")
        if self.primary_metric not in keys:
            raise InvalidValue(
                f"primary metric {self.primary_metric!r} is not one of the protocol's metrics "
                f"({', '.join(keys)})"
            )
        if self.success.metric != self.primary_metric:
            raise InvalidValue("the success criterion must be judged on the primary metric")
        if not 0 <= self.overage_percent <= 100:
            raise InvalidValue(f"overage {self.overage_percent}% is not accepted: use 0 to 100%")

    def _check_lock(self) -> None:
        if (self.locked_at is None) != (self.locked_fingerprint is None):
            raise InvalidValue("a lock needs both its time and its fingerprint")
        if self.locked_at is not None and self.locked_at.utcoffset() is None:
            raise InvalidValue("the lock time must carry a time zone")
        if self.locked_at is not None and self.locked_fingerprint != self.fingerprint:
            raise ProtocolLocked(
                f"the protocol was locked at {utc_text(self.locked_at)} and cannot be changed; "
                "create a new protocol instead"
            )

    # Derived facts.

    @property
    def first_dose_date(self) -> dt.date:
        return self.start_date + dt.timedelta(days=self.baseline_days)

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    @property
    def primary(self) -> Metric:
        return next(m for m in self.metrics if m.key == self.primary_metric)

    @property
    def analysis_settings(self) -> AnalysisSettings:
        """The settings the analysis uses: the protocol's own, or the defaults."""
        return self.analysis or AnalysisSettings()

    @property
    def has_analysis(self) -> bool:
        """Whether the protocol fixes its analysis settings (every protocol written now does)."""
        return self.analysis is not None

    @property
    def weeks_to_reassessment(self) -> float:
        return (self.reassessment_date - self.first_dose_date).days / 7

    def phases(self) -> tuple[Phase, ...]:
        baseline = Phase(
            PhaseKind.BASELINE, self.start_date, self.first_dose_date - dt.timedelta(days=1)
        )
        steps = self.titration.steps
        final = steps[-1].dose
        maintenance_from = steps[-1].start
        for step in reversed(steps):
            if step.dose != final:
                break
            maintenance_from = step.start
        phases = [baseline]
        if maintenance_from > self.first_dose_date:
            last = maintenance_from - dt.timedelta(days=1)
            phases.append(Phase(PhaseKind.TITRATION, self.first_dose_date, last))
        phases.append(Phase(PhaseKind.MAINTENANCE, maintenance_from, self.reassessment_date))
        return tuple(phases)

    @property
    def is_blinded(self) -> bool:
        return self.design is Design.BLINDED_N_OF_1

    def periods(self) -> tuple[BlindedPeriod, ...]:
        """The blinded periods (empty for an open-label protocol), without their arms."""
        if self.blinded is None:
            return ()
        return self.blinded.schedule(self.phases()[-1].first)

    # Canonical form.

    def content(self) -> dict[str, Any]:
        """The protocol's content as JSON-ready data: what the fingerprint covers."""
        return {
            "design": self.design.value,
            "condition": self.condition,
            "start_date": self.start_date.isoformat(),
            "baseline_days": self.baseline_days,
            "titration": {
                "steps": [
                    {
                        "start": s.start.isoformat(),
                        "dose_mg": _number(s.dose),
                        "timing": s.timing.value,
                        "reason": s.reason.value,
                    }
                    for s in self.titration.steps
                ]
            },
            "reassessment": {
                "date": self.reassessment_date.isoformat(),
                "override_reason": self.reassessment_override,
            },
            "metrics": [m.as_json() for m in self.metrics],
            "primary_metric": self.primary_metric,
            "success": self.success.as_json(),
            "formulation": _formulation_json(self.formulation),
            "overage_percent": self.overage_percent,
            "time_zone": self.time_zone,
            "dose_times": {t.value: self.dose_times[t].strftime("%H:%M") for t in Timing},
            "accepted_warnings": [w.value for w in self.accepted_warnings],
            "diary_backfill_days": self.diary_backfill_days,
            **({} if self.analysis is None else {"analysis": self.analysis.as_json()}),
            # Only in blinded protocols, so open-label fingerprints are unchanged.
            **({} if self.blinded is None else {"blinded": self._blinded_json()}),
        }

    def _blinded_json(self) -> dict[str, Any]:
        assert self.blinded is not None  # noqa: S101 (only called when set)
        return {**self.blinded.as_json(), "allocation_commitment": self.allocation_commitment}

    def canonical_json(self) -> bytes:
        return canonical_json(self.content())

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON, as 64 hexadecimal digits."""
        return hashlib.sha256(self.canonical_json()).hexdigest()

    # Change.

    def lock(self, *, at: dt.datetime) -> Protocol:
        """This protocol, locked at ``at``: from now on it refuses every change."""
        if self.locked_at is not None:
            raise ProtocolLocked(
                f"the protocol was already locked at {utc_text(self.locked_at)} "
                f"(fingerprint {self.fingerprint[:12]}…)"
            )
        if at.utcoffset() is None:
            raise InvalidValue("the lock time must carry a time zone")
        return replace(self, locked_at=at.astimezone(dt.UTC), locked_fingerprint=self.fingerprint)


def _code(code: WarningCode) -> str:
    return code.value


def _number(dose: Dose) -> int | float:
    return int(dose.mg) if dose.mg == dose.mg.to_integral_value() else float(dose.mg)


def utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def require_time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(
            f"time zone {name!r} is not known: use an IANA name such as Europe/London"
        ) from None


def _formulation_json(formulation: Formulation) -> dict[str, Any]:
    if isinstance(formulation, OralLiquid):
        c = formulation.concentration_mg_per_ml
        return {
            "kind": formulation.kind.value,
            "concentration_mg_per_ml": int(c) if c == c.to_integral_value() else float(c),
            "beyond_use_days": formulation.beyond_use_days,
        }
    return {
        "kind": formulation.kind.value,
        "strengths_mg": [_number(s) for s in formulation.strengths],
        "beyond_use_days": formulation.beyond_use_days,
    }
