"""Shared fixtures: the shipped data files and the personas the specifications talk about.

Personas (synthetic, never real people):
- Ana, a fibromyalgia patient in London (Europe/London);
- Bea, a patient in New York (America/New_York);
- Dr Ode, Ana's clinician.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ldntrial import data
from ldntrial.core.conditions import ConditionCatalogue
from ldntrial.core.drug import LdnProfile
from ldntrial.core.instruments import InstrumentCatalogue
from ldntrial.core.protocol_design import design_protocol

ANA_TZ = "Europe/London"
BEA_TZ = "America/New_York"
# A frozen clock: late evening in London on 27 November 2026.
NOW = dt.datetime(2026, 11, 27, 21, 15, tzinfo=dt.UTC)
START = dt.date(2026, 11, 28)  # Ana's first baseline day; the first dose is on 12 December


@pytest.fixture(scope="session")
def profile() -> LdnProfile:
    return data.ldn_profile()


@pytest.fixture(scope="session")
def instruments() -> InstrumentCatalogue:
    return data.instruments()


@pytest.fixture(scope="session")
def conditions() -> ConditionCatalogue:
    return data.conditions()


@pytest.fixture
def protocol(profile, instruments, conditions):
    """Ana's default fibromyalgia protocol, starting on 28 November 2026."""
    protocol, _ = design_protocol(
        condition="fibromyalgia",
        start_date=START,
        profile=profile,
        instruments=instruments,
        conditions=conditions,
    )
    return protocol
