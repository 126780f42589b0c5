"""Bayesian linear regression with AR(1) errors, exact up to a one-dimensional grid over rho.

    y_t = x_t' b + u_t,   u_t = rho^g u_t' + e_t   (g = days since the last observed day)

For each rho on the grid the gap-aware Prais-Winsten transform makes the errors independent, so
the posterior of (b, sigma^2) is conjugate normal-inverse-gamma and the marginal likelihood of
the data is closed-form (with the transform's Jacobian). Rho is integrated over the grid with a
prior (see below), so the posterior of any linear combination c'b is a mixture of Student-t
distributions: means, quantiles and tail probabilities are exact, and independent draws are
exact too.

Priors, stated here and in docs/decisions/0008 and 0009: the reference prior of the linear
model, p(b, sigma^2) proportional to 1 / sigma^2 (flat on b), as in shared/facts/statistics.md
section 3.1 and the nof1 packages' vague priors; and for rho the prior of :func:`rho_log_prior` on
99 equally spaced grid points in [-0.98, 0.98]. With a flat prior on b, the evidence for rho does
not depend on how many nuisance columns the design has (it is the restricted likelihood), and the
posterior of b given rho is Student-t with n - p degrees of freedom around the GLS estimate.

Many series are fitted at once (:func:`fit_batch`). The transformed cross-products for every rho
are built from a few sums per series: rows are grouped by the gap to the previous observed day,
and for a gap g the transformed cross-product of a row is a fixed combination of z_t z_t',
z_t z_t-1' and z_t-1 z_t-1' with weights in rho^g. The arithmetic of each series never mixes
with another's, so a series gives bit-for-bit the same posterior alone or in a batch.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ldntrial.core.analysis.mixture import Mixture, weighted

Array = NDArray[np.float64]

RHO_GRID: Array = np.linspace(-0.98, 0.98, 99)
CHUNK = 1024  # series per block: bounds memory at about CHUNK x 99 x q^2 floats


def rho_log_prior(rho: Array) -> Array:
    """log p(rho) on the grid: p(rho) proportional to 1 / (1 - rho^2) on [-0.98, 0.98], i.e.
    uniform on Fisher's z = atanh(rho), each grid point carrying the prior mass of its cell
    (halfway to its neighbours, the end cells cut at the ends of the range).

    Of the three standard choices tried (uniform in rho, the Jeffreys prior of the AR(1)
    likelihood, uniform in z), only this one kept 95% intervals covering at 0.93-0.97 on every
    validation stratum: short diaries of whole-number scores underestimate strong
    autocorrelation (rounding adds white noise an AR(1) does not have), and the flatter priors
    then undercovered at rho 0.9 (0.89 uniform, 0.92 Jeffreys) and for patients at the floor of
    the scale (docs/validation.md, docs/decisions/0017).
    """
    edges = np.concatenate([[rho[0]], (rho[1:] + rho[:-1]) / 2, [rho[-1]]])
    mass = np.diff(np.arctanh(edges))
    out: Array = np.log(mass)
    return out


@dataclass(frozen=True, eq=False)
class BatchFit:
    """The grid posterior of N series with the same number of coefficients p."""

    rho: Array  # (R,)
    weights: Array  # (N, R), each row sums to 1
    a: Array  # (N,) inverse-gamma shape of sigma^2: (n - p) / 2
    b: Array  # (N, R) inverse-gamma scale: half the residual sum of squares
    chol: Array  # (p, p, N, R): lower Cholesky factor of X*'X*, entry by entry
    rhs: Array  # (p, N, R): chol^-1 X*'y*, so that E[b] = chol^-T rhs

    def contrast(self, c: Array) -> Mixture:
        """The posterior of c'b; ``c`` is (p,) or one row per series (N, p)."""
        p, n, r = self.rhs.shape
        coefficients = np.broadcast_to(np.asarray(c, dtype=float), (n, p))
        v = _forward(self.chol, coefficients)
        loc = np.zeros((n, r))
        quad = np.zeros((n, r))
        for k in range(p):
            loc += v[k] * self.rhs[k]
            quad += v[k] * v[k]
        scale = np.sqrt(self.b / self.a[:, None] * quad)
        return Mixture(self.weights, loc, scale, 2 * self.a)

    def subset(self, rows: NDArray[np.intp]) -> BatchFit:
        return BatchFit(
            self.rho,
            self.weights[rows],
            self.a[rows],
            self.b[rows],
            self.chol[:, :, rows],
            self.rhs[:, rows],
        )

    def rho_mean(self) -> Array:
        return weighted(self.weights, np.broadcast_to(self.rho, self.weights.shape))


