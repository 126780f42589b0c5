import datetime as dt

import pytest

from ldntrial.core.protocol import design_protocol

START = dt.date(2026, 11, 28)  # first baseline day; the first dose is on 12 December


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
