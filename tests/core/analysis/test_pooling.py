"""Pooling per-patient effects: where the model coincides with statsmodels and metafor it gives
their numbers; elsewhere it behaves as the normal-normal model must."""

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy import optimize, stats

from ldntrial.core.analysis.pooling import (
    DEFAULT_TAU_PRIOR,
    pool,
    reml_tau2,
)
from ldntrial.core.analysis.random_effects import (
    HalfCauchy,
    HalfNormal,
    NormalPrior,
    conditional,
    fit,
)
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.instruments import Direction

sm_meta = pytest.importorskip("statsmodels.stats.meta_analysis")
results_meta = pytest.importorskip("statsmodels.stats.tests.results.results_meta")

# Kacker 2004, as shipped in statsmodels' own tests (stats/tests/results/results_meta.py, BSD-3).
KACKER = results_meta.exk1_metafor
Y, V = np.asarray(KACKER.yi, dtype=float), np.asarray(KACKER.vi, dtype=float)
S = np.sqrt(V)


Array = NDArray[np.float64]


def simulated(
    rng: np.random.Generator, n: int, mu: float = -1.0, tau: float = 0.8
) -> tuple[Array, Array]:
    """``n`` patients' effects and their standard errors, true effects N(mu, tau^2)."""
    s = rng.uniform(0.3, 0.8, n)
    return mu + tau * rng.standard_normal(n) + s * rng.standard_normal(n), s


# Where the models coincide: given tau, with a flat prior on mu, the posterior of mu is the
# random-effects estimate N(mu_RE(tau), SE_RE(tau)^2) of every frequentist meta-analysis.


def test_given_the_paule_mandel_tau_the_posterior_of_mu_is_combine_effects():
    # Reference: statsmodels combine_effects(y, v, method_re="iterated", atol=1e-10)
    ref = sm_meta.combine_effects(Y, V, method_re="iterated", atol=1e-10)
    given = conditional(Y, S, float(np.sqrt(ref.tau2)))
    assert given.mean[0] == pytest.approx(ref.mean_effect_re, abs=1e-6)
    assert np.sqrt(given.cov[0, 0]) == pytest.approx(ref.sd_eff_w_re, abs=1e-6)


@pytest.mark.parametrize(
    "result",
    [
        # R metafor: rma(y, v, method="PM", control=list(tol=1e-9))
        results_meta.exk1_metafor,
        # R metafor: rma(y, v, method="DL", control=list(tol=1e-9))
        results_meta.exk1_dl,
        # R metafor: rma(y, v, method="FE", control=list(tol=1e-9)) (tau = 0)
        results_meta.exk1_fe,
    ],
    ids=["PM", "DL", "FE"],
)
def test_the_metafor_example_statsmodels_ships_is_reproduced(result):
    tau2 = getattr(result, "tau2", 0.0)
    given = conditional(Y, S, float(np.sqrt(tau2)))
    assert given.mean[0] == pytest.approx(result.b, abs=1e-9)
    assert np.sqrt(given.cov[0, 0]) == pytest.approx(result.se, abs=1e-9)
    low, high = given.mean[0] + np.array([-1, 1]) * 1.959963984540054 * np.sqrt(given.cov[0, 0])
    assert (low, high) == pytest.approx((result.ci_lb, result.ci_ub), abs=1e-9)


def restricted_log_likelihood(y: Array, v: Array, tau2: float) -> float:
    """REML log-likelihood of tau^2 written out independently (Viechtbauer 2005, eq. 8)."""
    w = 1 / (v + tau2)
    mu = w @ y / w.sum()
    return float(-0.5 * (np.log(v + tau2).sum() + np.log(w.sum()) + w @ (y - mu) ** 2))


def test_the_reml_estimate_maximises_the_restricted_likelihood():
    # Reference: scipy.optimize.minimize_scalar on the REML log-likelihood above.
    ref = optimize.minimize_scalar(
        lambda t2: -restricted_log_likelihood(Y, V, t2),
        bounds=(0, 10),
        method="bounded",
        options={"xatol": 1e-12},
    )
    assert reml_tau2(Y, S) == pytest.approx(ref.x, abs=1e-7)


