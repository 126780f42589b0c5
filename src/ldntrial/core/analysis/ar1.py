"""Bayesian linear regression with AR(1) errors, exact up to a one-dimensional grid over rho.

    y_t = x_t' b + u_t,   u_t = rho^g u_t' + e_t   (g = days since the last observed day)

For each rho on the grid the gap-aware Prais-Winsten transform makes the errors independent, so
the posterior of (b, sigma^2) is conjugate normal-inverse-gamma and the marginal likelihood of
the data is closed-form (with the transform's Jacobian). Rho is integrated over the grid with a
uniform prior, so each coefficient's posterior is a mixture of Student-t distributions: means,
quantiles and tail probabilities are exact, and independent draws are exact too.

Priors (weakly informative on a 0-10 scale), stated here and in docs/decisions/0008:
    b | sigma^2 ~ N(m0, sigma^2 * diag(s0^2))   with m0 = 5 for the intercept, 0 otherwise,
                                                  and s0 = 10 for every coefficient;
    sigma^2     ~ Inverse-Gamma(1, 1);
    rho         ~ Uniform(-0.98, 0.98), as 99 equally spaced grid points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

Array = NDArray[np.float64]

RHO_GRID: Array = np.linspace(-0.98, 0.98, 99)
PRIOR_SCALE = 10.0
PRIOR_A = 1.0
PRIOR_B = 1.0


@dataclass(frozen=True)
class Prior:
    mean: Array  # (p,)
    scale: Array  # (p,), multiplies sigma
    a: float = PRIOR_A
    b: float = PRIOR_B

    @classmethod
    def weakly_informative(cls, columns: int, *, intercept_mean: float = 5.0) -> Prior:
        mean = np.zeros(columns)
        mean[0] = intercept_mean
        return cls(mean, np.full(columns, PRIOR_SCALE))


@dataclass(frozen=True)
class GridPosterior:
    """The posterior as a mixture over the rho grid."""

    rho: Array  # (R,)
    weights: Array  # (R,), sum to 1
    mean: Array  # (R, p): posterior mean of b given rho
    cov_unit: Array  # (R, p, p): Vn, so that Cov(b | rho, sigma^2) = sigma^2 Vn
    a: float  # inverse-gamma shape (the same for every rho)
    b: Array  # (R,) inverse-gamma scale

    @property
    def dof(self) -> float:
        return 2 * self.a

    def location(self, k: int) -> Array:
        return self.mean[:, k]

    def scale(self, k: int) -> Array:
        return np.sqrt(self.b / self.a * self.cov_unit[:, k, k])

    def posterior_mean(self, k: int) -> float:
        return float(self.weights @ self.location(k))

    def cdf(self, k: int, x: float) -> float:
        z = (x - self.location(k)) / self.scale(k)
        return float(self.weights @ special.stdtr(self.dof, z))

    def quantile(self, k: int, q: float) -> float:
        loc, scale = self.location(k), self.scale(k)
        low = float(np.min(loc - 60 * scale))
        high = float(np.max(loc + 60 * scale))
        for _ in range(200):
            mid = (low + high) / 2
            if self.cdf(k, mid) < q:
                low = mid
            else:
                high = mid
            if high - low < 1e-9:
                break
        return (low + high) / 2

    def rho_mean(self) -> float:
        return float(self.weights @ self.rho)

    def draws(self, n: int, seed: int = 20261127) -> Array:
        """Exact independent draws of b (n, p): rho by weight, sigma^2, then b."""
        rng = np.random.default_rng(seed)
        pick = rng.choice(len(self.weights), size=n, p=self.weights)
        sigma2 = self.b[pick] / rng.gamma(self.a, 1.0, size=n)
        chol = np.linalg.cholesky(self.cov_unit[pick])
        z = rng.standard_normal((n, self.mean.shape[1]))
        noise: Array = np.einsum("nij,nj->ni", chol, z)
        return self.mean[pick] + np.sqrt(sigma2)[:, None] * noise


def prais_winsten(days: Array, values: Array, rho: Array) -> tuple[Array, Array]:
    """The gap-aware transform of ``values`` (n,) or (n, p) for every rho (R,).

    Returns the transformed values (R, n[, p]) and the log-Jacobian (R,).
    """
    gaps = np.diff(days)  # (n-1,)
    r = rho[:, None]
    lag = r ** gaps[None, :]  # (R, n-1)
    c = np.sqrt((1 - r ** (2 * gaps[None, :])) / (1 - r**2))  # (R, n-1)
    first = np.sqrt(1 - rho**2)
    if values.ndim == 1:
        head = first[:, None] * values[None, :1]
        tail = (values[None, 1:] - lag * values[None, :-1]) / c
    else:
        head = first[:, None, None] * values[None, :1, :]
        tail = (values[None, 1:, :] - lag[..., None] * values[None, :-1, :]) / c[..., None]
    transformed = np.concatenate([head, tail], axis=1)
    log_jacobian = np.log(first) - np.log(c).sum(axis=1)
    return transformed, log_jacobian


def fit(days: Array, y: Array, x: Array, prior: Prior, rho: Array = RHO_GRID) -> GridPosterior:
    """The posterior for observed ``days`` (increasing), outcomes ``y`` and design ``x``."""
    days = np.asarray(days, dtype=float)
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    n, p = x.shape
    if n != len(y) or n != len(days):
        raise ValueError("days, y and x must have the same number of rows")
    if n <= p:
        raise ValueError(f"{n} observations cannot estimate {p} coefficients")
    if np.any(np.diff(days) <= 0):
        raise ValueError("days must be strictly increasing")
    ys, log_jac = prais_winsten(days, y, rho)  # (R, n)
    xs, _ = prais_winsten(days, x, rho)  # (R, n, p)
    v0_inv = np.diag(1 / prior.scale**2)
    precision = np.einsum("rni,rnj->rij", xs, xs) + v0_inv  # (R, p, p)
    rhs = np.einsum("rni,rn->ri", xs, ys) + v0_inv @ prior.mean  # (R, p)
    mean = np.linalg.solve(precision, rhs[..., None])[..., 0]
    cov_unit = np.linalg.inv(precision)
    a = prior.a + n / 2
    quad_prior = prior.mean @ v0_inv @ prior.mean
    b = prior.b + 0.5 * (
        np.einsum("rn,rn->r", ys, ys) + quad_prior - np.einsum("ri,ri->r", mean, rhs)
    )
    _, logdet_vn = np.linalg.slogdet(cov_unit)
    logdet_v0 = float(np.sum(np.log(prior.scale**2)))
    log_ml = (
        -n / 2 * np.log(2 * np.pi)
        + 0.5 * (logdet_vn - logdet_v0)
        + prior.a * np.log(prior.b)
        - a * np.log(b)
        + special.gammaln(a)
        - special.gammaln(prior.a)
        + log_jac
    )
    w = np.exp(log_ml - log_ml.max())
    return GridPosterior(rho, w / w.sum(), mean, cov_unit, a, b)
