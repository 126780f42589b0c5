"""Amendments: a change to the dosing schedule of a locked protocol, made during the trial.

An amendment never edits the locked protocol. It builds a new protocol version with the
schedule changed from a day on, locks it, and keeps the fingerprint of the version it amends
(``parent_fingerprint``) and the difference between the two schedules. Only the schedule
changes (and, for a replacement after an "adjust" decision, the reassessment date): the
baseline, metrics, success criterion and analysis settings stay as agreed
(docs/decisions/0020). The analysis of an amended trial uses the phases of the
version in effect at reassessment, which follow from its schedule.

The four kinds reach the schedule adjustments of :mod:`ldntrial.core.trial.titration`.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ldntrial.core.doses import Dose, DoseInput
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.drug import LdnProfile, Timing
from ldntrial.core.trial.protocol import Protocol
from ldntrial.core.trial.titration import (
    DoseStep,
    PlanWarning,
    TitrationSchedule,
    WarningCode,
    custom_schedule,
    parse_timing,
    require_accepted,
    review_schedule,
)

MAX_REASON_CHARS = 500
MAX_HOLD_DAYS = 84  # product rule: a hold longer than 12 weeks is a new trial, not an amendment
# Product rule (docs/decisions/0020): a replacement may move the reassessment later (an
# "adjust" decision that extends the trial), to at most 26 weeks after the first dose.
MAX_WEEKS_AFTER_FIRST_DOSE = 26


class AmendmentKind(enum.Enum):
    HOLD = "hold"  # stay on the current dose longer; later steps move later
    STEP_BACK = "step_back"  # back to the previous lower dose (side effects)
    SWITCH_TIMING = "switch_timing"  # night to morning or back (e.g. vivid dreams)
    REPLACE_SCHEDULE = "replace_schedule"  # new steps for the rest of the trial

    @property
    def label(self) -> str:
        return {
            AmendmentKind.HOLD: "hold the current dose",
            AmendmentKind.STEP_BACK: "step back to the previous dose",
            AmendmentKind.SWITCH_TIMING: "switch the time of day",
            AmendmentKind.REPLACE_SCHEDULE: "replace the remaining schedule",
        }[self]

    @classmethod
    def parse(cls, text: str) -> AmendmentKind:
        try:
            return cls(text.strip().lower().replace("-", "_"))
        except ValueError:
            known = ", ".join(k.value for k in cls)
            raise InvalidValue(f"amendment {text!r} is not known: use one of {known}") from None


@dataclass(frozen=True)
class Amendment:
    """What a clinician asks for: a kind, the day it takes effect, why, and its details."""

    kind: AmendmentKind
    on: dt.date
    reason: str
    hold_days: int | None = None
    retry_after_days: int | None = None
    timing: Timing | None = None
    steps: tuple[tuple[dt.date, DoseInput, Timing], ...] = ()
    new_reassessment: dt.date | None = None  # a replacement only: the trial runs longer

    def __post_init__(self) -> None:
        reason = " ".join(self.reason.split())
        if not reason:
            raise InvalidValue("say why the schedule changes (e.g. 'vivid dreams at 3 mg')")
        if len(reason) > MAX_REASON_CHARS:
            raise InvalidValue(f"keep the reason under {MAX_REASON_CHARS} characters")
        object.__setattr__(self, "reason", reason)
        kind = self.kind
        if kind is AmendmentKind.HOLD:
            days = self.hold_days
            if (
                isinstance(days, bool)
                or not isinstance(days, int)
                or not 1 <= days <= MAX_HOLD_DAYS
            ):
                raise InvalidValue(f"hold for 1 to {MAX_HOLD_DAYS} days, not {days!r}")
        if kind is AmendmentKind.STEP_BACK and self.retry_after_days is not None:
            days = self.retry_after_days
            if not _is_days(days):
                raise InvalidValue(f"retry after 1 to {MAX_HOLD_DAYS} days, not {days!r}")
        if kind is AmendmentKind.SWITCH_TIMING and self.timing is None:
            raise InvalidValue("choose the new time of day: night or morning")
        if self.new_reassessment is not None:
            if kind is not AmendmentKind.REPLACE_SCHEDULE:
                raise InvalidValue(
                    "only a replacement of the remaining schedule moves the reassessment date"
                )
            if self.new_reassessment <= self.on:
                raise InvalidValue("the new reassessment date must come after the change")
        if kind is AmendmentKind.REPLACE_SCHEDULE:
            if not self.steps:
                raise InvalidValue("give at least one dose step for the rest of the schedule")
            if min(s[0] for s in self.steps) != self.on:
                raise InvalidValue(
                    f"the new schedule must start on the day the amendment takes effect "
                    f"({self.on.isoformat()})"
                )

    def describe(self) -> str:
        detail = {
            AmendmentKind.HOLD: f" for {self.hold_days} more day(s)",
            AmendmentKind.STEP_BACK: (
                f", trying the higher dose again after {self.retry_after_days} day(s)"
                if self.retry_after_days
                else ", later increases cancelled"
            ),
            AmendmentKind.SWITCH_TIMING: f" to the {self.timing.value if self.timing else ''}",
            AmendmentKind.REPLACE_SCHEDULE: f" with {len(self.steps)} step(s)",
        }[self.kind]
        return f"{self.kind.label}{detail} from {self.on.isoformat()}: {self.reason}"

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "on": self.on.isoformat(),
            "reason": self.reason,
            "hold_days": self.hold_days,
            "retry_after_days": self.retry_after_days,
            "timing": None if self.timing is None else self.timing.value,
            "steps": [[d.isoformat(), str(dose), t.value] for d, dose, t in self.steps],
            "new_reassessment": None
            if self.new_reassessment is None
            else self.new_reassessment.isoformat(),
        }


def _is_days(days: object) -> bool:
    return isinstance(days, int) and not isinstance(days, bool) and 1 <= days <= MAX_HOLD_DAYS


def replacement_steps(
    rows: Iterable[tuple[dt.date, DoseInput, Timing | str]],
) -> tuple[tuple[dt.date, DoseInput, Timing], ...]:
    """Rows of (date, dose, timing) as the steps of a replacement schedule."""
    return tuple(
        (day, dose, timing if isinstance(timing, Timing) else parse_timing(timing))
        for day, dose, timing in sorted(rows, key=lambda r: r[0])
    )


@dataclass(frozen=True)
class StepChange:
    """One step only in the version before (``removed``) or only in the new version."""

    removed: bool
    step: DoseStep

    def as_json(self) -> dict[str, Any]:
        return {
            "change": "removed" if self.removed else "added",
            "start": self.step.start.isoformat(),
            "dose_mg": str(self.step.dose.mg),
            "timing": self.step.timing.value,
        }

    def describe(self) -> str:
        way = "removed" if self.removed else "added"
        return (
            f"{way}: from {self.step.start.isoformat()} {self.step.dose} {self.step.timing.value}"
        )


@dataclass(frozen=True)
class AmendedProtocol:
    """The new locked version, the one it amends, what changed, and the warnings accepted."""

    protocol: Protocol
    parent_fingerprint: str
    amendment: Amendment
    changes: tuple[StepChange, ...]
    warnings: tuple[PlanWarning, ...]

    @property
    def fingerprint(self) -> str:
        return self.protocol.fingerprint

    def diff_json(self) -> list[dict[str, Any]]:
        return [c.as_json() for c in self.changes]


def amend(
    protocol: Protocol,
    amendment: Amendment,
    *,
    today: dt.date,
    at: dt.datetime,
    profile: LdnProfile,
    accepted: Sequence[WarningCode] = (),
) -> AmendedProtocol:
    """The locked ``protocol`` amended from ``amendment.on``, locked at ``at``.

    Refused on an unlocked protocol (edit the draft instead), for a day already past (the doses
    taken cannot change: ``today`` is the patient's local day), before the first dose (the
    baseline never changes) or after the reassessment date. Warnings of the new schedule that
    the protocol had not accepted must be accepted again (``accepted``).
    """
    if not protocol.is_locked:
        raise InvalidValue("only a locked (started) protocol is amended; edit the draft instead")
    on = amendment.on
    if on < today:
        raise InvalidValue(
            f"an amendment takes effect today ({today.isoformat()}) or later, not "
            f"{on.isoformat()}: doses already taken cannot change"
        )
    if on < protocol.first_dose_date:
        raise InvalidValue(
            "an amendment takes effect from the first dose "
            f"({protocol.first_dose_date.isoformat()}) on: the baseline does not change"
        )
    if protocol.blinded is not None:
        _check_blinded(protocol, amendment)
    end = _end_after(protocol, amendment)
    if on > end:
        raise InvalidValue(
            f"the schedule ends at reassessment ({protocol.reassessment_date.isoformat()}): to "
            "change it later, replace the remaining schedule with a new reassessment date"
        )
    before = protocol.titration
    after = _apply(before, amendment, profile, end)
    if protocol.blinded is not None:
        # The blinded periods follow the tolerated (final) dose, wherever the amended
        # titration puts it; the reassessment is the last day of the last period.
        end = after.steps[-1].start + dt.timedelta(days=protocol.blinded.days - 1)
        after = TitrationSchedule(after.steps, end)
    warnings = review_schedule(after, profile)
    if amendment.kind is AmendmentKind.STEP_BACK and amendment.retry_after_days is None:
        # The usual spacing is between increases; a step back only lowers the dose, and
        # stepping back soon after an increase is what side effects call for.
        warnings = tuple(w for w in warnings if w.code is not WarningCode.STEPS_TOO_CLOSE)
    new = tuple(w for w in warnings if w.code not in protocol.accepted_warnings)
    require_accepted(new, accepted)
    codes = tuple({*protocol.accepted_warnings, *(w.code for w in new)})
    draft = replace(
        protocol,
        titration=after,
        reassessment_date=end,
        accepted_warnings=codes,
        locked_at=None,
        locked_fingerprint=None,
    )
    return AmendedProtocol(
        protocol=draft.lock(at=at),
        parent_fingerprint=protocol.fingerprint,
        amendment=amendment,
        changes=schedule_changes(before, after),
        warnings=new,
    )


def _check_blinded(protocol: Protocol, amendment: Amendment) -> None:
    """A blinded trial's dosing changes only in its open titration, before the first blinded
    period: a change inside the periods would tell the care team (and the patient) something
    about the capsules, and the design fixes the periods' dose and length. The titration may
    still move the tolerated dose (a hold, a step back, a new schedule)."""
    first = protocol.periods()[0].first
    if amendment.on >= first:
        raise InvalidValue(
            f"the blinded periods started on {first.isoformat()}: their dose cannot change "
            "without breaking the blinding; for a safety problem, unblind in an emergency or "
            "stop the trial"
        )
    if amendment.new_reassessment is not None:
        raise InvalidValue(
            "a blinded trial's reassessment follows from its periods (the last day of the last "
            "period): leave the new reassessment date empty"
        )


def _end_after(protocol: Protocol, amendment: Amendment) -> dt.date:
    new = amendment.new_reassessment
    if new is None:
        return protocol.reassessment_date
    latest = protocol.first_dose_date + dt.timedelta(weeks=MAX_WEEKS_AFTER_FIRST_DOSE)
    if new > latest:
        raise InvalidValue(
            f"the reassessment can move to at most {MAX_WEEKS_AFTER_FIRST_DOSE} weeks after the "
            f"first dose ({latest.isoformat()}); a longer course is a new trial"
        )
    return new


def _apply(
    schedule: TitrationSchedule, amendment: Amendment, profile: LdnProfile, end: dt.date
) -> TitrationSchedule:
    on = amendment.on
    if amendment.kind is AmendmentKind.HOLD:
        after = schedule.hold(on, amendment.hold_days or 0)  # checked by Amendment
    elif amendment.kind is AmendmentKind.STEP_BACK:
        after = schedule.step_back(on, retry_after_days=amendment.retry_after_days)
    elif amendment.kind is AmendmentKind.SWITCH_TIMING:
        after = schedule.switch_timing(on, amendment.timing or Timing.NIGHT)  # checked
    else:
        kept = [(s.start, s.dose.mg, s.timing) for s in schedule.steps if s.start < on]
        rows: list[tuple[dt.date, DoseInput, Timing | str]] = []
        for row in [*kept, *amendment.steps]:  # a new step may repeat the one in effect
            if rows and (Dose(rows[-1][1]), rows[-1][2]) == (Dose(row[1]), row[2]):
                continue
            rows.append(row)
        replaced, _ = custom_schedule(rows, end=end, profile=profile)
        # Steps kept from before keep their reasons; merged repeats are refused by the schedule.
        reasons = {s.start: s.reason for s in schedule.steps if s.start < on}
        after = TitrationSchedule(
            tuple(replace(s, reason=reasons.get(s.start, s.reason)) for s in replaced.steps),
            end,
        )
    if after.steps == schedule.steps and after.end == schedule.end:
        raise InvalidValue(
            f"this amendment leaves the schedule as it is from {on.isoformat()}: nothing to change"
        )
    return after


def schedule_changes(before: TitrationSchedule, after: TitrationSchedule) -> tuple[StepChange, ...]:
    """Steps only in ``before`` (removed) and only in ``after`` (added), in date order."""

    def key(s: DoseStep) -> tuple[dt.date, Any, Timing]:
        return (s.start, s.dose, s.timing)

    old = {key(s): s for s in before.steps}
    new = {key(s): s for s in after.steps}
    changes = [StepChange(True, s) for k, s in old.items() if k not in new]
    changes += [StepChange(False, s) for k, s in new.items() if k not in old]
    return tuple(sorted(changes, key=lambda c: (c.step.start, not c.removed)))


def remaining_schedule(schedule: TitrationSchedule, on: dt.date) -> TitrationSchedule:
    """The part of ``schedule`` from ``on`` to its end (what a new prescription must cover)."""
    current = schedule.step_on(on)
    if current is None:
        raise InvalidValue(f"{on.isoformat()} is outside the schedule")
    later = [s for s in schedule.steps if s.start > on]
    return TitrationSchedule((replace(current, start=on), *later), schedule.end)
