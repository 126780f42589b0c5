"""Dose and timing compared: a meta-regression, pooled subgroups, and side-effect incidence.

The dose reached and its timing are not randomised: patients who tolerate LDN may go higher,
and patients who respond may stop titrating. These are associations within the registry, to be
read beside the trials that compared doses, never as the effect of changing a dose.

Dose bands are a reporting choice. The default edges are the two doses the clinical article
contrasts when it names inconsistent dosing as a critique (1.5 mg against 4.5 mg;
shared/facts/000_37d24b438ac1fd63.txt), giving below 1.5 mg, 1.5 to below 4.5 mg, and 4.5 mg or
more. The meta-regression's intercept is the expected effect at ``REFERENCE_DOSE`` (4.5 mg) taken
at night.

Side-effect incidence is the share of patients who reported a side effect on at least one diary
day (patients, not patient-days: days of one patient are not independent), with Wilson and
Clopper-Pearson intervals, overall and by timing and dose band.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from ldntrial.core.analysis.metaregression import Coefficient, MetaRegression, meta_regression
from ldntrial.core.analysis.pooling import (
    CREDIBLE,
    DEFAULT_TAU_PRIOR,
    MIN_PATIENTS,
    PooledEstimate,
    better_sign,
    pool,
)
from ldntrial.core.analysis.proportions import exact_interval, wilson_interval
from ldntrial.core.analysis.random_effects import TauPrior
from ldntrial.core.doses import Dose, plain_number
from ldntrial.core.errors import InvalidValue
from ldntrial.core.registry.flow import Outcomes
from ldntrial.core.registry.summaries import PatientSummary
from ldntrial.core.trial.diary import SideEffect
from ldntrial.core.trial.drug import Timing
from ldntrial.core.trial.instruments import Direction

DEFAULT_DOSE_EDGES = (Decimal("1.5"), Decimal("4.5"))
REFERENCE_DOSE = Dose("4.5")
INTERCEPT, PER_MG, MORNING = "intercept", "per_mg", "morning_minus_night"
ALL_PATIENTS = "all patients"


@dataclass(frozen=True)
class DoseBand:
    low: Decimal | None  # inclusive
    high: Decimal | None  # exclusive

    def contains(self, dose: Dose) -> bool:
        return (self.low is None or dose.mg >= self.low) and (
            self.high is None or dose.mg < self.high
        )

    @property
    def label(self) -> str:
        if self.low is None:
            return f"below {plain_number(self.high or Decimal(0))} mg"
        if self.high is None:
            return f"{plain_number(self.low)} mg or more"
        return f"{plain_number(self.low)} to below {plain_number(self.high)} mg"


def dose_bands(edges: Sequence[Decimal] = DEFAULT_DOSE_EDGES) -> tuple[DoseBand, ...]:
    cuts = [Decimal(str(edge)) for edge in edges]
    if not cuts or any(c <= 0 for c in cuts) or sorted(set(cuts)) != cuts:
        raise InvalidValue("dose band edges must be increasing positive milligrams, e.g. 1.5, 4.5")
    bounds: list[Decimal | None] = [None, *cuts, None]
    return tuple(DoseBand(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1))


@dataclass(frozen=True)
class Subgroup:
    label: str
    patients: int
    estimate: PooledEstimate | None  # None with fewer than MIN_PATIENTS outcomes


def _subgroups(
    outcomes: Outcomes,
    groups: Iterable[tuple[str, Callable[[PatientSummary], bool]]],
    *,
    better: Direction,
    mcid: float,
    tau_prior: TauPrior,
    level: float,
) -> tuple[Subgroup, ...]:
    result = []
    for label, member in groups:
        chosen = np.array([member(s) for s in outcomes.summaries], dtype=bool)
        n = int(chosen.sum())
        estimate = None
        if n >= MIN_PATIENTS:
            estimate = pool(
                outcomes.effects[chosen],
                outcomes.sds[chosen],
                better=better,
                mcid=mcid,
                tau_prior=tau_prior,
                level=level,
            )
        result.append(Subgroup(label, n, estimate))
    return tuple(result)


def by_timing(
    outcomes: Outcomes,
    *,
    better: Direction,
    mcid: float,
    tau_prior: TauPrior = DEFAULT_TAU_PRIOR,
    level: float = CREDIBLE,
) -> tuple[Subgroup, ...]:
    """Each timing pooled on its own (its own between-patient SD)."""
    groups = [(t.phrase, _has_timing(t)) for t in Timing]
    return _subgroups(outcomes, groups, better=better, mcid=mcid, tau_prior=tau_prior, level=level)


def by_dose_band(
    outcomes: Outcomes,
    *,
    better: Direction,
    mcid: float,
    bands: tuple[DoseBand, ...] | None = None,
    tau_prior: TauPrior = DEFAULT_TAU_PRIOR,
    level: float = CREDIBLE,
) -> tuple[Subgroup, ...]:
    groups = [(band.label, _in_band(band)) for band in bands or dose_bands()]
    return _subgroups(outcomes, groups, better=better, mcid=mcid, tau_prior=tau_prior, level=level)


def _has_timing(timing: Timing) -> Callable[[PatientSummary], bool]:
    return lambda s: s.timing is timing


def _in_band(band: DoseBand) -> Callable[[PatientSummary], bool]:
    return lambda s: s.dose is not None and band.contains(s.dose)


@dataclass(frozen=True)
class DoseTiming:
    """The meta-regression of effects on dose reached and timing, or why it was not fitted."""

    regression: MetaRegression | None
    reference_dose: Dose
    better: Direction
    note: str

    @property
    def per_mg(self) -> Coefficient | None:
        return self._get(PER_MG)

    @property
    def morning_minus_night(self) -> Coefficient | None:
        return self._get(MORNING)

    def p_more_benefit(self, name: str) -> float | None:
        """P(the covariate goes with more improvement): per mg, or morning against night."""
        found = self._get(name)
        if found is None:
            return None
        return found.p_positive if better_sign(self.better) > 0 else 1 - found.p_positive

    def _get(self, name: str) -> Coefficient | None:
        if self.regression is None:
            return None
        return next((c for c in self.regression.coefficients if c.name == name), None)


def dose_timing(
    outcomes: Outcomes,
    *,
    better: Direction,
    reference_dose: Dose = REFERENCE_DOSE,
    tau_prior: TauPrior = DEFAULT_TAU_PRIOR,
    level: float = CREDIBLE,
) -> DoseTiming:
    """effect_i = b0 + b1 (dose_i - reference) + b2 [morning_i] + u_i, fitted on the patients
    with a dose; a covariate that does not vary is left out, and the note says so."""
    rows = [
        (s, e, sd)
        for s, e, sd in zip(outcomes.summaries, outcomes.effects, outcomes.sds, strict=True)
        if s.dose is not None
    ]
    doses = np.array([float(s.dose.mg) for s, _, _ in rows if s.dose is not None])
    morning = np.array([s.timing is Timing.MORNING for s, _, _ in rows], dtype=float)
    columns, names, notes = [np.ones(len(rows))], [INTERCEPT], []
    if len(set(doses.tolist())) > 1:
        columns.append(doses - float(reference_dose.mg))
        names.append(PER_MG)
    else:
        notes.append("every patient reached the same dose, so dose cannot be compared")
    if 0 < morning.sum() < len(rows):
        columns.append(morning)
        names.append(MORNING)
    else:
        notes.append("every patient took LDN at the same time of day, so timing cannot be compared")
    if len(rows) <= len(names) or len(names) == 1:
        reason = f"{len(rows)} patient(s) with a dose and an outcome"
        return DoseTiming(None, reference_dose, better, "; ".join([reason, *notes]))
    regression = meta_regression(
        np.array([e for _, e, _ in rows]),
        np.array([sd for _, _, sd in rows]),
        np.column_stack(columns),
        tuple(names),
        tau_prior=tau_prior,
        level=level,
    )
    note = f"intercept: the expected effect at {reference_dose} taken at night"
    return DoseTiming(regression, reference_dose, better, "; ".join([note, *notes]))


@dataclass(frozen=True)
class Incidence:
    side_effect: SideEffect
    group: str
    patients_with: int
    patients_at_risk: int
    proportion: float
    wilson: tuple[float, float]
    exact: tuple[float, float]


def side_effect_incidence(
    summaries: Iterable[PatientSummary],
    *,
    bands: tuple[DoseBand, ...] | None = None,
    level: float = CREDIBLE,
) -> tuple[Incidence, ...]:
    """Per side effect: overall, by timing and by dose band. Patients at risk are those with at
    least one diary day (and, for timing and dose, a dose reached)."""
    rows = [s for s in summaries if s.diary_days > 0]
    groups: list[tuple[str, Callable[[PatientSummary], bool]]] = [(ALL_PATIENTS, lambda s: True)]
    groups += [(t.phrase, _has_timing(t)) for t in Timing]
    groups += [(band.label, _in_band(band)) for band in bands or dose_bands()]
    at_risk = {label: 0 for label, _ in groups}
    events = {(effect, label): 0 for effect in SideEffect for label, _ in groups}
    for row in rows:
        reported = {name for name, _ in row.side_effects}
        for label, member in groups:
            if member(row):
                at_risk[label] += 1
                for effect in reported:
                    events[effect, label] += 1
    result = []
    for effect in SideEffect:
        for label, _ in groups:
            n, k = at_risk[label], events[effect, label]
            if n == 0:
                continue
            wilson, exact = wilson_interval(k, n, level), exact_interval(k, n, level)
            result.append(Incidence(effect, label, k, n, k / n, wilson, exact))
    return tuple(result)
