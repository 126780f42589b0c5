"""Reassessment in the web app: the analysis of a trial's diary, the decision and its signature.

The analysis is computed once per state of the trial: the key is the analysis version, the
protocol's fingerprint and a hash of exactly the diary entries and visit measures analysed, so
a cached result can never be stale. The cache is in-process (``functools.lru_cache`` on that
key): the analysis is derived data, deterministic and recomputable in milliseconds, so it needs
no table or serialisation; each server process computes a state at most once
(docs/decisions/0018).

What a clinician signs is stored whole in the :class:`Reassessment` row: the full analysis
record (every metric, the visit measures, the suggested decision) and the hashes of the diary
and visit measures it came from. Verifying a signature checks the HMAC, the content hash, and
that the trial's diary and visit measures still hash to what was signed; it never needs to
recompute the analysis.
"""

from __future__ import annotations

import datetime as dt
import functools
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from ldntrial.core.analysis.decision import Decision, Outcome, decide
from ldntrial.core.analysis.record import analysis_record
from ldntrial.core.analysis.trial import Observation, TrialAnalysis, analyse_trial
from ldntrial.core.canonical import sha256_of
from ldntrial.core.errors import FieldErrors, InvalidValue
from ldntrial.core.trial.protocol import Protocol
from ldntrial.core.trial.visit_measures import PegScore, Pgic, VisitKind, VisitRecord, VisitSummary
from ldntrial.web import keys
from ldntrial.web.accounts.models import User
from ldntrial.web.accounts.security import reauthenticate
from ldntrial.web.audit.chain import audited_create
from ldntrial.web.clinic.models import (
    DiaryEntry,
    Reassessment,
    Trial,
    TrialStatus,
    VisitMeasure,
)

# Part of the cache key: bump it when the analysis or the decision rules change.
ANALYSIS_VERSION = "3"
CACHE_SIZE = 256


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


@dataclass(frozen=True)
class Assessment:
    trial: Trial
    state: TrialState
    analysis: TrialAnalysis
    decision: Decision

    @property
    def observations(self) -> tuple[Observation, ...]:
        return self.state.observations

    @property
    def diary_hash(self) -> str:
        return self.state.diary_hash


def _hash_of(rows: list[list[Any]]) -> str:
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
    diary_hash = _hash_of(
        [
            [e.day.isoformat(), e.version, e.scores, e.dose_taken, sorted(e.side_effects)]
            for e in entries
        ]
    )
    return observations, diary_hash


def state_of(trial: Trial) -> TrialState:
    """The current diary and visit measures as core values, with the hashes of exactly them."""
    entries = list(DiaryEntry.objects.filter(trial=trial, is_current=True).order_by("day"))
    observations, diary_hash = diary_state(entries)
    visits = list(
        VisitMeasure.objects.filter(trial=trial, is_current=True).order_by("kind", "version")
    )
    visits_hash = _hash_of(
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


@dataclass(frozen=True)
class _Computation:
    """The inputs of one analysis, hashed and compared by their key only."""

    key: tuple[str, str, str, str]
    state: TrialState = field(compare=False, hash=False)


@functools.lru_cache(maxsize=CACHE_SIZE)
def _computed(inputs: _Computation) -> tuple[TrialAnalysis, Decision]:
    state = inputs.state
    analysis = analyse_trial(state.protocol, state.observations)
    return analysis, decide(analysis, state.observations, state.visits)


def clear_cache() -> None:
    _computed.cache_clear()


def assess(trial: Trial) -> Assessment:
    state = state_of(trial)
    analysis, decision = _computed(_Computation(state.key, state))
    return Assessment(trial, state, analysis, decision)


def signed_content(
    assessment: Assessment, *, final: Outcome, reason: str, signer: User
) -> dict[str, Any]:
    """Everything the clinician saw and decided, as stored and hashed with the signature."""
    return {
        "trial": assessment.trial.pk,
        "protocol_fingerprint": assessment.analysis.protocol.fingerprint,
        "diary_sha256": assessment.state.diary_hash,
        "visits_sha256": assessment.state.visits_hash,
        "analysis_version": ANALYSIS_VERSION,
        "analysis": analysis_record(assessment.analysis, assessment.decision),
        "suggested": {
            "outcome": assessment.decision.outcome.value,
            "rule": assessment.decision.rule.value,
        },
        "final_outcome": final.value,
        "override_reason": reason,
        "signer": signer.pk,
    }


def _hash(content: dict[str, Any]) -> str:
    return sha256_of(content)


def signature_message(content_hash: str, signer_id: int, signed_at: dt.datetime) -> bytes:
    return f"{content_hash}|{signer_id}|{signed_at.isoformat()}".encode()


def _mac(content_hash: str, signer_id: int, signed_at: dt.datetime) -> tuple[str, str]:
    """(key id, HMAC) with the current signing key (decision 0009)."""
    ring = keys.ring(keys.Purpose.SIGNING)
    return ring.mac(signature_message(content_hash, signer_id, signed_at))


def sign(
    *,
    by: User,
    trial: Trial,
    final: Outcome,
    reason: str,
    password: str,
    request: HttpRequest,
) -> Reassessment:
    """The clinician accepts or overrides the suggested decision and signs with their password.

    The password goes through the sign-in checks: a wrong one counts toward the account's
    lock-out and is audited, and a locked account cannot sign."""
    if trial.status != TrialStatus.ACTIVE:
        raise InvalidValue("only a started trial can be reassessed")
    reauthenticate(request, by, password)
    assessment = assess(trial)
    reason = reason.strip()
    if final is not assessment.decision.outcome and not reason:
        raise FieldErrors(
            {
                "override_reason": "You chose a different decision from the suggested one: "
                "give the reason."
            }
        )
    content = signed_content(assessment, final=final, reason=reason, signer=by)
    content_hash = _hash(content)
    signed_at = timezone.now().replace(microsecond=0)
    key_id, signature = _mac(content_hash, by.pk, signed_at)
    return audited_create(
        Reassessment,
        by=by,
        reason="reassessment signed",
        clinic=trial.clinic,
        trial=trial,
        suggested_outcome=assessment.decision.outcome.value,
        suggested_rule=assessment.decision.rule.value,
        final_outcome=final.value,
        override_reason=reason,
        content=content,
        content_hash=content_hash,
        signature=signature,
        signature_key_id=key_id,
        signed_by=by,
        signed_at=signed_at,
    )


def is_valid(item: Reassessment, state: TrialState | None = None) -> bool:
    """The signature holds, the stored content is what was signed, and the trial's diary and
    visit measures are still the ones it was signed on (no analysis is recomputed)."""
    good = keys.ring(keys.Purpose.SIGNING).check(
        signature_message(item.content_hash, item.signed_by_id, item.signed_at),
        item.signature_key_id,
        item.signature,
    )
    if not good:  # a wrong MAC, or a key id the ring does not hold
        return False
    content = item.content
    if _hash(content) != item.content_hash:
        return False
    now = state or state_of(item.trial)
    return (
        content.get("protocol_fingerprint") == now.protocol.fingerprint
        and content.get("diary_sha256") == now.diary_hash
        and content.get("visits_sha256", _EMPTY) == now.visits_hash
    )


_EMPTY = _hash_of([])  # signatures made before visit measures existed covered none


def latest(trial: Trial) -> Reassessment | None:
    return trial.reassessments.order_by("-signed_at", "-pk").first()
