"""Pooling per-patient effects: the normal-normal hierarchical model, exact over tau.

    y_i ~ N(theta_i, s_i^2)      y_i: a patient's effect (posterior mean), s_i its posterior SD
    theta_i ~ N(mu, tau^2)       mu: the population mean effect; tau: the between-patient SD

Priors (stated here and in docs/decisions/0014-pooling.md):
    mu  flat, so that given tau the posterior of mu is exactly the random-effects
        (inverse-variance) estimate and its SE, as in statsmodels' ``combine_effects``;
    tau ~ Half-Normal(1.5 points) (``DEFAULT_TAU_PRIOR``). Every metric is a 0-10 diary score,
        so one scale serves all: the prior's median is 1.0 point and 5% of it lies above 2.9
        points, so a spread of true effects beyond what separates a responder at the moderate
        IMMPACT improvement (about 2 points, Dworkin 2008) from a non-responder is possible but
        needs data to show it. statistics.md §3.3 suggests a scale of 1 point; in simulation
        (decision record) that scale gave intervals for mu that covered 0.91-0.93 with 5-10
        patients when tau was 1-1.5 points (a 40/60 mix of responders at -2.5 and
        non-responders at 0 has tau = 1.2), while 1.5 points kept 0.945-0.95 at the cost of
        intervals 11-16% wider with 5 patients and 1-4% wider with 20. With a few dozen
        patients the data dominate; with a handful, the prior keeps tau (and mu's interval)
        finite. A reader may choose another (``HalfCauchy``, another ``HalfNormal``).

Given tau, mu | y ~ N(m, V) and theta_i | y ~ N((1 - B_i) y_i + B_i m, s_i^2 (1 - B_i) + B_i^2 V)
with B_i = s_i^2 / (s_i^2 + tau^2); tau is integrated on the grid of
``ldntrial.core.analysis.random_effects``. Outputs: the population mean with its interval,
tau's median and interval, the predictive distribution of a new patient's effect, the predicted
share of responders (P(a new patient's effect is better than the MCID), which equals the
expected share of the population that responds), and shrunken per-patient estimates.

Effects are signed as reported (negative = less pain). ``better`` says which way is
improvement, so "better than the MCID" means an effect of at most -MCID for pain and at least
+MCID for sleep quality. The MCID is in points.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import special

from ldntrial.core.analysis.random_effects import (
    Array,
    HalfNormal,
    NormalPrior,
    TauGrid,
    TauPrior,
    check_effects,
    fit,
    mixture_mean_sd,
    mixture_quantiles,
)
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.instruments import Direction

CREDIBLE = 0.95
DEFAULT_TAU_PRIOR: TauPrior = HalfNormal(1.5)
MIN_PATIENTS = 2
_SHRINK_BLOCK = 4096  # patients per block when shrinking (x grid nodes in memory)


def better_sign(better: Direction) -> float:
    """-1 when a fall is improvement (pain), +1 when a rise is (sleep quality)."""
    return -1.0 if better is Direction.LOWER else 1.0


@dataclass(frozen=True)
class Shrunken:
    """Per-patient effects after pooling, in the order given: posterior mean, SD, interval, and
    the probability that the patient's true effect is better than the MCID."""

    mean: Array
    sd: Array
    low: Array
    high: Array
    p_better_than_mcid: Array


@dataclass(frozen=True)
class PooledEstimate:
    patients: int
    better: Direction
    mcid: float
    level: float
    mean: float  # population mean effect (posterior mean of mu)
    mean_sd: float
    mean_interval: tuple[float, float]
    p_mean_better: float  # P(mu is an improvement at all)
    tau_median: float
    tau_interval: tuple[float, float]
    tau_reml: float  # the frequentist REML estimate, for comparison
    predictive_mean: float  # a new patient's effect
    predictive_sd: float
    predictive_interval: tuple[float, float]
    responder_share: float  # P(a new patient's effect is better than the MCID)
    responder_share_interval: tuple[float, float]  # for the population share itself
    tau_prior: TauPrior
    grid: TauGrid = field(compare=False, repr=False)

    def share_better_than(self, points: float) -> float:
        """The predicted share of patients whose true effect is better by at least ``points``."""
        return _share(self.grid, better_sign(self.better), points)

    def shrink(self, effects: Array, sds: Array, mcid: float | Array | None = None) -> Shrunken:
        """Shrunken estimates for patients (usually those pooled) given their effects and SDs;
        ``mcid`` may give each patient their own protocol's MCID (default: the pooled one)."""
        return shrink(
            self.grid,
            effects,
            sds,
            better=self.better,
            mcid=self.mcid if mcid is None else mcid,
            level=self.level,
        )


