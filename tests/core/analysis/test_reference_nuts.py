"""The grid posterior against NUTS (NumPyro) on the same likelihood and priors (slow)."""

import numpy as np
import pytest

from ldntrial.core.analysis.ar1 import PRIOR_A, PRIOR_B, PRIOR_SCALE, Prior, fit
from tests.core.analysis.test_ar1 import design, simulate


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_grid_agrees_with_nuts_on_the_same_model():
    numpyro = pytest.importorskip("numpyro")
    import jax
    import jax.numpy as jnp
    import numpyro.distributions as dist
    from numpyro.infer import MCMC, NUTS

    rng = np.random.default_rng(2026)
    days, y, x = simulate(rng, design(), effect=-1.5, rho=0.5)
    prior = Prior.weakly_informative(3)
    grid = fit(days, y, x, prior)

    gaps = jnp.asarray(np.diff(days))
    yj, xj = jnp.asarray(y), jnp.asarray(x)

    def model():
        # Reference call: NUTS on the identical model (statistics.md §4.4):
        # rho ~ U(-0.98, 0.98); sigma^2 ~ InvGamma(1, 1); b ~ N(m0, sigma * 10).
        rho = numpyro.sample("rho", dist.Uniform(-0.98, 0.98))
        sigma2 = numpyro.sample("sigma2", dist.InverseGamma(PRIOR_A, PRIOR_B))
        sigma = jnp.sqrt(sigma2)
        b = numpyro.sample(
            "b", dist.Normal(jnp.asarray(prior.mean), sigma * PRIOR_SCALE).to_event(1)
        )
        mu = xj @ b
        resid = yj - mu
        lag = rho**gaps
        c = jnp.sqrt((1 - rho ** (2 * gaps)) / (1 - rho**2))
        first = jnp.sqrt(1 - rho**2) * resid[0]
        rest = (resid[1:] - lag * resid[:-1]) / c
        z = jnp.concatenate([first[None], rest])
        log_jac = jnp.log(jnp.sqrt(1 - rho**2)) - jnp.sum(jnp.log(c))
        numpyro.factor("ar1", dist.Normal(0, sigma).log_prob(z).sum() + log_jac)

    mcmc = MCMC(
        NUTS(model),
        num_warmup=1500,
        num_samples=6000,
        num_chains=2,
        chain_method="sequential",
        progress_bar=False,
    )
    mcmc.run(jax.random.PRNGKey(0))
    effect = np.asarray(mcmc.get_samples()["b"][:, 1])
    assert abs(grid.posterior_mean(1) - effect.mean()) < 0.03
    assert abs(grid.quantile(1, 0.025) - np.quantile(effect, 0.025)) < 0.06
    assert abs(grid.quantile(1, 0.975) - np.quantile(effect, 0.975)) < 0.06
    assert abs(grid.cdf(1, -1.0) - np.mean(effect < -1.0)) < 0.03
