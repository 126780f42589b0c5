"""Random-effects models on per-patient effects, exact up to a one-dimensional grid over tau.

    y_i = x_i'b + u_i + e_i,   u_i ~ N(0, tau^2),   e_i ~ N(0, s_i^2)   (s_i known)

y_i is a patient's effect (the posterior mean of their own analysis) and s_i its posterior SD.
Given tau the y_i are independent N(x_i'b, s_i^2 + tau^2), so with a flat (or normal) prior on b
the posterior of b is normal and the marginal likelihood p(y | tau) is closed-form. Tau is then
integrated numerically: the posterior of every quantity is a finite mixture over grid nodes.

With weights w_i = 1 / (s_i^2 + tau^2) and a flat prior on b,

    b | tau, y ~ N(A^-1 c, A^-1),   A = sum w_i x_i x_i',   c = sum w_i x_i y_i
    log p(tau | y) = log p(tau) + 1/2 sum log w_i - 1/2 log|A| - 1/2 (sum w_i y_i^2 - c'A^-1 c)

(with a normal prior N(m0, V0) on b, V0^-1 is added to A, V0^-1 m0 to c, m0'V0^-1 m0 to the
sum of squares, and -1/2 log|V0| to the log density). The sums are sufficient statistics per
grid node: the cost is one vectorised pass over the patients per node, never a loop over them.

Where the nodes go. The posterior of tau narrows like 1/sqrt(n), so a fixed grid would put all
the mass of a million patients between two nodes. The nodes are placed in two steps: a coarse
grid finds where log p(tau | y) is within ``DROP`` (40) of its maximum (zooming in while that
region covers too few nodes), then ``nodes`` points cover exactly that region, evenly spaced in
log(tau - lo + c) so that a heavy upper tail (a half-Cauchy prior, few patients) is covered
without starving the bulk, and integrated by Simpson's rule. The mass left outside is below
e^-40 relative to the peak. Tests check that more nodes change nothing that is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

from ldntrial.core.errors import InvalidValue

Array = NDArray[np.float64]

DROP = 40.0  # log-density below the peak where the grid stops
COARSE_NODES = 33
MIN_COVER = 9  # coarse nodes inside the region before the final grid is laid
NODES_SMALL = 257  # final nodes when there are few patients (cheap, and tails may be heavy)
NODES_LARGE = 129  # final nodes for many patients (the posterior is then close to normal)
SMALL = 1_000
MAX_TAU = 1e4  # in the effect's units; a larger between-patient SD means bad input
MIN_SD, MAX_SD = 1e-6, 1e3  # accepted per-patient posterior SDs
_BLOCK = 1 << 17  # grid nodes x patients held in memory at once
_GROUP = 16  # values multiplied together before one log (see _sum_log)


@dataclass(frozen=True)
class HalfNormal:
    """tau ~ Half-Normal(scale): the default, light upper tail."""

    scale: float

    def __post_init__(self) -> None:
        _check_scale(self.scale)

    def log_density(self, tau: Array) -> Array:
        return -0.5 * (tau / self.scale) ** 2

    @property
    def text(self) -> str:
        return f"half-normal with scale {self.scale:g}"


@dataclass(frozen=True)
class HalfCauchy:
    """tau ~ Half-Cauchy(scale): a heavy upper tail (Gelman 2006), used for eight schools."""

    scale: float

    def __post_init__(self) -> None:
        _check_scale(self.scale)

    def log_density(self, tau: Array) -> Array:
        return -np.log1p((tau / self.scale) ** 2)

    @property
    def text(self) -> str:
        return f"half-Cauchy with scale {self.scale:g}"


TauPrior = HalfNormal | HalfCauchy


@dataclass(frozen=True)
class NormalPrior:
    """b ~ N(mean, diag(sd^2)) on the coefficients; ``None`` in the fitting functions is flat."""

    mean: tuple[float, ...]
    sd: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.mean) != len(self.sd) or not self.mean:
            raise InvalidValue("a normal prior needs one mean and one SD per coefficient")
        for s in self.sd:
            _check_scale(s)


def _check_scale(scale: float) -> None:
    if not np.isfinite(scale) or scale <= 0:
        raise InvalidValue(f"a prior scale must be a positive number, not {scale!r}")


@dataclass(frozen=True)
class TauGrid:
    """The posterior as a mixture over tau nodes.

    ``weight`` is each node's share of the posterior mass (Simpson's rule, sums to 1). Given
    tau, the coefficients are normal with ``coef_mean`` and ``coef_cov``. The nodes are evenly
    spaced in z = log(tau - shift); ``cdf`` is P(tau <= node) and ``density`` the posterior
    density in z, so quantiles of tau come from a cubic (Hermite) CDF between nodes.
    """

    tau: Array  # (G,)
    weight: Array  # (G,)
    cdf: Array  # (G,)
    coef_mean: Array  # (G, p)
    coef_cov: Array  # (G, p, p)
    z: Array  # (G,)
    density: Array  # (G,), density of z
    shift: float  # tau = exp(z) + shift

    def tau_quantile(self, q: float) -> float:
        return float(self.tau_quantiles((q,))[0])

    def tau_quantiles(self, probs: tuple[float, ...]) -> Array:
        return np.array([self._tau_quantile(q) for q in probs])

    def _tau_quantile(self, q: float) -> float:
        if not 0 < q < 1:
            raise InvalidValue(f"a quantile needs a probability between 0 and 1, not {q!r}")
        j = int(np.clip(np.searchsorted(self.cdf, q, side="right") - 1, 0, len(self.z) - 2))
        h = float(self.z[j + 1] - self.z[j])
        f0, f1 = float(self.cdf[j]), float(self.cdf[j + 1])
        d0, d1 = float(self.density[j]) * h, float(self.density[j + 1]) * h
        low, high = 0.0, 1.0
        u = (q - f0) / (f1 - f0) if f1 > f0 else 0.5
        for _ in range(60):  # safeguarded Newton on the Hermite cubic F(u) over [z_j, z_j+1]
            value = (
                (2 * u**3 - 3 * u**2 + 1) * f0
                + (u**3 - 2 * u**2 + u) * d0
                + (-2 * u**3 + 3 * u**2) * f1
                + (u**3 - u**2) * d1
            ) - q
            if abs(value) < 1e-14:
                break
            low, high = (u, high) if value < 0 else (low, u)
            slope = (
                (6 * u**2 - 6 * u) * (f0 - f1)
                + (3 * u**2 - 4 * u + 1) * d0
                + (3 * u**2 - 2 * u) * d1
            )
            step = u - value / slope if slope > 0 else -1.0
            u = step if low < step < high else (low + high) / 2
            if high - low < 1e-15:
                break
        z = float(self.z[j]) + h * u
        return float(np.clip(np.exp(z) + self.shift, self.tau[0], self.tau[-1]))

    def tau_mean(self) -> float:
        return float(self.weight @ self.tau)

    def coef_loc_scale(self, k: int) -> tuple[Array, Array]:
        return self.coef_mean[:, k], np.sqrt(self.coef_cov[:, k, k])

    def coef_mean_sd(self, k: int) -> tuple[float, float]:
        loc, scale = self.coef_loc_scale(k)
        return mixture_mean_sd(self.weight, loc, scale)

    def coef_quantiles(self, k: int, probs: tuple[float, ...]) -> tuple[float, ...]:
        loc, scale = self.coef_loc_scale(k)
        return tuple(
            float(q) for q in mixture_quantiles(self.weight, loc[None], scale[None], probs)[0]
        )

    def coef_cdf(self, k: int, x: float) -> float:
        loc, scale = self.coef_loc_scale(k)
        return float(self.weight @ special.ndtr((x - loc) / scale))


def check_effects(y: Array, s: Array) -> tuple[Array, Array]:
    """Effects and their SDs as float arrays, refused unless finite, matched and positive."""
    y = np.asarray(y, dtype=float).ravel()
    s = np.asarray(s, dtype=float).ravel()
    if y.shape != s.shape:
        raise InvalidValue(f"{len(y)} effects but {len(s)} standard deviations: give one each")
    if not np.all(np.isfinite(y)):
        raise InvalidValue("every effect must be a finite number")
    if not np.all((s >= MIN_SD) & (s <= MAX_SD)):
        raise InvalidValue(
            f"every effect's posterior SD must be between {MIN_SD:g} and {MAX_SD:g}; "
            "an SD of 0 means the patient's analysis did not run"
        )
    return y, s


def fit(
    y: Array,
    s: Array,
    x: Array | None = None,
    *,
    tau_prior: TauPrior,
    coef_prior: NormalPrior | None = None,
    nodes: int | None = None,
) -> TauGrid:
    """The posterior of (b, tau) for effects ``y`` (n,), their SDs ``s`` and design ``x`` (n, p).

    ``x`` defaults to a column of ones (the normal-normal model: b is the population mean).
    """
    y, s = check_effects(y, s)
    n = len(y)
    x = np.ones((n, 1)) if x is None else np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[0] != n:
        raise InvalidValue("the design needs one row per effect")
    p = x.shape[1]
    if n <= p:
        raise InvalidValue(f"{n} patient(s) cannot estimate {p} coefficient(s) and their spread")
    if not np.all(np.isfinite(x)):
        raise InvalidValue("every covariate must be a finite number")
    if nodes is not None and nodes < 9:
        raise InvalidValue(f"the grid needs at least 9 nodes, not {nodes}")
    if coef_prior is not None and len(coef_prior.mean) != p:
        raise InvalidValue(f"the coefficient prior has {len(coef_prior.mean)} entries, not {p}")
    v = s**2
    # Centre on the fixed-effect fit: sums of squares stay small, so nothing cancels.
    w0 = 1 / v
    a0 = np.einsum("ni,n,nj->ij", x, w0, x)
    if np.linalg.matrix_rank(a0) < p:
        raise InvalidValue("the covariates are collinear (a column repeats or never varies)")
    b0 = np.linalg.solve(a0, x.T @ (w0 * y))
    resid = y - x @ b0
    model = _Model(resid, v, x, tau_prior, coef_prior, b0)
    lo, hi, c = _region(model, float(np.sqrt(max(float(np.var(y)), float(np.mean(v))))))
    count = nodes or (NODES_SMALL if n <= SMALL else NODES_LARGE)
    count += 1 - count % 2  # Simpson's rule needs an odd number of nodes
    z = np.linspace(np.log(c), np.log(hi - lo + c), count)
    tau = np.exp(z) - c + lo
    tau[0], tau[-1] = lo, hi
    log_post, mean, cov = model.evaluate(tau)
    jac = tau - lo + c  # d tau / d z
    density = np.exp(log_post - log_post.max()) * jac
    h = z[1] - z[0]
    simpson = np.ones(count)
    simpson[1:-1:2], simpson[2:-1:2] = 4.0, 2.0
    weight = density * simpson * h / 3
    total = weight.sum()
    density /= total
    cdf = _cumulative(density, h)
    return TauGrid(tau, weight / total, cdf, mean + b0[None, :], cov, z, density, lo - c)


def _cumulative(f: Array, h: float) -> Array:
    """P(tau <= node) from the density ``f`` in z at evenly spaced nodes: fourth-order
    interval rules, so that quantiles of tau are as accurate as the means."""
    steps = np.empty(len(f) - 1)
    steps[1:-1] = (-f[:-3] + 13 * f[1:-2] + 13 * f[2:-1] - f[3:]) * h / 24
    steps[0] = (9 * f[0] + 19 * f[1] - 5 * f[2] + f[3]) * h / 24
    steps[-1] = (f[-4] - 5 * f[-3] + 19 * f[-2] + 9 * f[-1]) * h / 24
    cdf = np.concatenate([[0.0], np.cumsum(np.maximum(steps, 0.0))])
    result: Array = cdf / cdf[-1]
    return result


@dataclass(frozen=True)
class Conditional:
    """The posterior of b given one tau, and log p(y | tau) up to a constant (flat b: the
    restricted, REML, log-likelihood of tau)."""

    mean: Array  # (p,)
    cov: Array  # (p, p)
    log_marginal: float


def conditional(
    y: Array,
    s: Array,
    tau: float,
    x: Array | None = None,
    *,
    coef_prior: NormalPrior | None = None,
) -> Conditional:
    """b | tau, y for one fixed tau: the random-effects (weighted least squares) estimate."""
    y, s = check_effects(y, s)
    x = np.ones((len(y), 1)) if x is None else np.asarray(x, dtype=float)
    model = _Model(y, s**2, x, HalfNormal(1.0), coef_prior, np.zeros(x.shape[1]))
    log_post, mean, cov = model.evaluate(np.array([float(tau)]))
    log_prior = float(HalfNormal(1.0).log_density(np.array([float(tau)]))[0])
    return Conditional(mean[0], cov[0], float(log_post[0]) - log_prior)


class _Model:
    """log p(tau | y) for the effects after the fixed-effect fit ``b0`` is taken out."""

    def __init__(
        self,
        resid: Array,
        v: Array,
        x: Array,
        tau_prior: TauPrior,
        coef_prior: NormalPrior | None,
        b0: Array,
    ) -> None:
        n, p = x.shape
        self.p = p
        self.v = v
        self.tau_prior = tau_prior
        self.coef_prior = coef_prior
        self.b0 = b0
        # [x x' (p*p), x y (p), y^2 (1)] per patient, column-major so that row blocks are
        # what the matrix product reads.
        self.columns = np.asfortranarray(
            np.column_stack(
                [(x[:, :, None] * x[:, None, :]).reshape(n, p * p), x * resid[:, None], resid**2]
            )
        )

    def evaluate(self, tau: Array) -> tuple[Array, Array, Array]:
        """log p(tau | y) up to a constant, and the mean and covariance of b - b0 given tau."""
        p = self.p
        sum_log_d, moments = _sufficient_statistics(self.v, self.columns, tau**2)
        a = moments[:, : p * p].reshape(-1, p, p)
        c = moments[:, p * p : p * p + p]
        ss = moments[:, -1]
        log_post = self.tau_prior.log_density(tau) - 0.5 * sum_log_d
        if self.coef_prior is not None:
            prec = 1 / np.asarray(self.coef_prior.sd) ** 2
            m0 = np.asarray(self.coef_prior.mean) - self.b0
            a = a + np.diag(prec)[None]
            c = c + (prec * m0)[None]
            ss = ss + float(m0 @ (prec * m0))
        chol = np.linalg.cholesky(a)
        mean = np.asarray(np.linalg.solve(a, c[..., None])[..., 0], dtype=np.float64)
        cov = np.asarray(np.linalg.inv(a), dtype=np.float64)
        log_det = 2 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
        log_post = log_post - 0.5 * log_det - 0.5 * (ss - np.einsum("gi,gi->g", c, mean))
        return log_post, mean, cov


def _region(model: _Model, spread: float) -> tuple[float, float, float]:
    """Where log p(tau | y) is within DROP of its maximum: (lo, hi, c) for the final grid.

    First 0 and geometrically spaced nodes up to an upper end that grows until the density
    there has fallen by DROP (geometric, so that a long tail cannot hide the peak between
    nodes); then evenly spaced nodes over the region, zooming in while it covers few nodes."""
    upper = max(4 * spread, 1e-3)
    while True:
        nodes = np.concatenate([[0.0], np.geomspace(upper * 1e-6, upper, COARSE_NODES - 1)])
        log_post = model.evaluate(nodes)[0]
        if log_post[-1] < log_post.max() - DROP:
            break
        upper *= 8
        if upper > MAX_TAU:
            raise InvalidValue(
                "the between-patient SD has no upper limit in these data: check that the "
                "effects and SDs are on the same scale"
            )
    for _ in range(60):
        inside = np.flatnonzero(log_post >= log_post.max() - DROP)
        first, last = int(inside[0]), int(inside[-1])
        lo, hi = nodes[max(first - 1, 0)], nodes[min(last + 1, len(nodes) - 1)]
        if last - first + 1 >= MIN_COVER or hi - lo <= 1e-12 * max(hi, 1.0):
            break
        nodes = np.linspace(lo, hi, COARSE_NODES)
        log_post = model.evaluate(nodes)[0]
    # c sets the spacing: about even across the bulk, widening through a long upper tail.
    density = np.exp(log_post - log_post.max())
    mass = np.concatenate([[0.0], np.cumsum((density[1:] + density[:-1]) * np.diff(nodes))])
    at = min(int(np.searchsorted(mass / mass[-1], 0.9)), len(nodes) - 1)
    bulk = float(nodes[at])
    c = max(bulk - lo, (hi - lo) / 64, 1e-300)
    return float(lo), float(hi), c


def _sufficient_statistics(v: Array, columns: Array, t2: Array) -> tuple[Array, Array]:
    """For each tau^2 in ``t2`` (B,): sum log(v + t2), and the w-weighted column sums of
    ``columns`` (n, q) with w = 1 / (v + t2). Patients are taken in blocks small enough for
    the cache (B x chunk values at a time)."""
    n = len(v)
    b = len(t2)
    chunk = max(_GROUP, (_BLOCK // b) // _GROUP * _GROUP)
    sum_log = np.zeros(b)
    moments = np.zeros((b, columns.shape[1]))
    d = np.empty((b, chunk))
    for start in range(0, n, chunk):
        part = v[start : start + chunk]
        m = len(part)
        block = d[:, :m]
        np.add(part[None, :], t2[:, None], out=block)
        sum_log += _sum_log(block)
        np.reciprocal(block, out=block)
        moments += block @ columns[start : start + m]
    return sum_log, moments


def _sum_log(block: Array) -> Array:
    """Row sums of log(block). Sixteen values are multiplied before each log, which is the
    costly step; with SDs within [1e-6, 1e3] and tau below 1e4 each product stays far inside
    the range of a float (1e-192 to 1e135), so nothing overflows and the result is exact to
    rounding."""
    rows, m = block.shape
    whole = m - m % _GROUP
    # Multiplying slab by slab (axis 1 of the reshape) keeps the inner loop contiguous.
    slabs = block[:, :whole].reshape(rows, _GROUP, -1)
    total = np.log(np.multiply.reduce(slabs, axis=1)).sum(axis=1)
    if whole < m:
        total += np.log(block[:, whole:]).sum(axis=1)
    result: Array = total
    return result


def mixture_mean_sd(weight: Array, loc: Array, scale: Array) -> tuple[float, float]:
    mean = float(weight @ loc)
    second = float(weight @ (scale**2 + loc**2))
    return mean, float(np.sqrt(max(second - mean**2, 0.0)))


def mixture_quantiles(weight: Array, loc: Array, scale: Array, probs: tuple[float, ...]) -> Array:
    """Quantiles (m, k) of m normal mixtures sharing ``weight`` (G,), with ``loc`` and ``scale``
    (m, G): safeguarded Newton steps on the mixture CDF, to 1e-10 in probability."""
    keep = weight > 1e-15 * weight.max()  # nodes that cannot move a probability by 1e-15
    weight, loc, scale = weight[keep], loc[:, keep], scale[:, keep]
    q = np.asarray(probs, dtype=float)[None, :, None]  # (1, k, 1)
    w = weight[None, None, :]
    lo_, sc = loc[:, None, :], scale[:, None, :]
    low = np.min(loc - 40 * scale, axis=1)[:, None] * np.ones((1, q.shape[1]))
    high = np.max(loc + 40 * scale, axis=1)[:, None] * np.ones((1, q.shape[1]))
    mean = (weight * loc).sum(axis=1)
    sd = np.sqrt(np.maximum((weight * (scale**2 + loc**2)).sum(axis=1) - mean**2, 1e-300))
    guess = mean[:, None] + sd[:, None] * special.ndtri(q[0, :, 0])[None, :]
    at = np.clip(guess, low, high)
    for _ in range(100):
        z = (at[..., None] - lo_) / sc
        err = (w * special.ndtr(z)).sum(axis=2) - q[..., 0]
        if np.all(np.abs(err) < 1e-10):
            break
        dens = (w * np.exp(-0.5 * z**2) / (np.sqrt(2 * np.pi) * sc)).sum(axis=2)
        low = np.where(err < 0, at, low)
        high = np.where(err > 0, at, high)
        step = at - err / np.maximum(dens, 1e-300)
        bisect = (low + high) / 2
        at = np.where((step > low) & (step < high), step, bisect)
    result: Array = at
    return result
