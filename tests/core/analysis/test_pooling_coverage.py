"""Coverage of the population-mean interval in simulated registries (slow).

Each replicate is one registry holding blinded and open-label trials of one condition, with
different true means (open label includes placebo response). The summaries go through the
registry's own grouping (``cohorts``), so each design is pooled on its own; each interval must
cover its own design's true mean. True effects are drawn from populations the model does not
assume (a responder/non-responder mixture, heavy tails, skew) as well as the normal one, and
each patient's SD is different (U(0.3, 0.9) points).

2,000 replicates per stratum: the Monte-Carlo SE of a coverage of 0.95 is
sqrt(0.95 * 0.05 / 2000) = 0.0049, so the accepted band 0.93-0.97 is four SEs either side.
"""

import numpy as np
import pytest

from ldntrial.core.analysis.pooling import pool
from ldntrial.core.registry.flow import completers
from ldntrial.core.registry.summaries import PatientSummary, cohorts
from ldntrial.core.trial.protocol import Design
from tests.core.registry import builders

REPLICATES = 2000
TRUE_MEAN = {Design.BLINDED_N_OF_1: -0.8, Design.OPEN_LABEL: -1.8}

STRATA = [
    # (population, patients per design, tau, heavy-tailed errors)
    ("normal", 30, 0.8, False),
    ("normal", 10, 1.0, False),
    ("responders", 30, 1.2, False),
    ("heavy_tailed", 30, 1.0, False),
    ("skewed", 30, 1.0, False),
    ("normal", 30, 0.8, True),
]


def coverage(
    population: str, k: int, tau: float, heavy_errors: bool, seed: int
) -> dict[Design, float]:
    rng = np.random.default_rng(seed)
    hits = dict.fromkeys(TRUE_MEAN, 0)
    for _ in range(REPLICATES):
        registry: list[PatientSummary] = []
        for offset, (design, mu) in enumerate(TRUE_MEAN.items()):
            registry += builders.patients(
                rng,
                getattr(builders, population),
                design=design,
                mu=mu,
                tau=tau,
                k=k,
                first=offset * k,
                heavy_errors=heavy_errors,
            )
        for cohort in cohorts(registry):
            done = completers(cohort.summaries)
            pooled = pool(done.effects, done.sds, better=cohort.better, mcid=2.0)
            low, high = pooled.mean_interval
            hits[cohort.stratum.design] += low <= TRUE_MEAN[cohort.stratum.design] <= high
    return {design: n / REPLICATES for design, n in hits.items()}


@pytest.mark.slow
@pytest.mark.parametrize(("population", "k", "tau", "heavy_errors"), STRATA)
def test_the_population_mean_interval_covers_in_every_stratum(population, k, tau, heavy_errors):
    seed = 1500 + STRATA.index((population, k, tau, heavy_errors))
    found = coverage(population, k, tau, heavy_errors, seed)
    for design, share in found.items():
        assert 0.93 <= share <= 0.97, f"{design.value}: coverage {share:.3f}"
