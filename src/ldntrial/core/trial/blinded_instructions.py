"""What the patient of a blinded n-of-1 trial is told to take in each blinded period.

The wording is the same for every period whatever it holds: a period is named by its number
(and, with the no-capsule arm, its block) and its kit, never by its arm. Without the no-capsule
arm every period takes capsules, so kit ``n`` is taken in period ``n`` (kits are numbered in the
order they are taken, :mod:`ldntrial.core.trial.kits`) and saying so reveals nothing. With the
no-capsule arm, which period of a block goes without capsules is part of the concealed
allocation, so the kit of a period cannot be named before unblinding: the patient takes the
kit the pharmacy gave them for the period, or none when they were told the period has no
capsules (the pharmacy tells them at the start of each period).

The open titration before the periods keeps the usual dose wording (the dose steps).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ldntrial.core.trial.blinded import BlindedPeriod
from ldntrial.core.trial.drug import Timing
from ldntrial.core.trial.kits import kit_list
from ldntrial.core.trial.protocol import Protocol


@dataclass(frozen=True)
class PeriodInstruction:
    """One blinded period as the patient sees it: its number, block, dates and kit."""

    period: BlindedPeriod
    of: int  # how many periods the trial has
    kit: int | None  # None when the kit of the period is not known before unblinding
    timing: Timing

    @property
    def title(self) -> str:
        """'Blinded period 3 of 6', with the block when kits are not tied to periods."""
        block = f" (block {self.period.pair})" if self.kit is None else ""
        return f"Blinded period {self.period.number} of {self.of}{block}"

    @property
    def each(self) -> str:
        return "each night" if self.timing is Timing.NIGHT else "each morning"

    @property
    def what_to_take(self) -> str:
        if self.kit is not None:
            return f"take one capsule from kit {self.kit} {self.each}"
        return (
            f"take one capsule {self.each} from the kit the pharmacy gave you for this period, "
            "or none if you were told this period has no capsules"
        )

    @property
    def text(self) -> str:
        """'Blinded period 3 of 6 — take one capsule from kit 3 each night'."""
        return f"{self.title} — {self.what_to_take}"

    @property
    def short(self) -> str:
        """A few words for a calendar's event title (seen on lock screens)."""
        if self.kit is not None:
            return f"{self.title}: one capsule from kit {self.kit}"
        return f"{self.title}: your kit for this period, or none"


def period_instructions(protocol: Protocol) -> tuple[PeriodInstruction, ...]:
    """Every blinded period of the protocol with its instruction (empty for open label)."""
    design = protocol.blinded
    if design is None:
        return ()
    periods = protocol.periods()
    kit_of_period = (
        {} if design.no_capsule else {k.period: k.number for k in kit_list(protocol).kits}
    )
    timing = protocol.titration.steps[-1].timing  # the tolerated dose's timing
    return tuple(
        PeriodInstruction(p, len(periods), kit_of_period.get(p.number), timing) for p in periods
    )


def instruction_on(protocol: Protocol, day: dt.date) -> PeriodInstruction | None:
    """The instruction of the blinded period holding ``day`` (None outside the periods)."""
    return next((i for i in period_instructions(protocol) if i.period.contains(day)), None)
