"""Pooling benchmarks (issue 15): the exact tau grid against statsmodels' combine_effects.

combine_effects (Paule-Mandel, ``method_re="iterated"``) gives a point estimate of tau and the
random-effects mean; ours integrates over tau on the grid and also gives tau's interval, the
predictive distribution and the responder share, so the ratio is the price of the posterior.
"""

from __future__ import annotations

import hashlib

import numpy as np

from benchmarks.timing import best
from ldntrial.core.analysis.pooling import pool
from ldntrial.core.doses import Dose
from ldntrial.core.registry.analysis import analyse
from ldntrial.core.registry.flow import completers
from ldntrial.core.registry.summaries import Completion, PatientSummary, cohorts
from ldntrial.core.trial.diary import SideEffect
from ldntrial.core.trial.drug import Timing
from ldntrial.core.trial.instruments import Direction
from ldntrial.core.trial.protocol import Design


def summaries(n: int, seed: int = 15) -> tuple[np.ndarray, np.ndarray]:
    """Per-patient effects (mu -1, tau 0.8) and posterior SDs U(0.3, 0.8), as statistics.md §4.3."""
    rng = np.random.default_rng(seed)
    s = rng.uniform(0.3, 0.8, n)
    return -1.0 + 0.8 * rng.standard_normal(n) + s * rng.standard_normal(n), s


def _pair(n: int, number: int) -> tuple[float, float]:
    from statsmodels.stats.meta_analysis import combine_effects

    y, s = summaries(n)

    def ours() -> float:
        return pool(y, s, better=Direction.LOWER, mcid=2.0).mean

    def reference() -> float:
        return float(combine_effects(y, s**2, method_re="iterated").mean_effect_re)

    ref = combine_effects(y, s**2, method_re="iterated")
    # The two must agree before their speed means anything.
    assert abs(ours() - reference()) < 0.05 * float(ref.sd_eff_w_re)
    return best(ours, number), best(reference, number)


def bench_pool_million() -> tuple[str, float, float]:
    """Pooling 1,000,000 summaries on the exact grid vs combine_effects (PM) on the same."""
    ours, reference = _pair(1_000_000, 1)
    return "pool 1,000,000 summaries (exact tau grid) / combine_effects PM", ours, reference


def bench_pool_thousand() -> tuple[str, float, float]:
    ours, reference = _pair(1_000, 20)
    return "pool 1,000 summaries (exact tau grid) / combine_effects PM", ours, reference


def registry(n: int, seed: int = 10) -> list[PatientSummary]:
    """``n`` completed trials, half blinded and half open label, doses 1.5-4.5 mg, night or
    morning, a side effect in one in five."""
    rng = np.random.default_rng(seed)
    fingerprint = hashlib.sha256(b"benchmark protocol").hexdigest()
    rows = []
    for i in range(n):
        design = Design.BLINDED_N_OF_1 if i % 2 else Design.OPEN_LABEL
        sd = float(rng.uniform(0.3, 0.9))
        mean = -0.5 if design is Design.BLINDED_N_OF_1 else -2.0
        rows.append(
            PatientSummary(
                patient_key=f"patient-{i:08d}",
                protocol_fingerprint=fingerprint,
                condition="fibromyalgia",
                design=design,
                metric="pain",
                better=Direction.LOWER,
                mcid=2.0,
                status=Completion.COMPLETED,
                effect=float(mean + 0.8 * rng.standard_normal() + sd * rng.standard_normal()),
                effect_sd=sd,
                dose=Dose(str(rng.choice(["1.5", "3", "4.5"]))),
                timing=Timing.MORNING if i % 3 == 0 else Timing.NIGHT,
                diary_days=84,
                side_effects=((SideEffect.VIVID_DREAMS, 5),) if i % 5 == 0 else (),
            )
        )
    return rows


def bench_registry() -> tuple[str, float, float]:
    """The whole registry analysis of 10,000 summaries (two designs: flow, completers and ITT,
    shrinkage, subgroups, dose/timing regression, side effects) vs combine_effects on the
    completers' effects of both designs."""
    from statsmodels.stats.meta_analysis import combine_effects

    rows = registry(10_000)
    arrays = [completers(c.summaries) for c in cohorts(rows)]

    def ours() -> object:
        return analyse(rows)

    def reference() -> object:
        return [combine_effects(a.effects, a.sds**2, method_re="iterated") for a in arrays]

    name = "registry analysis of 10,000 summaries / combine_effects PM"
    return name, best(ours, 1), best(reference, 1)


POOLING_BENCHES = (bench_pool_million, bench_pool_thousand, bench_registry)
