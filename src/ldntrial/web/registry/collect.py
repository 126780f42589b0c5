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

Blinded trials are counted in the flow, and contribute LDN against placebo once they have
ended and been unblinded (``core.registry.blinded_contribution``): the allocation is read from
their ``Unblinding`` row alone, the allocation the unblinding revealed to the care team; the
sealed allocation (``BlindedAllocation``, the pharmacy's) is never read here, so a trial still
blinded has no outcome and nothing of its arms reaches the registry. Unblinded trials are
analysed with ``analyse_blinded_many`` in one batch, cached like the open-label ones under a key
that adds the revealed allocation's commitment (the SHA-256 of its content), so a cached
analysis is never of another allocation. The patient's end-of-period guesses are not read: the
registry uses only the effect, which does not depend on them.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from ldntrial.core.analysis.blinded import BlindedAnalysis, analyse_blinded_many
from ldntrial.core.analysis.trial import Observation, TrialAnalysis, analyse_trials
from ldntrial.core.errors import InvalidValue
from ldntrial.core.registry.blinded_contribution import summaries_of_blinded_trial
from ldntrial.core.registry.contribution import summaries_of_trial
from ldntrial.core.registry.standing import Signed, standing
from ldntrial.core.registry.summaries import Completion, PatientSummary, StopReason
from ldntrial.core.trial.protocol import Design, Protocol
from ldntrial.core.trial.randomisation import Allocation
from ldntrial.web.accounts.models import Clinic
from ldntrial.web.clinic.models import DiaryEntry, Reassessment, Trial, TrialStatus, Unblinding
from ldntrial.web.clinic.queries import today_for
from ldntrial.web.clinic.reassessment import ANALYSIS_VERSION, diary_state
from ldntrial.web.registry.pseudonyms import patient_key

CACHE_SIZE = 50_000
Analysis = TrialAnalysis | BlindedAnalysis
_cache: OrderedDict[tuple[str, ...], Analysis] = OrderedDict()
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
    # A blinded trial's allocation as its unblinding revealed it (None: open label, or still
    # blinded; never read from the sealed allocation).
    allocation: Allocation | None = field(default=None, repr=False)

    @property
    def key(self) -> tuple[str, ...]:
        if self.allocation is not None:
            return (
                ANALYSIS_VERSION,
                self.fingerprint,
                self.diary_hash,
                "unblinded",
                self.allocation.commitment,
            )
        return (ANALYSIS_VERSION, self.fingerprint, self.diary_hash)

    @property
    def is_blinded(self) -> bool:
        return self.protocol.design is Design.BLINDED_N_OF_1


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
    revealed = dict(
        Unblinding.objects.filter(trial__in=trials).values_list("trial_id", "allocation")
    )
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
                allocation=_revealed(protocol, revealed.get(trial.pk)),
            )
        )
    return result


def _revealed(protocol: Protocol, content: object) -> Allocation | None:
    """The allocation an unblinding revealed, when it is this protocol's (None otherwise: a
    trial that is not unblinded, or a row that does not match, has no blinded outcome)."""
    if content is None or protocol.blinded is None:
        return None
    try:
        allocation = Allocation.from_content(content)
    except InvalidValue:
        return None
    commitment = protocol.allocation_commitment
    if allocation.design != protocol.blinded or (
        commitment is not None and allocation.commitment != commitment
    ):
        return None
    return allocation


def _analysable(record: TrialRecord) -> bool:
    """Trials whose outcome the registry uses: ended ones, open label or unblinded."""
    if record.status is Completion.RUNNING or not record.observations:
        return False
    return not record.is_blinded or record.allocation is not None


def analyses(rows: Sequence[TrialRecord]) -> dict[int, Analysis]:
    """The analysis of every analysable trial, computing only the states not cached."""
    wanted = [r for r in rows if _analysable(r)]
    missing: dict[tuple[str, ...], TrialRecord] = {}
    for r in wanted:
        if r.key in _cache:
            _cache.move_to_end(r.key)
        else:
            missing.setdefault(r.key, r)
    if missing:
        open_label = [r for r in missing.values() if not r.is_blinded]
        unblinded = [r for r in missing.values() if r.is_blinded]
        computed: list[Analysis] = []
        if open_label:
            computed.extend(analyse_trials([(r.protocol, r.observations) for r in open_label]))
        if unblinded:
            computed.extend(
                analyse_blinded_many(
                    [(r.protocol, _allocation(r), r.observations, None) for r in unblinded]
                )
            )
        for r, analysis in zip([*open_label, *unblinded], computed, strict=True):
            _cache[r.key] = analysis
        analysed_states.append(len(computed))
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return {r.trial_id: _cache[r.key] for r in wanted if r.key in _cache}


def _allocation(record: TrialRecord) -> Allocation:
    if record.allocation is None:  # _analysable keeps only unblinded blinded trials
        raise InvalidValue("a blinded trial is analysed only once it is unblinded")
    return record.allocation


def summaries_of(rows: Iterable[TrialRecord]) -> list[PatientSummary]:
    """One summary per started trial and metric (see ``core.registry.contribution`` and
    ``core.registry.blinded_contribution``)."""
    items = list(rows)
    done = analyses(items)
    result: list[PatientSummary] = []
    for r in items:
        analysis = done.get(r.trial_id)
        if r.is_blinded:
            blinded = analysis if isinstance(analysis, BlindedAnalysis) else None
            result.extend(
                summaries_of_blinded_trial(
                    r.protocol,
                    r.observations,
                    blinded,
                    patient_key=r.patient_key,
                    status=r.status,
                    stop_reason=r.stop_reason,
                )
            )
        else:
            result.extend(
                summaries_of_trial(
                    r.protocol,
                    r.observations,
                    analysis if isinstance(analysis, TrialAnalysis) else None,
                    patient_key=r.patient_key,
                    status=r.status,
                    stop_reason=r.stop_reason,
                )
            )
    return result


def patient_summaries(clinic: Clinic | None) -> list[PatientSummary]:
    return summaries_of(records(clinic))