def test_given_the_reml_tau_the_posterior_of_mu_is_the_reml_random_effects_estimate():
    # combine_effects has no REML option (method_re is iterated/pm/chi2/dl), so the REML
    # estimate is given to it as part of each variance; its fixed-effect fields are then the
    # random-effects estimate with that tau. Also statsmodels WLS with weights 1/(v + tau^2)
    # and cov_type="fixed_scale", the check statsmodels' test_meta.py uses against metafor.
    import statsmodels.api as sm

    tau2 = reml_tau2(Y, S)
    ref = sm_meta.combine_effects(Y, V + tau2, method_re="dl")
    wls = sm.WLS(Y, np.ones(len(Y)), weights=1 / (V + tau2)).fit(cov_type="fixed_scale")
    given = conditional(Y, S, float(np.sqrt(tau2)))
    assert given.mean[0] == pytest.approx(ref.mean_effect_fe, abs=1e-6)
    assert np.sqrt(given.cov[0, 0]) == pytest.approx(ref.sd_eff_w_fe, abs=1e-6)
    assert given.mean[0] == pytest.approx(wls.params[0], abs=1e-9)
    assert np.sqrt(given.cov[0, 0]) == pytest.approx(wls.bse[0], abs=1e-9)


def test_the_grid_density_of_tau_is_the_restricted_likelihood_times_the_prior():
    # With a flat prior on mu, log p(y | tau) is the REML log-likelihood of tau^2 (+ constant).
    taus = np.array([0.0, 0.3, 0.84, 1.5, 3.0])
    ours = np.array([conditional(Y, S, t).log_marginal for t in taus])
    ref = np.array([restricted_log_likelihood(Y, V, t**2) for t in taus])
    np.testing.assert_allclose(ours - ours[0], ref - ref[0], atol=1e-9)


def test_with_a_thousand_patients_the_posterior_mean_is_the_paule_mandel_estimate():
    rng = np.random.default_rng(15)
    y, s = simulated(rng, 1000)
    ours = pool(y, s, better=Direction.LOWER, mcid=1.0)
    # Reference: statsmodels combine_effects(y, s**2, method_re="iterated")
    ref = sm_meta.combine_effects(y, s**2, method_re="iterated", atol=1e-10)
    assert abs(ours.mean - ref.mean_effect_re) < 0.02 * ref.sd_eff_w_re
    assert ours.mean_sd == pytest.approx(ref.sd_eff_w_re, rel=0.02)
    assert ours.tau_median == pytest.approx(np.sqrt(ref.tau2), rel=0.02)
    assert ours.tau_reml == pytest.approx(np.sqrt(reml_tau2(y, s)))


# The grid: exact up to quadrature, and the quadrature has converged.


@pytest.mark.parametrize("n", [8, 300, 50_000])
def test_more_grid_nodes_change_nothing_that_is_reported(n):
    rng = np.random.default_rng(n)
    y, s = simulated(rng, n)
    default = pool(y, s, better=Direction.LOWER, mcid=2.0)
    fine = pool(y, s, better=Direction.LOWER, mcid=2.0, nodes=4097)
    scale = default.mean_sd
    assert abs(default.mean - fine.mean) < 1e-6 * scale
    assert abs(default.mean_sd - fine.mean_sd) < 1e-6 * scale
    np.testing.assert_allclose(default.mean_interval, fine.mean_interval, atol=1e-6 * scale)
    np.testing.assert_allclose(
        default.tau_interval, fine.tau_interval, atol=1e-4 * (default.tau_interval[1])
    )
    assert default.tau_median == pytest.approx(fine.tau_median, rel=1e-4)
    assert default.responder_share == pytest.approx(fine.responder_share, abs=1e-7)


