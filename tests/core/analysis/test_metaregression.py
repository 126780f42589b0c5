"""Meta-regression of per-patient effects on dose and timing, exact over tau."""

import numpy as np
import pytest
from numpy.typing import NDArray

from ldntrial.core.analysis.metaregression import meta_regression
from ldntrial.core.analysis.random_effects import conditional
from ldntrial.core.errors import InvalidValue

NAMES = ("intercept", "per_mg", "morning_minus_night")


Array = NDArray[np.float64]


def simulate(
    rng: np.random.Generator,
    n: int,
    *,
    intercept: float = -1.2,
    per_mg: float = -0.3,
    morning: float = 0.4,
    tau: float = 0.6,
) -> tuple[Array, Array, Array]:
    """``n`` patients' effects, their SEs and the design (intercept, dose - 4.5 mg, morning)."""
    dose = rng.choice([1.5, 3.0, 4.5], n)
    am = (rng.random(n) < 0.4).astype(float)
    x = np.column_stack([np.ones(n), dose - 4.5, am])
    theta = x @ np.array([intercept, per_mg, morning]) + tau * rng.standard_normal(n)
    s = rng.uniform(0.3, 0.9, n)
    return theta + s * rng.standard_normal(n), s, x


def test_given_tau_the_coefficients_are_weighted_least_squares():
    # Reference: statsmodels WLS(y, X, weights=1/(s^2 + tau^2)).fit(cov_type="fixed_scale"),
    # the random-effects meta-regression at that tau (metafor's rma(yi, vi, mods=...) given tau).
    import statsmodels.api as sm

    rng = np.random.default_rng(1)
    y, s, x = simulate(rng, 80)
    for tau in (0.0, 0.4, 1.1):
        ref = sm.WLS(y, x, weights=1 / (s**2 + tau**2)).fit(cov_type="fixed_scale")
        given = conditional(y, s, tau, x)
        np.testing.assert_allclose(given.mean, ref.params, atol=1e-9)
        np.testing.assert_allclose(np.sqrt(np.diag(given.cov)), ref.bse, atol=1e-9)


def test_known_dose_and_timing_slopes_are_recovered():
    rng = np.random.default_rng(2)
    y, s, x = simulate(rng, 4000)
    fitted = meta_regression(y, s, x, NAMES)
    for name, truth in zip(NAMES, (-1.2, -0.3, 0.4), strict=True):
        c = fitted.coefficient(name)
        assert c.interval[0] < truth < c.interval[1], name
        assert abs(c.mean - truth) < 3 * c.sd, name
    assert fitted.tau_interval[0] < 0.6 < fitted.tau_interval[1]
    assert fitted.coefficient("per_mg").p_positive < 0.001  # more benefit per mg
    assert fitted.coefficient("morning_minus_night").p_positive > 0.999


def test_no_slope_means_no_confident_slope():
    rng = np.random.default_rng(3)
    y, s, x = simulate(rng, 300, per_mg=0.0, morning=0.0)
    fitted = meta_regression(y, s, x, NAMES)
    assert 0.01 < fitted.coefficient("per_mg").p_positive < 0.99
    assert fitted.coefficient("per_mg").interval[0] < 0 < fitted.coefficient("per_mg").interval[1]


@pytest.mark.slow
def test_slope_intervals_cover_their_truth():
    # 1,000 registries of 60 patients: Monte-Carlo SE of a 0.95 coverage is 0.0069, so the
    # band 0.93-0.97 is about three SEs either side.
    rng = np.random.default_rng(4)
    hits = np.zeros(3)
    for _ in range(1000):
        y, s, x = simulate(rng, 60)
        fitted = meta_regression(y, s, x, NAMES)
        for k, truth in enumerate((-1.2, -0.3, 0.4)):
            low, high = fitted.coefficients[k].interval
            hits[k] += low <= truth <= high
    for name, share in zip(NAMES, hits / 1000, strict=True):
        assert 0.93 <= share <= 0.97, f"{name}: {share:.3f}"


def test_a_covariate_that_never_varies_is_refused():
    rng = np.random.default_rng(5)
    y, s, x = simulate(rng, 30)
    x[:, 2] = 0.0
    with pytest.raises(InvalidValue, match="collinear"):
        meta_regression(y, s, x, NAMES)


def test_names_must_match_the_columns():
    rng = np.random.default_rng(6)
    y, s, x = simulate(rng, 30)
    with pytest.raises(InvalidValue, match="3 column"):
        meta_regression(y, s, x, NAMES[:2])
    with pytest.raises(InvalidValue, match="no coefficient 'dose'"):
        meta_regression(y, s, x, NAMES).coefficient("dose")
