"""Blinded protocols for the specifications: Ben's trial, 3 pairs of 14-day periods by default."""

import random

from ldntrial import data
from ldntrial.core.trial.blinded import BlindedDesign
from ldntrial.core.trial.design import design_protocol
from ldntrial.core.trial.randomisation import Allocation, draw_allocation
from tests.conftest import ANA_TZ, START

FIXED_NONCE = "5a" * 32


def blinded_protocol(design=None, *, commitment=None, **options):
    protocol, _ = design_protocol(
        condition="fibromyalgia",
        start_date=START,
        profile=data.ldn_profile(),
        instruments=data.instruments(),
        conditions=data.conditions(),
        time_zone=ANA_TZ,
        blinded=design or BlindedDesign(),
        allocation_commitment=commitment,
        **options,
    )
    return protocol


def seeded_allocation(design=None, seed=1) -> Allocation:
    """A reproducible allocation for tests (real ones come from secrets.SystemRandom)."""
    return draw_allocation(
        design or BlindedDesign(),
        source=random.Random(seed),
        nonce=FIXED_NONCE,
    )