def test_eight_schools_matches_the_published_grid_values():
    # statistics.md §5 case V5 (Rubin 1981): mu ~ N(0, 5), tau ~ Half-Cauchy(5).
    # A 20,000-draw NUTS run gave E[mu] 4.38, SD 3.36, E[tau] 3.64; the slow test reruns NUTS.
    y = np.array([28, 8, -3, 7, -1, 1, 18, 12.0])
    s = np.array([15, 10, 16, 11, 9, 11, 10, 18.0])
    grid = fit(y, s, tau_prior=HalfCauchy(5.0), coef_prior=NormalPrior((0.0,), (5.0,)))
    mean, sd = grid.coef_mean_sd(0)
    assert mean == pytest.approx(4.397, abs=1e-3)
    assert sd == pytest.approx(3.318, abs=1e-3)
    assert grid.tau_mean() == pytest.approx(3.594, abs=5e-3)


def test_a_million_patients_pool_with_the_exact_grid():
    rng = np.random.default_rng(1)
    y, s = simulated(rng, 1_000_000)
    pooled = pool(y, s, better=Direction.LOWER, mcid=1.0)
    # Reference: statsmodels combine_effects(y, s**2, method_re="dl") on the same summaries.
    ref = sm_meta.combine_effects(y, s**2, method_re="dl")
    assert pooled.patients == 1_000_000
    assert abs(pooled.mean - ref.mean_effect_re) < 0.05 * ref.sd_eff_w_re
    assert pooled.mean_sd == pytest.approx(ref.sd_eff_w_re, rel=0.01)
    assert pooled.tau_interval[0] < np.sqrt(ref.tau2) < pooled.tau_interval[1]
    assert pooled.tau_interval[1] - pooled.tau_interval[0] < 0.01  # resolved, not one node


# What the outputs mean.


def test_the_responder_share_is_the_share_of_a_known_population():
    # With 200,000 patients mu and tau are known to 1e-3, so the predicted share of patients
    # improving by at least 2 points is Phi((-2 - mu) / tau) of the generating population.
    rng = np.random.default_rng(7)
    y, s = simulated(rng, 200_000, mu=-1.0, tau=0.8)
    pooled = pool(y, s, better=Direction.LOWER, mcid=2.0)
    assert pooled.responder_share == pytest.approx(stats.norm.cdf((-2 + 1.0) / 0.8), abs=0.003)
    low, high = pooled.responder_share_interval
    assert low < pooled.responder_share < high
    assert pooled.share_better_than(0.0) == pytest.approx(stats.norm.cdf(1.0 / 0.8), abs=0.003)


def test_better_is_direction_aware():
    # A fall in pain and a rise in sleep quality of the same size are the same improvement.
    rng = np.random.default_rng(3)
    y, s = simulated(rng, 60)
    pain = pool(y, s, better=Direction.LOWER, mcid=1.0)
    sleep = pool(-y, s, better=Direction.HIGHER, mcid=1.0)
    assert sleep.mean == pytest.approx(-pain.mean)
    assert sleep.responder_share == pytest.approx(pain.responder_share)
    assert sleep.p_mean_better == pytest.approx(pain.p_mean_better)
    assert sleep.responder_share_interval == pytest.approx(pain.responder_share_interval)
    assert pain.p_mean_better > 0.99  # the simulated mean is a fall of 1 point


def test_a_new_patient_varies_more_than_the_population_mean():
    rng = np.random.default_rng(4)
    y, s = simulated(rng, 40)
    pooled = pool(y, s, better=Direction.LOWER, mcid=2.0)
    assert pooled.predictive_mean == pytest.approx(pooled.mean)
    assert pooled.predictive_sd**2 > pooled.mean_sd**2 + pooled.tau_interval[0] ** 2
    assert pooled.predictive_interval[0] < pooled.mean_interval[0]
    assert pooled.predictive_interval[1] > pooled.mean_interval[1]


