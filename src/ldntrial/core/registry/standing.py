"""How a started trial stands in the registry, from what the clinic recorded about it.

- A decision signed on enough data completes the trial, whatever it decided (continue, adjust
  or stop): the trial reached its reassessment with an outcome.
- A stop signed on insufficient data (the clinician recorded why they decided early) is a trial
  *stopped early*, for a clinician's decision; a continue or adjust signed on insufficient data
  still reached its reassessment, so it counts as completed.
- A trial with no signed decision more than ``OVERDUE_DAYS`` after its reassessment date is
  *lost to follow-up*: nobody came back to decide. Four weeks is a product rule (the usual
  reassessment window is 8–12 weeks, so a month overdue is well outside it), not a clinical fact.
- Any other started trial is *running*.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ldntrial.core.registry.summaries import Completion, StopReason

OVERDUE_DAYS = 28


@dataclass(frozen=True)
class Signed:
    """What the registry reads of a trial's signed decisions."""

    any_on_enough_data: bool  # at least one decision signed without a data override


def standing(
    *,
    signed: Signed | None,
    stopped: bool,
    reassessment_date: dt.date,
    today: dt.date,
) -> tuple[Completion, StopReason | None]:
    """The trial's place in the flow, and why it ended early if it did."""
    if signed is not None:
        if stopped and not signed.any_on_enough_data:
            return Completion.STOPPED_EARLY, StopReason.CLINICIAN_DECISION
        return Completion.COMPLETED, None
    if stopped:  # ended without a signed decision
        return Completion.STOPPED_EARLY, StopReason.OTHER
    if (today - reassessment_date).days > OVERDUE_DAYS:
        return Completion.LOST_TO_FOLLOW_UP, None
    return Completion.RUNNING, None
