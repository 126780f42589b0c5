"""Posteriors that are mixtures of Student-t distributions over a grid (of rho, in ar1).

Given rho, the posterior of a linear combination of regression coefficients is Student-t; over
the grid it is a weighted mixture of them, so means, quantiles, tail probabilities and draws are
exact (see ar1's docstring). The Student-t CDF is read from a table for speed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

Array = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Mixture:
    """Posteriors of one quantity in each of N series: Student-t mixtures over the rho grid.

    ``weights``, ``loc`` and ``scale`` are (N, R); ``dof`` is (N,): the same for every
    component of a series.
    """

    weights: Array
    loc: Array
    scale: Array
    dof: Array

    def __len__(self) -> int:
        return int(self.weights.shape[0])

    def row(self, i: int) -> Mixture:
        return Mixture(
            self.weights[i : i + 1], self.loc[i : i + 1], self.scale[i : i + 1], self.dof[i : i + 1]
        )

    def subset(self, rows: NDArray[np.intp]) -> Mixture:
        return Mixture(self.weights[rows], self.loc[rows], self.scale[rows], self.dof[rows])

    def mean(self) -> Array:
        return weighted(self.weights, self.loc)

    def cdf_many(self, x: Array) -> Array:
        """P(quantity <= x) at several points per series: ``x`` is (N, P), the result too."""
        z = (x[:, :, None] - self.loc[:, None, :]) / self.scale[:, None, :]
        values = t_cdf(z, self.dof)
        out: Array = np.einsum("nr,npr->np", self.weights, values)
        return out

    def cdf(self, x: Array | float) -> Array:
        """P(quantity <= x) for each series; ``x`` is a scalar or (N,)."""
        at = np.broadcast_to(np.asarray(x, dtype=float), (len(self),))
        z = (at[:, None] - self.loc) / self.scale
        return weighted(self.weights, t_cdf(z, self.dof))

    def pdf(self, x: Array | float) -> Array:
        at = np.broadcast_to(np.asarray(x, dtype=float), (len(self),))
        z = (at[:, None] - self.loc) / self.scale
        return weighted(self.weights, _t_pdf(z, self.dof[:, None]) / self.scale)

    def quantile(self, q: float) -> Array:
        """The q-quantile of each series, to about 1e-12 (Halley's method from a normal
        start, kept inside a bracket).

        Each series is iterated on its own until its last step is below 1e-10 of a point, so its
        answer does not depend on the others in the batch.
        """
        x = self._normal_start(q)
        low = np.min(self.loc - 60 * self.scale, axis=1)
        high = np.max(self.loc + 60 * self.scale, axis=1)
        active = np.ones(len(self), dtype=bool)
        for _ in range(60):
            i = np.flatnonzero(active)
            if not len(i):
                break
            loc, scale, dof, w = self.loc[i], self.scale[i], self.dof[i, None], self.weights[i]
            z = (x[i, None] - loc) / scale
            density = _t_pdf(z, dof) / scale
            f = weighted(w, t_cdf(z, self.dof[i])) - q
            f1 = weighted(w, density)
            f2 = weighted(w, -(dof + 1) * z / (dof + z * z) * density / scale)
            low[i] = np.where(f < 0, x[i], low[i])
            high[i] = np.where(f > 0, x[i], high[i])
            newton = f / np.maximum(f1, 1e-300)
            halley = newton / (1 - 0.5 * newton * f2 / np.maximum(f1, 1e-300))
            step = np.where(np.isfinite(halley), halley, newton)
            proposal = x[i] - step
            converged = np.abs(step) <= 1e-10
            inside = (proposal >= low[i]) & (proposal <= high[i])
            x[i] = np.where(converged | inside, proposal, (low[i] + high[i]) / 2)
            active[i] = ~converged & (high[i] - low[i] > 1e-12)
        return x

    def _normal_start(self, q: float) -> Array:
        """A start for :meth:`quantile`: the normal quantile with the mixture's mean and SD."""
        dof = self.dof[:, None]
        mean = self.mean()
        second = weighted(
            self.weights, self.scale**2 * dof / np.maximum(dof - 2, 1e-9) + self.loc**2
        )
        sd = np.sqrt(np.maximum(second - mean**2, 1e-300))
        out: Array = mean + float(special.ndtri(q)) * sd
        return out

    def density(self, xs: Array) -> Array:
        """The posterior density of the first series at the points ``xs``."""
        z = (xs[None, :] - self.loc[0][:, None]) / self.scale[0][:, None]
        pdf = _t_pdf(z, self.dof[0]) / self.scale[0][:, None]
        out: Array = self.weights[0] @ pdf
        return out


# The Student-t CDF from a cubic Hermite table per degree of freedom: on |z| < 40 in steps of
# 1/64 its error is below 2e-10 (tests/core/analysis/test_ar1.py checks it against scipy's
# stdtr), and it is about eight times faster; outside that range stdtr itself is used.
TABLE_LIMIT = 40.0
TABLE_STEP = 1 / 64


@functools.lru_cache(maxsize=1024)
def _t_table(dof: float) -> Array:
    """Cubic coefficients (cells, 4) of the t CDF with ``dof`` degrees of freedom."""
    z = np.arange(-TABLE_LIMIT, TABLE_LIMIT + TABLE_STEP / 2, TABLE_STEP)
    value = special.stdtr(dof, z)
    slope = _t_pdf(z, dof) * TABLE_STEP
    c2 = 3 * (value[1:] - value[:-1]) - 2 * slope[:-1] - slope[1:]
    c3 = 2 * (value[:-1] - value[1:]) + slope[:-1] + slope[1:]
    table: Array = np.stack([value[:-1], slope[:-1], c2, c3], axis=1)
    return table


def t_cdf(z: Array, dof: Array) -> Array:
    """The Student-t CDF at ``z`` (N, ...) with ``dof`` (N,) degrees of freedom per row."""
    distinct, row = np.unique(dof, return_inverse=True)
    tables = np.stack([_t_table(float(d)) for d in distinct])  # (D, cells, 4)
    cells = tables.shape[1]
    which = np.broadcast_to(row.reshape((-1,) + (1,) * (z.ndim - 1)), z.shape)
    u = (np.clip(z, -TABLE_LIMIT, TABLE_LIMIT - 1e-9) + TABLE_LIMIT) / TABLE_STEP
    cell = u.astype(np.intp)
    s = u - cell
    index = which * cells + cell
    flat = tables.reshape(-1, 4)
    out: Array = flat[index, 3] * s
    out += flat[index, 2]
    out *= s
    out += flat[index, 1]
    out *= s
    out += flat[index, 0]
    outside = np.abs(z) >= TABLE_LIMIT
    if outside.any():
        out[outside] = special.stdtr(
            np.broadcast_to(dof.reshape((-1,) + (1,) * (z.ndim - 1)), z.shape)[outside], z[outside]
        )
    return out


def weighted(weights: Array, values: Array) -> Array:
    """sum_r w_r v_r for each series (row by row, so no batch-size effects)."""
    out: Array = np.einsum("nr,nr->n", weights, values)
    return out


def _t_pdf(z: Array, dof: Array | float) -> Array:
    d = np.asarray(dof, dtype=float)
    log_norm = special.gammaln((d + 1) / 2) - special.gammaln(d / 2) - 0.5 * np.log(d * np.pi)
    out: Array = np.exp(log_norm - (d + 1) / 2 * np.log1p(z * z / d))
    return out