def test_each_patient_is_shrunk_toward_the_population_mean_and_precise_ones_less():
    rng = np.random.default_rng(5)
    y, s = simulated(rng, 50)
    y[:2], s[:2] = (-4.0, -4.0), (0.2, 2.0)  # the same estimate, one precise, one vague
    pooled = pool(y, s, better=Direction.LOWER, mcid=2.0)
    shrunk = pooled.shrink(y, s)
    nearest, farthest = np.minimum(y, pooled.mean), np.maximum(y, pooled.mean)
    assert ((nearest <= shrunk.mean) & (shrunk.mean <= farthest)).all()
    assert abs(shrunk.mean[0] - y[0]) < abs(shrunk.mean[1] - y[1])
    assert (shrunk.sd < s).all()
    assert ((shrunk.low < shrunk.mean) & (shrunk.mean < shrunk.high)).all()
    assert shrunk.p_better_than_mcid[0] > shrunk.p_better_than_mcid[1]


def test_with_tau_known_shrinkage_is_the_textbook_precision_weighted_mean():
    rng = np.random.default_rng(6)
    y, s = simulated(rng, 200_000)
    pooled = pool(y, s, better=Direction.LOWER, mcid=2.0)
    tau2 = pooled.tau_median**2
    shrunk = pooled.shrink(y[:5], s[:5])
    expected = (y[:5] / s[:5] ** 2 + pooled.mean / tau2) / (1 / s[:5] ** 2 + 1 / tau2)
    np.testing.assert_allclose(shrunk.mean, expected, atol=2e-3)
    np.testing.assert_allclose(shrunk.sd, 1 / np.sqrt(1 / s[:5] ** 2 + 1 / tau2), atol=2e-3)


def test_the_default_prior_is_half_normal_with_a_scale_of_one_and_a_half_points():
    assert HalfNormal(1.5) == DEFAULT_TAU_PRIOR
    rng = np.random.default_rng(8)
    y, s = simulated(rng, 400)
    # With a few hundred patients the data, not the prior, decide.
    light = pool(y, s, better=Direction.LOWER, mcid=1.0)
    heavy = pool(y, s, better=Direction.LOWER, mcid=1.0, tau_prior=HalfCauchy(5.0))
    assert light.mean == pytest.approx(heavy.mean, abs=0.01 * light.mean_sd)
    assert light.tau_median == pytest.approx(heavy.tau_median, rel=0.01)


# Bad input is refused with a message that says what to fix.


@pytest.mark.parametrize(
    ("effects", "sds", "message"),
    [
        ([-1.0], [0.5], "at least 2 patients"),
        ([-1.0, -2.0], [0.5], "give one each"),
        ([-1.0, np.nan], [0.5, 0.5], "finite"),
        ([-1.0, -2.0], [0.5, 0.0], "SD of 0"),
        ([-1.0, -2.0], [0.5, -0.5], "between"),
    ],
)
def test_bad_effects_are_refused(effects, sds, message):
    with pytest.raises(InvalidValue, match=message):
        pool(np.array(effects), np.array(sds), better=Direction.LOWER, mcid=2.0)


def test_an_mcid_must_be_a_positive_number_of_points():
    with pytest.raises(InvalidValue, match="MCID must be a positive"):
        pool(np.array([-1.0, -2.0]), np.array([0.5, 0.5]), better=Direction.LOWER, mcid=0.0)


def test_effects_on_another_scale_than_their_sds_are_refused():
    with pytest.raises(InvalidValue, match="same scale"):
        pool(
            np.array([-1e5, 1e5]),
            np.array([1e-3, 1e-3]),
            better=Direction.LOWER,
            mcid=2.0,
            tau_prior=HalfCauchy(1e3),
        )


def test_a_grid_too_coarse_to_integrate_is_refused():
    with pytest.raises(InvalidValue, match="at least 9 nodes"):
        pool(
            np.array([-1.0, -2.0]), np.array([0.5, 0.5]), better=Direction.LOWER, mcid=2.0, nodes=3
        )