def pool(
    effects: Array,
    sds: Array,
    *,
    better: Direction,
    mcid: float,
    tau_prior: TauPrior = DEFAULT_TAU_PRIOR,
    mean_prior: NormalPrior | None = None,
    level: float = CREDIBLE,
    nodes: int | None = None,
) -> PooledEstimate:
    """Pool per-patient ``effects`` and their posterior ``sds`` (one design, one metric)."""
    y, s = check_effects(effects, sds)
    if len(y) < MIN_PATIENTS:
        raise InvalidValue(
            f"pooling needs at least {MIN_PATIENTS} patients with an outcome, not {len(y)}"
        )
    if not np.isfinite(mcid) or mcid <= 0:
        raise InvalidValue(f"the MCID must be a positive number of points, not {mcid!r}")
    if not 0 < level < 1:
        raise InvalidValue(f"the interval level must be between 0 and 1, not {level!r}")
    grid = fit(y, s, tau_prior=tau_prior, coef_prior=mean_prior, nodes=nodes)
    tail = (1 - level) / 2
    probs = (tail, 1 - tail)
    sign = better_sign(better)
    loc, scale = grid.coef_loc_scale(0)
    mean, mean_sd = mixture_mean_sd(grid.weight, loc, scale)
    mean_low, mean_high = mixture_quantiles(grid.weight, loc[None], scale[None], probs)[0]
    pred_scale = np.sqrt(scale**2 + grid.tau**2)
    pred_mean, pred_sd = mixture_mean_sd(grid.weight, loc, pred_scale)
    pred_low, pred_high = mixture_quantiles(grid.weight, loc[None], pred_scale[None], probs)[0]
    tau_low, tau_median, tau_high = grid.tau_quantiles((tail, 0.5, 1 - tail))
    share_low, share_high = _share_quantiles(grid, sign, mcid, np.array(probs))
    return PooledEstimate(
        patients=len(y),
        better=better,
        mcid=float(mcid),
        level=level,
        mean=mean,
        mean_sd=mean_sd,
        mean_interval=(float(mean_low), float(mean_high)),
        p_mean_better=float(grid.weight @ special.ndtr(sign * loc / scale)),
        tau_median=float(tau_median),
        tau_interval=(float(tau_low), float(tau_high)),
        tau_reml=float(np.sqrt(reml_tau2(y, s))),
        predictive_mean=pred_mean,
        predictive_sd=pred_sd,
        predictive_interval=(float(pred_low), float(pred_high)),
        responder_share=_share(grid, sign, mcid),
        responder_share_interval=(float(share_low), float(share_high)),
        tau_prior=tau_prior,
        grid=grid,
    )


def _share(grid: TauGrid, sign: float, points: float) -> float:
    """P(sign * theta_new >= points) = E[share of the population better by ``points``]."""
    loc, scale = grid.coef_loc_scale(0)
    z = (sign * loc - points) / np.sqrt(scale**2 + grid.tau**2)
    return float(grid.weight @ special.ndtr(z))


