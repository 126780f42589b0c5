"""The AR(1) grid-Bayes engine: a known answer, a slow reference, and a simulation study."""

import numpy as np
import pytest

from ldntrial.core.analysis.ar1 import RHO_GRID, Prior, fit, prais_winsten


def test_the_transform_reproduces_cochrane_orcutt_on_the_macro_data():
    # Reference: statsmodels regression/tests/test_glsar_gretl.py (gretl), at fixed rho:
    #   y = 400*diff(log(realinv)); X = [1, 400*diff(log(realgdp)), realint[:-1]]
    #   Cochrane-Orcutt rho = -0.108136 -> params -9.50990, 4.37040, -0.579253;
    #   bse 0.990456, 0.208146, 0.268009 (statistics.md §5, case V3)
    sm = pytest.importorskip("statsmodels.api")
    d = sm.datasets.macrodata.load_pandas().data
    y = 400 * np.diff(np.log(d["realinv"].to_numpy()))
    x = np.column_stack(
        [
            np.ones(len(y)),
            400 * np.diff(np.log(d["realgdp"].to_numpy())),
            d["realint"].to_numpy()[:-1],
        ]
    )
    days = np.arange(len(y), dtype=float)
    rho = np.array([-0.108136])
    ys, _ = prais_winsten(days, y, rho)
    xs, _ = prais_winsten(days, x, rho)
    ys, xs = ys[0, 1:], xs[0, 1:]  # Cochrane-Orcutt drops the first observation
    beta, *_ = np.linalg.lstsq(xs, ys, rcond=None)
    resid = ys - xs @ beta
    s2 = resid @ resid / (len(ys) - xs.shape[1])
    se = np.sqrt(np.diag(s2 * np.linalg.inv(xs.T @ xs)))
    np.testing.assert_allclose(beta, [-9.50990, 4.37040, -0.579253], atol=5e-5)
    np.testing.assert_allclose(se, [0.990456, 0.208146, 0.268009], atol=5e-5)


def test_a_gap_is_handled_as_the_right_power_of_rho():
    # With rho fixed, y_3 after a gap of 2 days is predicted from y_1 by rho^2.
    days = np.array([0.0, 1.0, 3.0])
    values = np.array([1.0, 2.0, 4.0])
    out, log_jac = prais_winsten(days, values, np.array([0.5]))
    scale = np.sqrt((1 - 0.5**4) / (1 - 0.5**2))
    np.testing.assert_allclose(out[0], [np.sqrt(0.75) * 1, 2 - 0.5 * 1, (4 - 0.25 * 2) / scale])
    np.testing.assert_allclose(log_jac[0], np.log(np.sqrt(0.75)) - np.log(scale))


def design(n_base=14, n_titr=28, n_maint=42):
    phase = np.array([0] * n_base + [1] * n_titr + [2] * n_maint)
    x = np.column_stack([np.ones(len(phase)), phase == 2, phase == 1]).astype(float)
    return x


def simulate(rng, x, effect, rho, sigma=1.0, missing=0.1):
    n = len(x)
    u = np.empty(n)
    u[0] = rng.normal(0, sigma / np.sqrt(1 - rho**2))
    for t in range(1, n):
        u[t] = rho * u[t - 1] + rng.normal(0, sigma)
    y = 6 + effect * x[:, 1] + 0.5 * effect * x[:, 2] + u
    keep = rng.random(n) >= missing
    keep[:3] = True
    days = np.arange(n, dtype=float)[keep]
    return days, y[keep], x[keep]


@pytest.mark.slow
@pytest.mark.parametrize("rho", [0.0, 0.5, 0.8])
@pytest.mark.parametrize("effect", [0.0, -1.0, -2.0])
def test_95_percent_intervals_cover_in_every_setting(rho, effect):
    # 500 synthetic trials per setting, 10% of days missing. Monte-Carlo SE of a coverage of
    # 0.95 from 500 trials is about 0.01, so the accepted band 0.92-0.98 is about 3 SE wide.
    rng = np.random.default_rng(int(1000 * rho + 10 * abs(effect)))
    x = design()
    hits = 0
    for _ in range(500):
        days, y, xs = simulate(rng, x, effect, rho)
        post = fit(days, y, xs, Prior.weakly_informative(3))
        low, high = post.quantile(1, 0.025), post.quantile(1, 0.975)
        hits += low <= effect <= high
    assert 0.92 <= hits / 500 <= 0.98


@pytest.mark.slow
def test_probabilities_of_beating_the_mcid_are_calibrated():
    # True effects drawn from U(-3, 1) and rho from U(0, 0.8); the reported P(effect < -1)
    # is compared with how often the true effect was below -1, in bins of the reported value.
    rng = np.random.default_rng(7)
    x = design()
    reported, truth = [], []
    for _ in range(1200):
        effect, rho = rng.uniform(-3, 1), rng.uniform(0, 0.8)
        days, y, xs = simulate(rng, x, effect, rho)
        post = fit(days, y, xs, Prior.weakly_informative(3))
        reported.append(post.cdf(1, -1.0))
        truth.append(effect < -1.0)
    reported, truth = np.array(reported), np.array(truth)
    for low, high in [(0, 0.1), (0.1, 0.5), (0.5, 0.9), (0.9, 1.0001)]:
        chosen = (reported >= low) & (reported < high)
        assert chosen.sum() >= 50, (low, high, chosen.sum())
        assert abs(reported[chosen].mean() - truth[chosen].mean()) < 0.08, (low, high)


def test_the_grid_has_99_points_inside_the_unit_interval():
    assert len(RHO_GRID) == 99
    assert RHO_GRID.min() == -0.98
    assert RHO_GRID.max() == 0.98


def test_too_few_observations_are_refused():
    with pytest.raises(ValueError, match="cannot estimate"):
        fit(np.arange(3.0), np.ones(3), np.ones((3, 3)), Prior.weakly_informative(3))