def _forward(chol: Array, c: Array) -> Array:
    """Solve chol v = c for each series and grid point: ``chol`` is (p, p, N, R), ``c`` is
    (N, p) (the same right-hand side at every grid point); returns v as (p, N, R)."""
    p = chol.shape[0]
    v = np.zeros(chol.shape[1:])
    for i in range(p):
        acc = np.broadcast_to(c[:, i, None], chol.shape[2:]).copy()
        for j in range(i):
            acc -= chol[i, j] * v[j]
        v[i] = acc / chol[i, i]
    return v


def _cholesky(m: dict[tuple[int, int], Array], q: int) -> Array:
    """Lower Cholesky factors of symmetric positive-definite q x q matrices given by their
    entries m[(i, j)], i <= j, each an array over the batch; returned as (q, q, ...)."""
    shape = m[(0, 0)].shape
    chol = np.zeros((q, q, *shape))
    for j in range(q):
        acc = m[(j, j)].copy()
        for k in range(j):
            acc -= chol[j, k] * chol[j, k]
        chol[j, j] = np.sqrt(np.maximum(acc, 0.0))  # 0 only for an exact fit (refused)
        for i in range(j + 1, q):
            acc = m[(j, i)].copy()
            for k in range(j):
                acc -= chol[i, k] * chol[j, k]
            chol[i, j] = acc / chol[j, j]
    return chol


def fit_batch(series: Sequence[tuple[Array, Array, Array]], rho: Array = RHO_GRID) -> BatchFit:
    """The posteriors of many series ``(days, y, x)``, all with the same number of columns in
    ``x``. Each series needs more observations than columns and some residual variation."""
    parts = [
        _fit_block(series[start : start + CHUNK], rho) for start in range(0, len(series), CHUNK)
    ]
    if not parts:
        raise ValueError("no series to fit")
    return BatchFit(
        parts[0].rho,
        np.concatenate([f.weights for f in parts]),
        np.concatenate([f.a for f in parts]),
        np.concatenate([f.b for f in parts]),
        np.concatenate([f.chol for f in parts], axis=2),
        np.concatenate([f.rhs for f in parts], axis=1),
    )


@functools.lru_cache(maxsize=4096)
def _gap_term(gap: int, rho: bytes) -> tuple[Array, Array, Array]:
    r = np.frombuffer(rho)
    lag = r**gap
    c2 = (1 - r ** (2 * gap)) / (1 - r**2)
    return lag, c2, np.log(c2)


def _gap_terms(gaps: NDArray[np.int64], rho: Array) -> tuple[Array, Array, Array]:
    """rho^g, (1 - rho^2g) / (1 - rho^2) and its log for each gap g of ``gaps`` (N, S)."""
    key = rho.tobytes()
    distinct, index = np.unique(gaps, return_inverse=True)
    tables = [np.stack([_gap_term(int(g), key)[k] for g in distinct]) for k in range(3)]
    shape = (*gaps.shape, len(rho))
    return (
        tables[0][index].reshape(shape),
        tables[1][index].reshape(shape),
        tables[2][index].reshape(shape),
    )


