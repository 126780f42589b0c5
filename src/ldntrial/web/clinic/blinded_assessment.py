"""Reassessment of a blinded n-of-1 trial in the web app: LDN against the identical placebo, once
the trial is unblinded.

Before the unblinding nothing here analyses anything: the analysis needs the allocation, which
only the pharmacy can read until then (docs/decisions/0033), so :func:`assess_blinded` answers
None and signing is refused with :data:`STILL_BLINDED`.

After it, the analysis is ``analyse_blinded(protocol, allocation, observations, guesses)`` with
the allocation the unblinding revealed and the patient's end-of-period guesses, and the decision
follows the same rules as an open-label trial, judged against placebo (core.analysis.decision).
As for open-label trials the result is computed once per state (``functools.lru_cache``,
docs/decisions/0018); the key adds to the diary and visit hashes a hash of the unblinding (which
allocation, when, how) and of the period answers, so a cached result is never stale.

Only answers given before the unblinding count as blind guesses: one given after it is not a
test of the blinding, so it enters neither the blinding check nor the hash.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ldntrial.core.analysis.blinded import BlindedAnalysis, analyse_blinded
from ldntrial.core.analysis.blinded_safety import Guess
from ldntrial.core.analysis.decision import Decision, decide
from ldntrial.core.analysis.record import blinded_analysis_record
from ldntrial.core.analysis.trial import Observation
from ldntrial.core.canonical import sha256_of
from ldntrial.core.trial.randomisation import Allocation
from ldntrial.core.trial.visit_measures import Pgic
from ldntrial.web.clinic.blinded_models import PeriodReport, Unblinding
from ldntrial.web.clinic.models import Trial
from ldntrial.web.clinic.trial_state import TrialState, state_of

CACHE_SIZE = 128

STILL_BLINDED = (
    "This trial is still blinded: its analysis compares the LDN periods with the placebo "
    "periods, and which were which is concealed until the trial is unblinded. Unblind it first "
    "(planned, after the last period; or in an emergency), then review and sign."
)

REPORT_STILL_BLINDED = (
    "The report of a blinded trial shows which periods were LDN and which were placebo: it can "
    "only be made once the trial is unblinded. Unblind it first."
)


@dataclass(frozen=True)
class PeriodAnswer:
    """The patient's answers at the end of one period, given before the unblinding."""

    guess: Guess
    pgic: Pgic


@dataclass(frozen=True)
class BlindedState:
    """What the analysis of an unblinded trial depends on, beyond its diary and visits."""

    trial_state: TrialState
    allocation: Allocation
    answers: Mapping[int, PeriodAnswer]
    blinded_hash: str  # the unblinding and the answers

    @property
    def key(self) -> tuple[str, ...]:
        return (*self.trial_state.key, "blinded", self.blinded_hash)

    @property
    def guesses(self) -> dict[int, Guess]:
        return {n: a.guess for n, a in self.answers.items()}


@dataclass(frozen=True)
class BlindedAssessment:
    trial: Trial
    state: TrialState
    blinded: BlindedState
    unblinding: Unblinding
    analysis: BlindedAnalysis
    decision: Decision

    @property
    def observations(self) -> tuple[Observation, ...]:
        return self.state.observations

    @property
    def unblinded_early(self) -> bool:
        return self.unblinding.is_early

    def signed_record(self) -> dict[str, Any]:
        """The analysis part of the signed content: the blinded record, the decision, the
        unblinding it rests on and the hash that ties them to the trial's rows."""
        u = self.unblinding
        return {
            "analysis": blinded_analysis_record(self.analysis, self.decision),
            "unblinding": {
                "kind": u.kind,
                "early": u.is_early,
                "reason": u.stated_reason,
                "at": u.unblinded_at.isoformat(),
                "by": u.unblinded_by_id,
            },
            "blinded_sha256": self.blinded.blinded_hash,
        }


def _answers_before(unblinding: Unblinding) -> dict[int, PeriodAnswer]:
    rows = PeriodReport.objects.filter(
        trial_id=unblinding.trial_id, submitted_at__lte=unblinding.unblinded_at
    ).order_by("period")
    return {r.period: PeriodAnswer(Guess(r.guess), Pgic(r.pgic)) for r in rows}


def _hash(unblinding: Unblinding, answers: Mapping[int, PeriodAnswer]) -> str:
    return sha256_of(
        {
            "unblinding": [
                unblinding.pk,
                unblinding.kind,
                unblinding.unblinded_at.isoformat(),
                unblinding.allocation,
            ],
            "answers": [[n, a.guess.value, a.pgic.value] for n, a in sorted(answers.items())],
        }
    )


def _unblinding(trial: Trial) -> Unblinding | None:
    return Unblinding.objects.filter(trial=trial).first()


def blinded_hash(trial: Trial) -> str | None:
    """The hash of the trial's unblinding and blind answers (None while still blinded)."""
    unblinding = _unblinding(trial)
    if unblinding is None:
        return None
    return _hash(unblinding, _answers_before(unblinding))


@dataclass(frozen=True)
class _Computation:
    key: tuple[str, ...]
    state: BlindedState = field(compare=False, hash=False)


@functools.lru_cache(maxsize=CACHE_SIZE)
def _computed(inputs: _Computation) -> tuple[BlindedAnalysis, Decision]:
    s = inputs.state
    t = s.trial_state
    analysis = analyse_blinded(t.protocol, s.allocation, t.observations, s.guesses)
    return analysis, decide(analysis, t.observations, t.visits)


def clear_cache() -> None:
    _computed.cache_clear()


def assess_blinded(trial: Trial) -> BlindedAssessment | None:
    """The analysis of an unblinded blinded trial and its suggested decision; None while the
    allocation is still concealed."""
    unblinding = _unblinding(trial)
    if unblinding is None:
        return None
    state = state_of(trial)
    answers = _answers_before(unblinding)
    blinded = BlindedState(
        state,
        Allocation.from_content(unblinding.allocation),
        answers,
        _hash(unblinding, answers),
    )
    analysis, decision = _computed(_Computation(blinded.key, blinded))
    return BlindedAssessment(trial, state, blinded, unblinding, analysis, decision)
