"""What the registry shows for one stratum (condition, design, metric), from patient summaries.

``analyse(summaries)`` groups the summaries into strata (never pooling across designs), and for
each gives: the flow of every started trial, the completers' and the intention-to-treat pooled
estimates, each completer's shrunken estimate, subgroups by timing and dose band, the dose and
timing meta-regression, and side-effect incidence. Summaries are taken in patient-key order, so
the answer does not depend on the order (or the site) they came from.

Small cells are not suppressed here: the pages and exports apply ``registry.suppression`` to the
counts this gives, with their configured minimum.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from ldntrial.core.analysis.pooling import (
    CREDIBLE,
    DEFAULT_TAU_PRIOR,
    MIN_PATIENTS,
    PooledEstimate,
    pool,
)
from ldntrial.core.analysis.random_effects import TauPrior
from ldntrial.core.doses import Dose
from ldntrial.core.registry.comparisons import (
    DEFAULT_DOSE_EDGES,
    REFERENCE_DOSE,
    DoseTiming,
    Incidence,
    Subgroup,
    by_dose_band,
    by_timing,
    dose_bands,
    dose_timing,
    side_effect_incidence,
)
from ldntrial.core.registry.flow import (
    ITT_RULE,
    Flow,
    Outcomes,
    completers,
    intention_to_treat,
)
from ldntrial.core.registry.summaries import Cohort, PatientSummary, Stratum, cohorts
from ldntrial.core.trial.drug import Timing
from ldntrial.core.trial.instruments import Direction


@dataclass(frozen=True)
class PoolingSettings:
    tau_prior: TauPrior = DEFAULT_TAU_PRIOR
    level: float = CREDIBLE
    dose_edges: tuple[Decimal, ...] = DEFAULT_DOSE_EDGES
    reference_dose: Dose = field(default_factory=lambda: REFERENCE_DOSE)


DEFAULT_SETTINGS = PoolingSettings()


@dataclass(frozen=True)
class PatientEstimate:
    """One completer's own estimate beside their estimate after pooling (shrunken)."""

    patient_key: str
    effect: float
    effect_sd: float
    shrunken_mean: float
    shrunken_sd: float
    shrunken_interval: tuple[float, float]
    p_better_than_mcid: float  # after pooling, against the patient's own protocol's MCID
    dose: Dose | None
    timing: Timing | None


@dataclass(frozen=True)
class StratumAnalysis:
    stratum: Stratum
    label: str  # what the effect means (blinded: against placebo; open label: from baseline)
    better: Direction
    mcid: float  # the MCID the population responder share uses: the median of the protocols'
    mcids_differ: bool
    flow: Flow
    completers: PooledEstimate | None
    intention_to_treat: PooledEstimate | None
    imputed: int  # trials counted as "no change" in the intention-to-treat estimate
    itt_rule: str
    patients: tuple[PatientEstimate, ...]  # completers, in patient-key order
    by_timing: tuple[Subgroup, ...]
    by_dose_band: tuple[Subgroup, ...]
    dose_timing: DoseTiming
    side_effects: tuple[Incidence, ...]
    notes: tuple[str, ...]


def analyse(
    summaries: Iterable[PatientSummary], settings: PoolingSettings = DEFAULT_SETTINGS
) -> tuple[StratumAnalysis, ...]:
    """Every stratum in the summaries, in stratum order."""
    return tuple(analyse_cohort(cohort, settings) for cohort in cohorts(summaries))


def analyse_cohort(cohort: Cohort, settings: PoolingSettings = DEFAULT_SETTINGS) -> StratumAnalysis:
    rows = cohort.summaries
    better = cohort.better
    mcids = sorted({s.mcid for s in rows})
    mcid = float(np.median([s.mcid for s in rows])) if rows else 1.0
    notes: list[str] = []
    if len(mcids) > 1:
        notes.append(
            f"protocols fixed different MCIDs ({', '.join(f'{m:g}' for m in mcids)} points); "
            f"the predicted share of responders uses their median, {mcid:g} points, and each "
            "patient's own probability uses their protocol's"
        )
    done = completers(rows)
    itt = intention_to_treat(rows)
    pooled = _pool(done, better, mcid, settings, "completers", notes)
    pooled_itt = _pool(itt, better, mcid, settings, "intention-to-treat", notes)
    patients: tuple[PatientEstimate, ...] = ()
    if pooled is not None:
        own = np.array([s.mcid for s in done.summaries])
        shrunk = pooled.shrink(done.effects, done.sds, own)
        patients = tuple(
            PatientEstimate(
                patient_key=s.patient_key,
                effect=float(done.effects[i]),
                effect_sd=float(done.sds[i]),
                shrunken_mean=float(shrunk.mean[i]),
                shrunken_sd=float(shrunk.sd[i]),
                shrunken_interval=(float(shrunk.low[i]), float(shrunk.high[i])),
                p_better_than_mcid=float(shrunk.p_better_than_mcid[i]),
                dose=s.dose,
                timing=s.timing,
            )
            for i, s in enumerate(done.summaries)
        )
    bands = dose_bands(settings.dose_edges)
    prior, level = settings.tau_prior, settings.level
    return StratumAnalysis(
        stratum=cohort.stratum,
        label=cohort.stratum.label,
        better=better,
        mcid=mcid,
        mcids_differ=len(mcids) > 1,
        flow=Flow.of(rows),
        completers=pooled,
        intention_to_treat=pooled_itt,
        imputed=itt.imputed if itt is not None else 0,
        itt_rule=ITT_RULE,
        patients=patients,
        by_timing=by_timing(done, better=better, mcid=mcid, tau_prior=prior, level=level),
        by_dose_band=by_dose_band(
            done, better=better, mcid=mcid, bands=bands, tau_prior=prior, level=level
        ),
        dose_timing=dose_timing(
            done,
            better=better,
            reference_dose=settings.reference_dose,
            tau_prior=prior,
            level=level,
        ),
        side_effects=side_effect_incidence(rows, bands=bands, level=level),
        notes=tuple(notes),
    )


def _pool(
    outcomes: Outcomes | None,
    better: Direction,
    mcid: float,
    settings: PoolingSettings,
    what: str,
    notes: list[str],
) -> PooledEstimate | None:
    count = 0 if outcomes is None else len(outcomes)
    if outcomes is None or count < MIN_PATIENTS:
        notes.append(f"{what}: {count} patient(s) with an outcome; pooling needs {MIN_PATIENTS}")
        return None
    return pool(
        outcomes.effects,
        outcomes.sds,
        better=better,
        mcid=mcid,
        tau_prior=settings.tau_prior,
        level=settings.level,
    )
