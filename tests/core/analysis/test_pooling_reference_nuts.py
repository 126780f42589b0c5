"""The pooling grid against NUTS (NumPyro) on the identical hierarchical model (slow).

Each check allows five Monte-Carlo standard errors of the NUTS estimate (from its effective
sample size), so a failure means the two disagree, not that the sampler was unlucky."""

import math
from collections.abc import Callable
from typing import SupportsFloat

import numpy as np
import pytest
from numpy.typing import NDArray

from ldntrial.core.analysis.pooling import DEFAULT_TAU_PRIOR, pool
from ldntrial.core.analysis.random_effects import HalfCauchy, NormalPrior, TauPrior
from ldntrial.core.trial.instruments import Direction

EIGHT_SCHOOLS_Y = np.array([28, 8, -3, 7, -1, 1, 18, 12.0])  # Rubin 1981
EIGHT_SCHOOLS_S = np.array([15, 10, 16, 11, 9, 11, 10, 18.0])

Array = NDArray[np.float64]
Statistic = Callable[[Array], Array]


def nuts(
    y: Array, s: Array, mu_sd: float, tau_prior: TauPrior, *, draws: int = 10_000, seed: int = 0
) -> dict[str, Array]:
    """Reference call: NumPyro NUTS, non-centred, 2 chains x (2,000 warm-up + ``draws``):
    mu ~ N(0, mu_sd); tau ~ tau_prior; theta = mu + tau z, z ~ N(0, 1); y ~ N(theta, s)."""
    numpyro = pytest.importorskip("numpyro")
    import jax
    import numpyro.distributions as dist
    from numpyro.infer import MCMC, NUTS

    def model() -> None:
        mu = numpyro.sample("mu", dist.Normal(0.0, mu_sd))
        if isinstance(tau_prior, HalfCauchy):
            tau = numpyro.sample("tau", dist.HalfCauchy(tau_prior.scale))
        else:
            tau = numpyro.sample("tau", dist.HalfNormal(tau_prior.scale))
        z = numpyro.sample("z", dist.Normal(0.0, 1.0).expand([len(y)]).to_event(1))
        theta = numpyro.deterministic("theta", mu + tau * z)
        numpyro.sample("y", dist.Normal(theta, s).to_event(1), obs=y)

    mcmc = MCMC(
        NUTS(model, target_accept_prob=0.95),
        num_warmup=2000,
        num_samples=draws,
        num_chains=2,
        chain_method="sequential",
        progress_bar=False,
    )
    mcmc.run(jax.random.PRNGKey(seed))
    return {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}


def mcse(chains: Array, statistic: Statistic) -> float:
    """Monte-Carlo SE of a mean (or a tail share) from the chains' effective sample size."""
    from numpyro.diagnostics import effective_sample_size

    values = statistic(chains)
    resolution = 1 / values.size  # a tail no draw reached is known to about 1/N
    if np.std(values) == 0:
        return resolution
    ess = float(effective_sample_size(values))
    return max(float(np.std(values)) / math.sqrt(ess), resolution)


def close(
    ours: float,
    chains: Array,
    statistic: Statistic = lambda c: c,
    reference: Callable[[Array], SupportsFloat] = np.mean,
    floor: float = 0.0,
) -> None:
    ref = float(reference(statistic(chains).ravel()))
    bound = 5 * mcse(chains, statistic) + floor
    assert abs(ours - ref) < bound, f"grid {ours:.4f} vs NUTS {ref:.4f} (allowed {bound:.4f})"


def below(x: float) -> Statistic:
    """Whether each draw is below ``x`` (its mean is the share of draws below)."""
    return lambda c: (c < x).astype(float)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_eight_schools_agrees_with_nuts():
    # statistics.md §5 case V5: mu ~ N(0, 5), tau ~ Half-Cauchy(5).
    prior = HalfCauchy(5.0)
    ours = pool(
        EIGHT_SCHOOLS_Y,
        EIGHT_SCHOOLS_S,
        better=Direction.HIGHER,
        mcid=5.0,
        tau_prior=prior,
        mean_prior=NormalPrior((0.0,), (5.0,)),
    )
    draws = nuts(EIGHT_SCHOOLS_Y, EIGHT_SCHOOLS_S, 5.0, prior)
    mu, tau, theta = draws["mu"], draws["tau"], draws["theta"]
    close(ours.mean, mu)
    close(ours.mean_sd, mu, reference=np.std, floor=0.05)
    close(ours.tau_median, tau, reference=np.median, floor=0.05)
    close(ours.grid.tau_mean(), tau)
    shrunk = ours.shrink(EIGHT_SCHOOLS_Y, EIGHT_SCHOOLS_S)
    close(float(shrunk.mean[0]), theta[..., 0])
    # quantiles: the share of NUTS draws below our quantile is the quantile's level
    for q, ours_q in zip((0.025, 0.975), ours.mean_interval, strict=True):
        close(q, mu, statistic=below(ours_q))


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_default_prior_agrees_with_nuts_on_a_small_registry():
    # 25 simulated pain effects; tau ~ Half-Normal(1.5) (the default), mu ~ N(0, 100) on both
    # sides (practically flat; NUTS needs a proper prior).
    rng = np.random.default_rng(25)
    s = rng.uniform(0.3, 0.9, 25)
    y = -1.2 + 0.9 * rng.standard_normal(25) + s * rng.standard_normal(25)
    ours = pool(y, s, better=Direction.LOWER, mcid=2.0, mean_prior=NormalPrior((0.0,), (100.0,)))
    draws = nuts(y, s, 100.0, DEFAULT_TAU_PRIOR, seed=1)
    mu, tau, theta = draws["mu"], draws["tau"], draws["theta"]
    close(ours.mean, mu)
    close(ours.mean_sd, mu, reference=np.std, floor=0.01)
    close(ours.tau_median, tau, reference=np.median, floor=0.01)
    for q, ours_q in zip((0.025, 0.975), ours.tau_interval, strict=True):
        close(q, tau, statistic=below(ours_q))
    # The predicted share of responders: P(theta_new <= -2), theta_new ~ N(mu, tau) per draw.
    from scipy import stats

    def share(c: Array) -> Array:
        out: Array = stats.norm.cdf((-2 - c[0]) / c[1])
        return out

    def responds(c: Array) -> Array:
        return (c <= -2).astype(float)

    close(ours.responder_share, np.stack([mu, tau]), statistic=share)
    shrunk = ours.shrink(y, s)
    for i in (0, 1, 2):
        close(float(shrunk.mean[i]), theta[..., i])
        close(float(shrunk.p_better_than_mcid[i]), theta[..., i], statistic=responds)
