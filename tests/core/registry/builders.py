"""Synthetic patient summaries for the registry specifications (never real people).

Two clinics: site A (Dr Ode's clinic in London) and site B (a clinic in New York). Patient
keys are pseudonyms of the kind the web layer makes (a keyed hash); Ana's and Bea's are named
so that a test can say whose summary it is talking about.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Callable
from typing import TypedDict, Unpack

import numpy as np
from numpy.typing import NDArray

from ldntrial.core.doses import Dose
from ldntrial.core.registry.summaries import Completion, PatientSummary, StopReason
from ldntrial.core.trial.diary import SideEffect
from ldntrial.core.trial.drug import Timing
from ldntrial.core.trial.instruments import Direction
from ldntrial.core.trial.protocol import Design

FINGERPRINT = hashlib.sha256(b"a locked fibromyalgia protocol").hexdigest()
OTHER_FINGERPRINT = hashlib.sha256(b"another locked protocol").hexdigest()
ANA = "ana-pseudonym-0001"
BEA = "bea-pseudonym-0002"


def key(number: int) -> str:
    return f"patient-{number:08d}"


class SummaryChanges(TypedDict, total=False):
    """The fields of a ``PatientSummary`` a test may change."""

    patient_key: str
    protocol_fingerprint: str
    condition: str
    design: Design
    metric: str
    better: Direction
    mcid: float
    status: Completion
    stop_reason: StopReason | None
    effect: float | None
    effect_sd: float | None
    dose: Dose | None
    timing: Timing | None
    diary_days: int
    side_effects: tuple[tuple[SideEffect, int | None], ...]


def summary(**changes: Unpack[SummaryChanges]) -> PatientSummary:
    """Ana's completed open-label pain summary, with ``changes``."""
    base = PatientSummary(
        patient_key=ANA,
        protocol_fingerprint=FINGERPRINT,
        condition="fibromyalgia",
        design=Design.OPEN_LABEL,
        metric="pain",
        better=Direction.LOWER,
        mcid=2.0,
        status=Completion.COMPLETED,
        effect=-1.5,
        effect_sd=0.5,
        dose=Dose("4.5"),
        timing=Timing.NIGHT,
        diary_days=84,
    )
    return dataclasses.replace(base, **changes)


# Populations of true effects the pooling model does not assume (and one that it does).
def normal(rng: np.random.Generator, mu: float, tau: float, k: int) -> NDArray[np.float64]:
    return mu + tau * rng.standard_normal(k)


def responders(rng: np.random.Generator, mu: float, tau: float, k: int) -> NDArray[np.float64]:
    """40% responders and 60% non-responders, with mean mu and SD tau."""
    p = 0.4
    gap = tau * np.sqrt(1 - 0.2**2) / np.sqrt(p * (1 - p))
    hit = rng.random(k) < p
    out: NDArray[np.float64] = np.where(hit, mu - (1 - p) * gap, mu + p * gap)
    return out + 0.2 * tau * rng.standard_normal(k)


def heavy_tailed(rng: np.random.Generator, mu: float, tau: float, k: int) -> NDArray[np.float64]:
    """Student t with 3 degrees of freedom, scaled to SD tau."""
    return mu + tau * rng.standard_t(3, k) / math.sqrt(3)


def skewed(rng: np.random.Generator, mu: float, tau: float, k: int) -> NDArray[np.float64]:
    """A long tail of large improvements (shifted exponential), mean mu, SD tau."""
    return mu - tau * (rng.exponential(1.0, k) - 1)


Population = Callable[[np.random.Generator, float, float, int], NDArray[np.float64]]


def patients(
    rng: np.random.Generator,
    population: Population,
    *,
    design: Design,
    mu: float,
    tau: float,
    k: int,
    first: int = 0,
    heavy_errors: bool = False,
) -> list[PatientSummary]:
    """``k`` completed trials whose true effects come from ``population``; each reports its
    effect with a posterior SD from U(0.3, 0.9) (errors t5-distributed with ``heavy_errors``)."""
    theta = population(rng, mu, tau, k)
    sd = rng.uniform(0.3, 0.9, k)
    noise = rng.standard_t(5, k) * np.sqrt(3 / 5) if heavy_errors else rng.standard_normal(k)
    effects = theta + sd * noise
    doses = rng.choice(["1.5", "3", "4.5"], k)
    return [
        summary(
            patient_key=key(first + i),
            design=design,
            effect=float(effects[i]),
            effect_sd=float(sd[i]),
            dose=Dose(str(doses[i])),
            timing=Timing.NIGHT if i % 3 else Timing.MORNING,
        )
        for i in range(k)
    ]


def ended_early(first: int, design: Design = Design.OPEN_LABEL) -> list[PatientSummary]:
    """One trial of each way a trial can end without completing, plus one still running."""
    return [
        summary(
            patient_key=key(first),
            design=design,
            status=Completion.STOPPED_EARLY,
            stop_reason=StopReason.SIDE_EFFECTS,
            effect=None,
            effect_sd=None,
            diary_days=30,
            side_effects=((SideEffect.INSOMNIA, 12), (SideEffect.VIVID_DREAMS, None)),
        ),
        summary(
            patient_key=key(first + 1),
            design=design,
            status=Completion.STOPPED_EARLY,
            stop_reason=StopReason.NO_BENEFIT,
            effect=0.3,
            effect_sd=0.9,
            diary_days=60,
        ),
        summary(
            patient_key=key(first + 2),
            design=design,
            status=Completion.LOST_TO_FOLLOW_UP,
            effect=None,
            effect_sd=None,
            diary_days=9,
        ),
        summary(
            patient_key=key(first + 3),
            design=design,
            status=Completion.RUNNING,
            effect=None,
            effect_sd=None,
            diary_days=40,
        ),
    ]
