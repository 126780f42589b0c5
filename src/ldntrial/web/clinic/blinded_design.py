"""What the clinician's trial page shows of a blinded design: the periods (arms concealed) and,
before the protocol is locked, the design's simulated power with the core's suggestion when it
is too weak (ldntrial.core.analysis.design_power; about a third of a second, cached per design).
"""

from __future__ import annotations

import functools
from typing import Any

from ldntrial.core.analysis.design_power import DesignPower, design_power
from ldntrial.core.trial.blinded import BlindedDesign
from ldntrial.core.trial.kits import open_titration
from ldntrial.core.trial.protocol import Protocol
from ldntrial.core.trial.titration import StepPeriod


@functools.lru_cache(maxsize=64)
def power_of(design: BlindedDesign, weekly: bool) -> DesignPower:
    return design_power(design, weekly=weekly)


def design_context(protocol: Protocol, *, draft: bool) -> dict[str, Any]:
    """The template's ``blinded`` entry: None for an open-label protocol."""
    design = protocol.blinded
    if design is None:
        return {"blinded": None}
    weekly = protocol.analysis_settings.models_weekly_cycle
    return {
        "blinded": {
            "describe": design.describe(),
            "periods": protocol.periods(),
            "commitment": protocol.allocation_commitment,
            "power": power_of(design, weekly) if draft else None,
        }
    }


def dosing_periods(protocol: Protocol) -> tuple[StepPeriod, ...]:
    """The dosing table's rows: in a blinded trial only the open titration, since during the
    blinded periods each day's capsule is a kit's (LDN at the tolerated dose or placebo)."""
    if protocol.blinded is None:
        return protocol.titration.periods()
    titration = open_titration(protocol)
    return titration.periods() if titration is not None else ()
