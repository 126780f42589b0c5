"""Confidence intervals for a proportion: Wilson score and Clopper-Pearson (exact).

Wilson (1927): the interval of p whose score test does not reject at the level; good coverage
near 0 and 1 with few patients. Clopper-Pearson (1934): inverts two one-sided binomial tests
through beta quantiles; never below the nominal level, so often wider. Both are reported for
side-effect incidence, where counts are small.
"""

from __future__ import annotations

import math

from scipy import special, stats

from ldntrial.core.errors import InvalidValue


def _check(successes: int, trials: int, level: float) -> None:
    whole = all(isinstance(n, int) and not isinstance(n, bool) for n in (successes, trials))
    if not whole or trials < 1 or not 0 <= successes <= trials:
        raise InvalidValue(
            f"a proportion needs whole counts with 0 <= events <= patients and at least one "
            f"patient, not {successes!r} of {trials!r}"
        )
    if not 0 < level < 1:
        raise InvalidValue(f"the interval level must be between 0 and 1, not {level!r}")


def wilson_interval(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    _check(successes, trials, level)
    z = float(special.ndtri(1 - (1 - level) / 2))
    n, k = trials, successes
    centre = (k + z**2 / 2) / (n + z**2)
    half = z / (n + z**2) * math.sqrt(k * (n - k) / n + z**2 / 4)
    low = 0.0 if k == 0 else max(0.0, centre - half)  # exact at the ends, not 1e-17
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


def exact_interval(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    _check(successes, trials, level)
    alpha = 1 - level
    n, k = trials, successes
    low = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
    high = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return low, high
