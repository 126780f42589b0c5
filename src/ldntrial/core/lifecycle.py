"""The life of a trial: its states and what a signed decision does to it.

``draft`` (protocol being designed) -> ``active`` (locked, the patient doses and fills the
diary) -> at reassessment the clinician signs a decision:

- ``continue``: the trial ends in ``follow_up`` (the patient keeps taking LDN; the next review
  date is set);
- ``stop``: the trial is ``stopped`` (LDN stops as the clinician instructs; a follow-up date);
- ``adjust``: the trial stays ``active`` and is amended (docs/decisions/0021).

A later change of mind is an addendum with its own reason and signature; it moves the trial
the same way. Signing is refused while the data are insufficient for the analysis unless the
clinician records why they decide anyway.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from ldntrial.core.analysis.decision import Outcome, Rule
from ldntrial.core.errors import FieldErrors

# Product rule: a follow-up or next review is booked within a year of the decision.
MAX_FOLLOW_UP_DAYS = 366
MAX_TEXT_CHARS = 500


class TrialState(enum.Enum):
    DRAFT = "draft"
    ACTIVE = "active"
    FOLLOW_UP = "follow_up"
    STOPPED = "stopped"

    @property
    def label(self) -> str:
        return {
            TrialState.DRAFT: "Draft",
            TrialState.ACTIVE: "Active",
            TrialState.FOLLOW_UP: "Follow-up (continuing LDN)",
            TrialState.STOPPED: "Stopped",
        }[self]

    @property
    def takes_ldn(self) -> bool:
        """Whether the patient is (still) meant to be taking LDN."""
        return self in (TrialState.ACTIVE, TrialState.FOLLOW_UP)

    @property
    def started(self) -> bool:
        return self is not TrialState.DRAFT


def state_after(outcome: Outcome) -> TrialState:
    return {
        Outcome.CONTINUE: TrialState.FOLLOW_UP,
        Outcome.STOP: TrialState.STOPPED,
        Outcome.ADJUST: TrialState.ACTIVE,
    }[outcome]


@dataclass(frozen=True)
class Closure:
    """What a signed decision fixes besides its outcome."""

    outcome: Outcome
    follow_up_on: dt.date | None
    stop_instruction: str
    data_override: str

    def as_json(self) -> dict[str, str | None]:
        return {
            "follow_up_on": None if self.follow_up_on is None else self.follow_up_on.isoformat(),
            "stop_instruction": self.stop_instruction,
            "data_override": self.data_override,
        }


def check_closure(
    *,
    outcome: Outcome,
    rule: Rule,
    today: dt.date,
    follow_up_on: dt.date | None,
    stop_instruction: str,
    data_override: str,
) -> Closure:
    """The details a decision needs, or FieldErrors naming each that is missing or wrong.

    ``stop`` needs the stopping (or tapering) instruction the clinician gives and a follow-up
    date; ``continue`` needs the next review date; ``adjust`` needs neither (an amendment
    follows). Any decision on insufficient data needs the reason the clinician decides anyway.
    """
    errors: dict[str, str] = {}
    instruction = " ".join(stop_instruction.split())
    override = " ".join(data_override.split())
    if rule is Rule.INSUFFICIENT_DATA and not override:
        errors["data_override"] = (
            "The diary does not yet have the days the protocol needs for an analysis. Wait for "
            "more data, or say why you decide now."
        )
    for name, text in (("stop_instruction", instruction), ("data_override", override)):
        if len(text) > MAX_TEXT_CHARS:
            errors[name] = f"keep this under {MAX_TEXT_CHARS} characters"
    needs_date = outcome in (Outcome.STOP, Outcome.CONTINUE)
    if outcome is Outcome.STOP and not instruction:
        errors["stop_instruction"] = (
            "Write how the patient stops LDN (for example the last dose day, or a tapering plan)."
        )
    if needs_date:
        what = "follow-up" if outcome is Outcome.STOP else "next review"
        if follow_up_on is None:
            errors["follow_up_on"] = f"Give the {what} date."
        elif not today < follow_up_on <= today + dt.timedelta(days=MAX_FOLLOW_UP_DAYS):
            errors["follow_up_on"] = (
                f"The {what} date must be after today ({today.isoformat()}) and within a year."
            )
    if errors:
        raise FieldErrors(errors)
    return Closure(
        outcome,
        follow_up_on if needs_date else None,
        instruction if outcome is Outcome.STOP else "",
        override,
    )