def _padded(
    series: Sequence[tuple[Array, Array, Array]],
) -> tuple[Array, NDArray[np.int_], NDArray[np.bool_], NDArray[np.int64]]:
    """The series as one zero-padded block: [x | y] per day, lengths, which rows follow a row,
    and the gap in days from the row before."""
    p = series[0][2].shape[1]
    lengths = []
    for days, y, x in series:
        n = len(y)
        if x.shape != (n, p) or len(days) != n:
            raise ValueError(f"days, y and x must have {n} rows and x {p} columns")
        if n <= p:
            raise ValueError(f"{n} observations cannot estimate {p} coefficients")
        lengths.append(n)
    width = max(lengths)
    z = np.zeros((len(series), width, p + 1))
    day = np.zeros((len(series), width))
    for i, (days, y, x) in enumerate(series):
        n = lengths[i]
        z[i, :n, :p] = x
        z[i, :n, p] = y
        day[i, :n] = days
    count = np.array(lengths)
    pair = np.arange(1, width)[None, :] < count[:, None]  # (N, T-1): row t has a predecessor
    steps = np.diff(day, axis=1)
    if np.any(pair & (steps <= 0)):
        raise ValueError("days must be strictly increasing")
    gap = np.where(pair, steps, 0).astype(np.int64)
    return z, count, pair, gap


def _fit_block(series: Sequence[tuple[Array, Array, Array]], rho: Array) -> BatchFit:
    p = series[0][2].shape[1]
    q = p + 1
    n_series = len(series)
    z, count, pair, gap = _padded(series)

    # Slots: the distinct gaps of each series, in increasing order.
    none = np.iinfo(np.int64).max
    ordered = np.sort(np.where(pair, gap, none), axis=1)
    later = (ordered[:, 1:] != ordered[:, :-1]) & (ordered[:, 1:] < none)
    fresh = np.concatenate([pair[:, :1], later], axis=1)
    own = fresh.sum(axis=1)  # distinct gaps of each series
    slots = max(int(own.max()), 1)
    gap_of_slot = np.ones((n_series, slots), dtype=np.int64)
    rows, cols = np.nonzero(fresh)
    rank = np.cumsum(fresh, axis=1) - 1
    gap_of_slot[rows, rank[rows, cols]] = ordered[rows, cols]
    slot = np.zeros(gap.shape, dtype=np.int64)
    for s in range(slots):
        mine = pair & (gap == gap_of_slot[:, s : s + 1]) & (s < own)[:, None]
        slot = np.where(mine, s, slot)
    flat = (np.arange(n_series)[:, None] * slots + slot)[pair]
    size = n_series * slots

    # Per slot: sum of z_t z_t', z_t z_t-1' + z_t-1 z_t', z_t-1 z_t-1' over the unique (i <= j).
    upper = [(i, j) for i in range(q) for j in range(i, q)]
    now, before = z[:, 1:, :][pair], z[:, :-1, :][pair]
    # Laid out (term, k, slot, series) so that every array below is contiguous per series.
    sums = np.zeros((3, len(upper), slots, n_series))
    for k, (i, j) in enumerate(upper):
        terms = (
            now[:, i] * now[:, j],
            now[:, i] * before[:, j] + before[:, i] * now[:, j],
            before[:, i] * before[:, j],
        )
        for t, values in enumerate(terms):
            sums[t, k] = (
                np.bincount(flat, weights=values, minlength=size).reshape(n_series, slots).T
            )
    in_slot = np.bincount(flat, minlength=size).reshape(n_series, slots).astype(float)

    # Weights of the three sums for each (series, slot, rho), from one table per gap length (so
    # that a series' numbers never depend on the shape of the batch it is in).
    lag, c2, log_c2 = _gap_terms(gap_of_slot, rho)  # (N, S, R) each
    first = 1 - rho**2  # (R,)
    gram = np.stack([first[None, :] * (z[:, 0, i] * z[:, 0, j])[:, None] for i, j in upper])
    for s in range(slots):  # (K, N, R); padding slots would add exact zeros, so they are skipped
        rows = np.flatnonzero(own > s)
        every = len(rows) == n_series
        w_now = 1 / (c2[:, s, :] if every else c2[rows, s, :])
        w_cross = -(lag[:, s, :] if every else lag[rows, s, :]) * w_now
        w_before = -w_cross * (lag[:, s, :] if every else lag[rows, s, :])
        for k in range(len(upper)):
            add = (
                w_now * sums[0, k, s, rows, None]
                + w_cross * sums[1, k, s, rows, None]
                + w_before * sums[2, k, s, rows, None]
            )
            if every:
                gram[k] += add
            else:
                gram[k, rows] += add
    log_jac = np.broadcast_to(0.5 * np.log(first)[None, :], (n_series, len(rho))).copy()
    for s in range(slots):  # in slot order, so padding slots add exact zeros
        log_jac -= 0.5 * in_slot[:, s, None] * log_c2[:, s, :]

    # The augmented cross-product [[X*'X*, X*'y*], [y*'X*, y*'y*]]: its Cholesky factor holds
    # the GLS fit (rhs), log|X*'X*| (the diagonal) and the residual sum of squares (last entry).
    entry = {(i, j): gram[k] for k, (i, j) in enumerate(upper)}
    with np.errstate(divide="ignore", invalid="ignore"):
        chol = _cholesky(entry, q)  # (q, q, N, R)
    residual = chol[p, p] ** 2
    if np.any(~(residual > 1e-12 * np.maximum(entry[(p, p)], 1.0))):
        raise ValueError("a series is fitted exactly by its design: nothing to estimate")
    a = (count - p) / 2
    b = 0.5 * residual
    log_det = np.zeros((n_series, len(rho)))
    for i in range(p):
        log_det += 2 * np.log(chol[i, i])
    # log p(y | rho) up to terms that are the same for every rho of a series.
    log_ml = -0.5 * log_det - a[:, None] * np.log(b) + log_jac + rho_log_prior(rho)[None, :]
    w = np.exp(log_ml - log_ml.max(axis=1, keepdims=True))
    total = np.zeros(n_series)
    for k in range(len(rho)):
        total += w[:, k]
    return BatchFit(rho, w / total[:, None], a, b, chol[:p, :p], chol[p, :p])


