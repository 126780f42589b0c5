"""Random-effects meta-regression of per-patient effects on covariates, exact over tau.

    y_i ~ N(x_i'b + u_i, s_i^2),   u_i ~ N(0, tau^2)

b has a flat prior and tau the pooling prior (``pooling.DEFAULT_TAU_PRIOR``), so given tau the
coefficients are normal with the weighted-least-squares mean and covariance (weights
1 / (s_i^2 + tau^2)); tau is integrated on the grid of ``random_effects``. Each coefficient's
posterior is a normal mixture: mean, SD, equal-tailed interval and P(coefficient > 0) are exact
up to the grid. Tau here is the residual between-patient SD, after the covariates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ldntrial.core.analysis.pooling import CREDIBLE, DEFAULT_TAU_PRIOR
from ldntrial.core.analysis.random_effects import Array, TauGrid, TauPrior, fit
from ldntrial.core.errors import InvalidValue


@dataclass(frozen=True)
class Coefficient:
    name: str
    mean: float
    sd: float
    interval: tuple[float, float]
    p_positive: float  # P(coefficient > 0)


@dataclass(frozen=True)
class MetaRegression:
    patients: int
    level: float
    coefficients: tuple[Coefficient, ...]
    tau_median: float  # residual between-patient SD
    tau_interval: tuple[float, float]
    tau_prior: TauPrior
    grid: TauGrid = field(compare=False, repr=False)

    def coefficient(self, name: str) -> Coefficient:
        for coefficient in self.coefficients:
            if coefficient.name == name:
                return coefficient
        known = ", ".join(c.name for c in self.coefficients)
        raise InvalidValue(f"no coefficient {name!r}: the model has {known}")


def meta_regression(
    effects: Array,
    sds: Array,
    design: Array,
    names: tuple[str, ...],
    *,
    tau_prior: TauPrior = DEFAULT_TAU_PRIOR,
    level: float = CREDIBLE,
    nodes: int | None = None,
) -> MetaRegression:
    """Regress ``effects`` (n,) with posterior ``sds`` on ``design`` (n, p), columns ``names``."""
    x = np.asarray(design, dtype=float)
    if x.ndim != 2 or x.shape[1] != len(names):
        raise InvalidValue(f"the design has {x.shape[-1]} column(s) but {len(names)} name(s)")
    if not 0 < level < 1:
        raise InvalidValue(f"the interval level must be between 0 and 1, not {level!r}")
    grid = fit(effects, sds, x, tau_prior=tau_prior, nodes=nodes)
    tail = (1 - level) / 2
    coefficients = []
    for k, name in enumerate(names):
        mean, sd = grid.coef_mean_sd(k)
        low, high = grid.coef_quantiles(k, (tail, 1 - tail))
        coefficients.append(Coefficient(name, mean, sd, (low, high), 1 - grid.coef_cdf(k, 0.0)))
    return MetaRegression(
        patients=len(x),
        level=level,
        coefficients=tuple(coefficients),
        tau_median=grid.tau_quantile(0.5),
        tau_interval=(grid.tau_quantile(tail), grid.tau_quantile(1 - tail)),
        tau_prior=tau_prior,
        grid=grid,
    )