def _share_quantiles(grid: TauGrid, sign: float, points: float, probs: Array) -> Array:
    """Quantiles of the population share S = P(sign * theta >= points | mu, tau).

    Given tau > 0, S <= Phi(u) exactly when sign * mu <= points + tau * u, and mu is normal, so
    P(S <= Phi(u)) is a normal mixture in u with locations (sign * m - points) / tau and scales
    sd / tau; a node at tau = 0 adds a constant (there S is 0 or 1). The quantiles of u come
    from ``mixture_quantiles`` and s = Phi(u)."""
    loc, scale = grid.coef_loc_scale(0)
    zero = grid.tau <= 0
    constant = float(grid.weight[zero] @ special.ndtr((points - sign * loc[zero]) / scale[zero]))
    rest = float(grid.weight[~zero].sum())
    targets = (probs - constant) / rest if rest > 0 else np.full_like(probs, np.inf)
    result = np.where(targets <= 0, 0.0, 1.0)
    inside = (targets > 0) & (targets < 1)
    if inside.any():
        tau = grid.tau[~zero]
        u = mixture_quantiles(
            grid.weight[~zero] / rest,
            ((sign * loc[~zero] - points) / tau)[None],
            (scale[~zero] / tau)[None],
            tuple(float(t) for t in targets[inside]),
        )[0]
        result[inside] = special.ndtr(u)
    return result


def shrink(
    grid: TauGrid,
    effects: Array,
    sds: Array,
    *,
    better: Direction,
    mcid: float | Array,
    level: float = CREDIBLE,
) -> Shrunken:
    """Each patient's theta_i | all data, averaged over the tau grid (blocks of patients)."""
    y, s = check_effects(effects, sds)
    thresholds = np.broadcast_to(np.asarray(mcid, dtype=float), y.shape)
    v = s**2
    sign = better_sign(better)
    loc, scale = grid.coef_loc_scale(0)
    t2 = grid.tau**2
    tail = (1 - level) / 2
    parts: list[tuple[Array, ...]] = []
    for start in range(0, len(y), _SHRINK_BLOCK):
        vb, yb = v[start : start + _SHRINK_BLOCK, None], y[start : start + _SHRINK_BLOCK, None]
        pull = vb / (vb + t2[None, :])  # B_i at each node
        m = (1 - pull) * yb + pull * loc[None, :]
        sd = np.sqrt(vb * (1 - pull) + pull**2 * scale[None, :] ** 2)
        mean = m @ grid.weight
        second = (sd**2 + m**2) @ grid.weight
        bounds = mixture_quantiles(grid.weight, m, sd, (tail, 1 - tail))
        cut = thresholds[start : start + _SHRINK_BLOCK, None]
        p_mcid = special.ndtr((sign * m - cut) / sd) @ grid.weight
        parts.append(
            (mean, np.sqrt(np.maximum(second - mean**2, 0.0)), bounds[:, 0], bounds[:, 1], p_mcid)
        )
    columns = [np.concatenate([part[k] for part in parts]) for k in range(5)]
    return Shrunken(*columns)


def reml_tau2(effects: Array, sds: Array, *, tol: float = 1e-12, iterations: int = 200) -> float:
    """The REML estimate of tau^2 (Fisher scoring from the DerSimonian-Laird estimate).

    Frequentist, beside the posterior: score = (y'PPy - tr P) / 2 and information tr(PP) / 2
    with P = W - W 1 1'W / sum(W) (Viechtbauer 2005, J Educ Behav Stat 30:261)."""
    y, s = check_effects(effects, sds)
    v = s**2
    w = 1 / v
    fixed = float(w @ y / w.sum())
    q = float(w @ (y - fixed) ** 2)
    t2 = max(0.0, (q - (len(y) - 1)) / float(w.sum() - (w**2).sum() / w.sum()))
    for _ in range(iterations):
        w = 1 / (v + t2)
        total = float(w.sum())
        mu = float(w @ y / total)
        w2 = float((w**2).sum())
        score = 0.5 * (float(w**2 @ (y - mu) ** 2) - (total - w2 / total))
        info = 0.5 * (w2 - 2 * float((w**3).sum()) / total + (w2 / total) ** 2)
        new = max(0.0, t2 + score / info)
        if abs(new - t2) <= tol * (1 + t2):
            return new
        t2 = new
    return t2