@dataclass(frozen=True)
class GridPosterior:
    """The posterior of one series as a mixture over the rho grid, with every coefficient."""

    rho: Array  # (R,)
    weights: Array  # (R,), sum to 1
    mean: Array  # (R, p): posterior mean of b given rho
    cov_unit: Array  # (R, p, p): (X*'X*)^-1, so that Cov(b | rho, sigma^2) = sigma^2 that
    a: float  # inverse-gamma shape (the same for every rho)
    b: Array  # (R,) inverse-gamma scale

    @property
    def dof(self) -> float:
        return 2 * self.a

    def mixture(self, k: int) -> Mixture:
        """The posterior of coefficient k as a :class:`Mixture` of one series."""
        scale = np.sqrt(self.b / self.a * self.cov_unit[:, k, k])
        return Mixture(
            self.weights[None, :], self.mean[None, :, k], scale[None, :], np.array([self.dof])
        )

    def location(self, k: int) -> Array:
        return self.mean[:, k]

    def scale(self, k: int) -> Array:
        return np.sqrt(self.b / self.a * self.cov_unit[:, k, k])

    def posterior_mean(self, k: int) -> float:
        return float(self.weights @ self.location(k))

    def cdf(self, k: int, x: float) -> float:
        return float(self.mixture(k).cdf(x)[0])

    def quantile(self, k: int, q: float) -> float:
        return float(self.mixture(k).quantile(q)[0])

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

    Returns the transformed values (R, n[, p]) and the log-Jacobian (R,). The fit itself works
    from sums (see the module docstring); this is the transform those sums stand for.
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


def fit(days: Array, y: Array, x: Array, rho: Array = RHO_GRID) -> GridPosterior:
    """The posterior for observed ``days`` (increasing), outcomes ``y`` and design ``x``."""
    days = np.asarray(days, dtype=float)
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    if len(x) != len(y) or len(x) != len(days):
        raise ValueError("days, y and x must have the same number of rows")
    batch = fit_batch([(days, y, x)], rho)
    chol = np.moveaxis(batch.chol[:, :, 0, :], -1, 0)  # (R, p, p)
    inverse = np.linalg.inv(chol)
    mean = np.einsum("rji,rj->ri", inverse, batch.rhs[:, 0, :].T)
    cov_unit = np.einsum("rki,rkj->rij", inverse, inverse)
    return GridPosterior(rho, batch.weights[0], mean, cov_unit, float(batch.a[0]), batch.b[0])
