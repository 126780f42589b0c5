"""Benchmarks of blinded n-of-1 trials (issue 14): design power against a brute-force run, and
the analysis of one blinded diary against the open-label analysis of a diary of the same length.

Each returns (what, ours in seconds, reference in seconds); __main__ prints the ratio.
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np

from benchmarks.analysis import diaries
from benchmarks.timing import best
from ldntrial import data
from ldntrial.core.analysis.blinded import analyse_blinded, analyse_blinded_many
from ldntrial.core.analysis.blinded_validation import (
    blinded_schedule,
    observations_of,
    seeded_allocation,
)
from ldntrial.core.analysis.design_power import DEFAULT_TRIALS, LEAD_IN_DAYS, design_power
from ldntrial.core.analysis.simulation import simulate
from ldntrial.core.analysis.trial import analyse_trial
from ldntrial.core.trial.blinded import BlindedDesign
from ldntrial.core.trial.design import design_protocol
from ldntrial.core.trial.protocol import Protocol


def _protocol(blinded: BlindedDesign | None) -> Protocol:
    protocol, _ = design_protocol(
        condition="fibromyalgia",
        start_date=dt.date(2027, 1, 4),
        profile=data.ldn_profile(),
        instruments=data.instruments(),
        conditions=data.conditions(),
        blinded=blinded,
    )
    return protocol


def bench_design_power() -> tuple[str, float, float]:
    """The power table of the default design (3 rows x 400 trials) vs the same trials simulated
    and analysed one diary at a time through simulate() and the blinded analysis."""
    design = BlindedDesign()
    protocol = _protocol(design)
    power = design_power(design)
    people = power.assumptions

    def brute() -> None:
        rng = np.random.default_rng(1)
        for improvement in (0.0, 1.0, 2.0):
            for _ in range(DEFAULT_TRIALS):
                allocation = seeded_allocation(design, rng)
                diary = simulate(
                    blinded_schedule(design, allocation.arms, LEAD_IN_DAYS),
                    people.patient(rng, -improvement),
                    rng,
                )
                rows = observations_of(protocol, diary, "pain", LEAD_IN_DAYS)
                analyse_blinded_many([(protocol, allocation, rows, None)], metrics=["pain"])

    ours = best(lambda: design_power(design), number=1)
    started = time.perf_counter()
    brute()
    reference = time.perf_counter() - started
    return ("design power, 3 x 400 trials / the same trials one diary at a time", ours, reference)


def bench_blinded_analysis() -> tuple[str, float, float]:
    """One blinded diary (pain recorded) vs the open-label analysis of one realistic open-label
    diary (the default protocol, three metrics; benchmarks/analysis.py)."""
    design = BlindedDesign()
    protocol = _protocol(design)
    allocation = seeded_allocation(design, np.random.default_rng(2))
    people = design_power(design, trials=20).assumptions
    rng = np.random.default_rng(3)
    diary = simulate(
        blinded_schedule(design, allocation.arms, LEAD_IN_DAYS), people.patient(rng, -2.0), rng
    )
    rows = observations_of(protocol, diary, "pain", LEAD_IN_DAYS)
    open_label = _protocol(None)
    open_rows = diaries(open_label, 1, seed=4)[0]
    ours = best(lambda: analyse_blinded(protocol, allocation, rows), number=20)
    reference = best(lambda: analyse_trial(open_label, open_rows), number=20)
    return ("blinded analysis of one diary / open-label analysis of one diary", ours, reference)


BLINDED_BENCHES = (bench_design_power, bench_blinded_analysis)
