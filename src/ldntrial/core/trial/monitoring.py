"""Where a running trial stands: phase, adherence, diary gaps and alerts for the clinician."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from ldntrial.core.study_days import StudyDay
from ldntrial.core.trial.protocol import PhaseKind, Protocol

# Product rules (issue #3): the diary counts as silent after 3 days without an entry; side
# effects and missed doses are flagged when reported in the last 7 days.
SILENT_AFTER_DAYS = 3
RECENT_DAYS = 7


class Stage(enum.Enum):
    """Where a started trial stands today. The value is a code (the API sends it); the label is
    what people read."""

    NOT_STARTED = "not_started"
    BASELINE = "baseline"
    TITRATION = "titration"
    MAINTENANCE = "maintenance"
    DUE_FOR_REASSESSMENT = "due_for_reassessment"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @property
    def is_due(self) -> bool:
        return self is Stage.DUE_FOR_REASSESSMENT


class Alert(enum.Enum):
    SIDE_EFFECTS = "side_effects"
    DOSES_MISSED = "doses_missed"
    DIARY_SILENT = "diary_silent"

    @property
    def label(self) -> str:
        return {
            Alert.SIDE_EFFECTS: "side effects reported",
            Alert.DOSES_MISSED: "doses missed",
            Alert.DIARY_SILENT: "diary silent",
        }[self]


@dataclass(frozen=True)
class DayReport:
    """What the current diary version of one day says, for monitoring."""

    day: dt.date
    dose_taken: bool | None
    side_effects: bool


@dataclass(frozen=True)
class TrialProgress:
    stage: Stage
    study_day: StudyDay | None  # None before the trial starts
    doses_reported: int
    doses_taken: int
    days_since_last_entry: int | None
    alerts: tuple[Alert, ...]

    @property
    def adherence(self) -> float | None:
        """Share of reported dosing days on which the dose was taken."""
        return None if not self.doses_reported else self.doses_taken / self.doses_reported


def stage_on(protocol: Protocol, today: dt.date) -> Stage:
    if today < protocol.start_date:
        return Stage.NOT_STARTED
    if today >= protocol.reassessment_date:
        return Stage.DUE_FOR_REASSESSMENT
    for phase in protocol.phases():
        if phase.first <= today <= phase.last:
            return {
                PhaseKind.BASELINE: Stage.BASELINE,
                PhaseKind.TITRATION: Stage.TITRATION,
                PhaseKind.MAINTENANCE: Stage.MAINTENANCE,
            }[phase.kind]
    raise AssertionError("the phases cover the trial")  # pragma: no cover


def trial_status(
    protocol: Protocol, reports: Iterable[DayReport], *, today: dt.date
) -> TrialProgress:
    reports = sorted(reports, key=lambda r: r.day)
    stage = stage_on(protocol, today)
    dosing = [r for r in reports if r.dose_taken is not None]
    taken = sum(1 for r in dosing if r.dose_taken)
    last = reports[-1].day if reports else None
    since = (today - last).days if last else None
    alerts = []
    recent = [r for r in reports if (today - r.day).days < RECENT_DAYS]
    if any(r.side_effects for r in recent):
        alerts.append(Alert.SIDE_EFFECTS)
    if any(r.dose_taken is False for r in recent):
        alerts.append(Alert.DOSES_MISSED)
    if stage is not Stage.NOT_STARTED:
        silent_since = last or protocol.start_date - dt.timedelta(days=1)
        end = min(today, protocol.reassessment_date)
        if (end - silent_since).days >= SILENT_AFTER_DAYS:
            alerts.append(Alert.DIARY_SILENT)
    study_day = (
        None if today < protocol.start_date else StudyDay.of(today, trial_start=protocol.start_date)
    )
    return TrialProgress(stage, study_day, len(dosing), taken, since, tuple(alerts))
