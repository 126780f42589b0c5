"""What the analysis of a trial depends on: its protocol in effect, diary and visit measures as
core values, and hashes of exactly them (the reassessment's cache key and what a signature
covers; docs/decisions/0018)."""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ldntrial.core.analysis.trial import Observation
from ldntrial.core.canonical import sha256_of
from ldntrial.core.trial.protocol import Protocol
from ldntrial.core.trial.visit_measures import PegScore, Pgic, VisitKind, VisitRecord, VisitSummary
from ldntrial.web.clinic.models import DiaryEntry, Trial, VisitMeasure

# Part of the cache key: bump it when the analysis or the decision rules change.
ANALYSIS_VERSION = "3"


@dataclass(frozen=True)
class TrialState:
    """What the analysis of a trial depends on, and a hash of it."""

    protocol: Protocol
    observations: tuple[Observation, ...]
    visits: VisitSummary
    diary_hash: str
    visits_hash: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (ANALYSIS_VERSION, self.protocol.fingerprint, self.diary_hash, self.visits_hash)


def hash_of_rows(rows: list[list[Any]]) -> str:
    return sha256_of(rows, ascii_only=True)  # the form signed diary hashes were made in


class DiaryRow(typing.Protocol):
    """What the analysis reads of a diary entry (a ``DiaryEntry`` or a row read as values)."""

    @property
    def day(self) -> dt.date: ...
    @property
    def version(self) -> int: ...
    @property
    def scores(self) -> dict[str, Any]: ...
    @property
    def dose_taken(self) -> bool | None: ...
    @property
    def side_effects(self) -> list[str]: ...


def diary_state(entries: Sequence[DiaryRow]) -> tuple[tuple[Observation, ...], str]:
    """A trial's current diary entries (in day order) as core observations, and their hash."""
    observations = tuple(
        Observation(
            e.day,
            {k: float(v) for k, v in e.scores.items()},
            e.dose_taken,
            frozenset(e.side_effects),
        )
        for e in entries
    )
    diary_hash = hash_of_rows(
        [
            [e.day.isoformat(), e.version, e.scores, e.dose_taken, sorted(e.side_effects)]
            for e in entries
        ]
    )
    return observations, diary_hash


def state_of(trial: Trial, *, diary_until: dt.date | None = None) -> TrialState:
    """The current diary and visit measures as core values, with the hashes of exactly them.

    ``diary_until`` leaves out diary days after it: a signature covers the days up to the day
    it was signed, so days filled after an "adjust" do not undo it (a correction of a signed
    day still does)."""
    current = DiaryEntry.objects.filter(trial=trial, is_current=True).order_by("day")
    if diary_until is not None:
        current = current.filter(day__lte=diary_until)
    entries = list(current)
    observations, diary_hash = diary_state(entries)
    visits = list(
        VisitMeasure.objects.filter(trial=trial, is_current=True).order_by("kind", "version")
    )
    visits_hash = hash_of_rows(
        [
            [
                v.kind,
                v.version,
                v.day.isoformat(),
                v.peg_pain,
                v.peg_enjoyment,
                v.peg_activity,
                v.pgic,
            ]
            for v in visits
        ]
    )
    summary = VisitSummary.of([_visit_record(v) for v in visits])
    return TrialState(trial.protocol(), observations, summary, diary_hash, visits_hash)


def _visit_record(v: VisitMeasure) -> VisitRecord:
    peg = (
        None
        if v.peg_pain is None or v.peg_enjoyment is None or v.peg_activity is None
        else PegScore(v.peg_pain, v.peg_enjoyment, v.peg_activity)
    )
    return VisitRecord(VisitKind(v.kind), v.day, peg, Pgic(v.pgic) if v.pgic else None, v.period)
