"""Synthetic data for the analysis tests: series from the model itself and diaries of a trial."""

import datetime as dt
from collections.abc import Collection

import numpy as np
from numpy.typing import NDArray

from ldntrial.core.analysis.trial import Observation
from ldntrial.core.trial.protocol import Protocol

Array = NDArray[np.float64]


def design(n_base: int = 14, n_maint: int = 57, gap: int = 28) -> tuple[Array, Array]:
    """The default protocol's design: baseline, then maintenance after the titration gap left
    out, and a weekly cycle (one 7-day harmonic)."""
    days = np.concatenate([np.arange(n_base), n_base + gap + np.arange(n_maint)]).astype(float)
    angle = 2 * np.pi * days / 7
    x = np.column_stack([np.ones(len(days)), days >= n_base + gap, np.sin(angle), np.cos(angle)])
    return days, x.astype(float)


def simulate(
    rng: np.random.Generator,
    effect: float,
    rho: float,
    sigma: float = 1.0,
    missing: float = 0.1,
) -> tuple[Array, Array, Array]:
    """A series from the model itself: AR(1) on every calendar day, some days missing."""
    days, x = design()
    span = int(days[-1]) + 1
    u = np.empty(span)
    u[0] = rng.normal(0, sigma / np.sqrt(1 - rho**2))
    for t in range(1, span):
        u[t] = rho * u[t - 1] + rng.normal(0, sigma)
    y = 6 + effect * x[:, 1] + u[days.astype(int)]
    keep = rng.random(len(days)) >= missing
    keep[:3] = keep[-3:] = True
    return days[keep], y[keep], x[keep]


def diary(
    protocol: Protocol,
    *,
    drop: float = 2.0,
    rho: float = 0.5,
    seed: int = 3,
    skip: Collection[dt.date] = (),
) -> list[Observation]:
    rng = np.random.default_rng(seed)
    maintenance = protocol.phases()[-1].first
    rows: list[Observation] = []
    u = 0.0
    day = protocol.start_date
    while day <= protocol.reassessment_date:
        u = rho * u + rng.normal(0, 0.8)
        if day not in skip:
            shift = (
                drop if day >= maintenance else (drop / 2 if day >= protocol.first_dose_date else 0)
            )
            rows.append(
                Observation(
                    day,
                    {
                        "pain": float(np.clip(round(6 - shift + u), 0, 10)),
                        "sleep_quality": float(np.clip(round(5 + shift / 2 + u), 0, 10)),
                        "function": 5.0,
                    },
                    dose_taken=True if day >= protocol.first_dose_date else None,
                )
            )
        day += dt.timedelta(days=1)
    return rows
