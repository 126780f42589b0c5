"""The clinic's started trials as registry records and patient summaries.

Every started trial is read (one query for the trials, one for their diaries, one for their
reassessments), each patient's first trial of a condition and design. A trial's analysis is
keyed, like the reassessment's (docs/decisions/0018), by the analysis version, the protocol's
fingerprint and the hash of exactly its current diary, and kept in a per-process cache: a new
diary entry changes that hash, so only its trial is analysed again; every other trial's
analysis is reused (``analysed_states`` counts what was computed, for tests and benchmarks).
Trials needing analysis are analysed in one batch (``analyse_trials``).

How a trial stands (completed, stopped early, lost to follow-up, running) is the core's rule,
``core.registry.standing``, applied to the trial's state and its signed decisions.

Blinded trials are counted in the flow; their outcome comes from the blinded analysis
(issue 14), which plugs in at ``_analysable``: until then they have no outcome here, and the
page says so.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from ldntrial.core.analysis.trial import Observation, TrialAnalysis, analyse_trials
from ldntrial.core.registry.contribution import summaries_of_trial
from ldntrial.core.registry.standing import Signed, standing
from ldntrial.core.registry.summaries import Completion, PatientSummary, StopReason
from ldntrial.core.trial.protocol import Design, Protocol
from ldntrial.web.accounts.models import Clinic
from ldntrial.web.clinic.models import DiaryEntry, Reassessment, Trial, TrialStatus
from ldntrial.web.clinic.queries import today_for
from ldntrial.web.clinic.reassessment import ANALYSIS_VERSION, diary_state
from ldntrial.web.registry.pseudonyms import patient_key

CACHE_SIZE = 50_000
_cache: OrderedDict[tuple[str, str, str], TrialAnalysis] = OrderedDict()
analysed_states: list[int] = []  # trials analysed per call that analysed any (newest last)


@dataclass(frozen=True)
class _Entry:
    """A current diary entry as read for the registry (values only: no note or free text)."""

    day: dt.date
    version: int
    scores: dict[str, Any]
    dose_taken: bool | None
    side_effects: list[str]


@dataclass(frozen=True)
class TrialRecord:
    """One started trial as the registry reads it (no name, contact or free text)."""

    trial_id: int
    clinic_id: int
    patient_id: int
    patient_key: str
    protocol: Protocol
    fingerprint: str  # the locked protocol's (checked when the protocol was read)
    started_on: dt.date
    observations: tuple[Observation, ...]
    diary_hash: str
    status: Completion
    stop_reason: StopReason | None

    @property
    def key(self) -> tuple[str, str, str]:
        return (ANALYSIS_VERSION, self.fingerprint, self.diary_hash)


def clear_cache() -> None:
    _cache.clear()
    analysed_states.clear()


def started_trials(clinic: Clinic | None) -> QuerySet[Trial]:
    """Every started trial of the clinic (of every clinic when None)."""
    trials = Trial.objects.exclude(status=TrialStatus.DRAFT).exclude(started_at=None)
    return trials.filter(clinic=clinic) if clinic is not None else trials


def completion_of(
    trial: Trial, protocol: Protocol, reassessed: dict[int, bool]
) -> tuple[Completion, StopReason | None]:
    """How a started trial stands in the registry; ``reassessed`` maps each trial with a signed
    decision to whether one was signed on enough data (no data override)."""
    enough = reassessed.get(trial.pk)
    return standing(
        signed=None if enough is None else Signed(any_on_enough_data=enough),
        stopped=trial.status == TrialStatus.STOPPED,
        reassessment_date=protocol.reassessment_date,
        today=today_for(trial.patient),
    )


def records(clinic: Clinic | None) -> list[TrialRecord]:
    """Each patient's first started trial per condition and design, in trial order."""
    trials = started_trials(clinic)
    entries: dict[int, list[_Entry]] = defaultdict(list)
    rows = DiaryEntry.objects.filter(trial__in=trials, is_current=True).order_by("trial_id", "day")
    for trial_id, *fields in rows.values_list(
        "trial_id", "day", "version", "scores", "dose_taken", "side_effects"
    ):
        entries[trial_id].append(_Entry(*fields))
    reassessed: dict[int, bool] = {}
    signed = Reassessment.objects.filter(trial__in=trials)
    for trial_id, override in signed.values_list("trial_id", "data_override"):
        reassessed[trial_id] = reassessed.get(trial_id, False) or not override
    seen: set[tuple[int, str, Design]] = set()
    result = []
    for trial in trials.select_related("patient").order_by("started_at", "pk"):
        protocol = trial.protocol()
        first = (trial.patient_id, protocol.condition, protocol.design)
        if first in seen:
            continue  # one summary per patient and stratum: their first trial of it
        seen.add(first)
        observations, diary_hash = diary_state(entries.get(trial.pk, []))
        status, reason = completion_of(trial, protocol, reassessed)
        result.append(
            TrialRecord(
                trial_id=trial.pk,
                clinic_id=trial.clinic_id,
                patient_id=trial.patient_id,
                patient_key=patient_key(clinic_id=trial.clinic_id, patient_id=trial.patient_id),
                protocol=protocol,
                fingerprint=protocol.locked_fingerprint or protocol.fingerprint,
                started_on=protocol.start_date,
                observations=observations,
                diary_hash=diary_hash,
                status=status,
                stop_reason=reason,
            )
        )
    return result


def _analysable(record: TrialRecord) -> bool:
    """Trials whose outcome the registry uses: ended ones, of a design with an analysis here."""
    return record.status is not Completion.RUNNING and record.protocol.design is Design.OPEN_LABEL


def analyses(rows: Sequence[TrialRecord]) -> dict[int, TrialAnalysis]:
    """The analysis of every analysable trial, computing only the states not cached."""
    wanted = [r for r in rows if _analysable(r) and r.observations]
    missing: dict[tuple[str, str, str], TrialRecord] = {}
    for r in wanted:
        if r.key in _cache:
            _cache.move_to_end(r.key)
        else:
            missing.setdefault(r.key, r)
    if missing:
        todo = list(missing.values())
        computed = analyse_trials([(r.protocol, r.observations) for r in todo])
        for r, analysis in zip(todo, computed, strict=True):
            _cache[r.key] = analysis
        analysed_states.append(len(todo))
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return {r.trial_id: _cache[r.key] for r in wanted if r.key in _cache}


def summaries_of(rows: Iterable[TrialRecord]) -> list[PatientSummary]:
    """One summary per started trial and metric (see ``core.registry.contribution``)."""
    items = list(rows)
    done = analyses(items)
    result: list[PatientSummary] = []
    for r in items:
        result.extend(
            summaries_of_trial(
                r.protocol,
                r.observations,
                done.get(r.trial_id),
                patient_key=r.patient_key,
                status=r.status,
                stop_reason=r.stop_reason,
            )
        )
    return result


def patient_summaries(clinic: Clinic | None) -> list[PatientSummary]:
    return summaries_of(records(clinic))
