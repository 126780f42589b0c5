"""The blinded analysis on diaries it does not assume (heavy tails, gradual onset, carry-over,
missing runs, autocorrelation 0.9, weekend effects, all at once), beside the plain difference
of arm means.

The fast version of scripts/validate_blinded.py (docs/validation-blinded.md holds its figures
with 2,000 trials per stratum). Tolerance as in test_validation.py: the coverage band 0.93-0.97
widened by 2 Monte-Carlo SE (0.031 for 200 trials), the bias bar by 2 SE of the mean error.
"""

import numpy as np
import pytest

from ldntrial.core.analysis.blinded_validation import STRATA, validate_blinded
from ldntrial.core.analysis.validation import COVERAGE_BAND, MAX_ABS_BIAS
from tests.core.blinded_builders import blinded_protocol

TRIALS = 200
SLACK = 2 * np.sqrt(0.95 * 0.05 / TRIALS)


@pytest.fixture(scope="module")
def results():
    return {r.name: r for r in validate_blinded(blinded_protocol(), trials=TRIALS, seed=3)}


@pytest.mark.parametrize("stratum", [s.name for s in STRATA])
def test_each_stratum_meets_the_bars_within_monte_carlo_error(results, stratum):
    r = results[stratum]
    low, high = COVERAGE_BAND
    assert low - SLACK <= r.coverage <= high + SLACK, r
    assert abs(r.bias) < MAX_ABS_BIAS + 2 * r.bias_se, r
    assert r.not_analysed <= 0.01 * TRIALS, r


def test_the_difference_of_means_undercovers_where_the_model_does_not(results):
    # Autocorrelated days make the naive Welch interval far too narrow.
    r = results["autocorrelation 0.9"]
    assert r.naive_coverage < 0.8 < r.coverage
