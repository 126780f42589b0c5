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

What the analysis depends on (``TrialState``, ``state_of``) is in ``clinic.trial_state``. A
blinded trial is assessed by ``clinic.blinded_assessment`` once it is unblinded; signing goes
through the same ``sign`` (``current`` picks the assessment, and refuses while the allocation
is concealed), and its signature also covers the unblinding and the period answers.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from ldntrial.core.analysis.decision import Decision, Outcome, decide
from ldntrial.core.analysis.record import analysis_record
from ldntrial.core.analysis.trial import Observation, TrialAnalysis, analyse_trial
from ldntrial.core.canonical import sha256_of
from ldntrial.core.errors import FieldErrors, InvalidValue
from ldntrial.core.lifecycle import TrialState as Lifecycle
from ldntrial.core.lifecycle import check_closure, state_after
from ldntrial.web import keys
from ldntrial.web.accounts.models import User
from ldntrial.web.accounts.security import reauthenticate
from ldntrial.web.audit.chain import audited_change, audited_create
from ldntrial.web.clinic.models import Reassessment, Trial, TrialStatus
from ldntrial.web.clinic.trial_state import (
    ANALYSIS_VERSION,
    DiaryRow,
    TrialState,
    diary_state,
    hash_of_rows,
    state_of,
)

if TYPE_CHECKING:
    from ldntrial.web.clinic.blinded_assessment import BlindedAssessment

__all__ = ["ANALYSIS_VERSION", "DiaryRow", "TrialState", "diary_state", "state_of"]

CACHE_SIZE = 256


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

    def signed_record(self) -> dict[str, Any]:
        """The analysis part of the signed content."""
        return {"analysis": analysis_record(self.analysis, self.decision)}


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


def current(trial: Trial) -> Assessment | BlindedAssessment:
    """The assessment a signature covers: open label, or blinded once unblinded (a blinded
    trial cannot be analysed, so not signed, while its allocation is concealed)."""
    from ldntrial.web.clinic import blinded_assessment

    if not trial.protocol().is_blinded:
        return assess(trial)
    found = blinded_assessment.assess_blinded(trial)
    if found is None:
        raise InvalidValue(blinded_assessment.STILL_BLINDED)
    return found


def signed_content(
    assessment: Assessment | BlindedAssessment, *, final: Outcome, reason: str, signer: User
) -> dict[str, Any]:
    """Everything the clinician saw and decided, as stored and hashed with the signature."""
    return {
        "trial": assessment.trial.pk,
        "protocol_fingerprint": assessment.analysis.protocol.fingerprint,
        "diary_sha256": assessment.state.diary_hash,
        "visits_sha256": assessment.state.visits_hash,
        "analysis_version": ANALYSIS_VERSION,
        **assessment.signed_record(),
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
    follow_up_on: dt.date | None = None,
    stop_instruction: str = "",
    data_override: str = "",
) -> Reassessment:
    """The clinician accepts or overrides the suggested decision and signs with their password.

    One signed decision per reassessment (per protocol version), enforced by the database; the
    decision moves the trial (ldntrial.core.lifecycle). The password goes through the sign-in
    checks: a wrong one counts toward the account's lock-out and is audited, and a locked
    account cannot sign."""
    if trial.status != TrialStatus.ACTIVE:
        raise InvalidValue(
            "this reassessment is signed already: a change is an addendum with its own reason"
        )
    return _sign(
        by=by,
        trial=trial,
        final=final,
        reason=reason,
        password=password,
        request=request,
        closure_fields=(follow_up_on, stop_instruction, data_override),
        addendum_to=None,
    )


def sign_addendum(
    *,
    by: User,
    trial: Trial,
    final: Outcome,
    reason: str,
    password: str,
    request: HttpRequest,
    follow_up_on: dt.date | None = None,
    stop_instruction: str = "",
    data_override: str = "",
) -> Reassessment:
    """A later change to a signed decision: its own reason and signature; the original stays."""
    original = decision_of(trial)
    if original is None:
        raise InvalidValue("there is no signed decision yet: sign the reassessment first")
    if not reason.strip():
        raise FieldErrors({"override_reason": "An addendum needs its reason."})
    return _sign(
        by=by,
        trial=trial,
        final=final,
        reason=reason,
        password=password,
        request=request,
        closure_fields=(follow_up_on, stop_instruction, data_override),
        addendum_to=original,
    )


def _sign(
    *,
    by: User,
    trial: Trial,
    final: Outcome,
    reason: str,
    password: str,
    request: HttpRequest,
    closure_fields: tuple[dt.date | None, str, str],
    addendum_to: Reassessment | None,
) -> Reassessment:
    from ldntrial.web.clinic.queries import today_for
    from ldntrial.web.clinic.services import _trial_snapshot

    assessment = current(trial)  # refused before the password is checked while still blinded
    reauthenticate(request, by, password)
    reason = reason.strip()
    if final is not assessment.decision.outcome and not reason:
        raise FieldErrors(
            {
                "override_reason": "You chose a different decision from the suggested one: "
                "give the reason."
            }
        )
    today = today_for(trial.patient)
    follow_up_on, stop_instruction, data_override = closure_fields
    closure = check_closure(
        outcome=final,
        rule=assessment.decision.rule,
        today=today,
        follow_up_on=follow_up_on,
        stop_instruction=stop_instruction,
        data_override=data_override,
    )
    content = signed_content(assessment, final=final, reason=reason, signer=by)
    content |= {
        "protocol_version": trial.version,
        "diary_until": today.isoformat(),
        "closure": closure.as_json(),
        "addendum_to": None if addendum_to is None else addendum_to.pk,
    }
    content_hash = _hash(content)
    signed_at = timezone.now().replace(microsecond=0)
    key_id, signature = _mac(content_hash, by.pk, signed_at)
    state = state_after(final)
    try:
        with transaction.atomic():
            locked = Trial.objects.select_for_update().get(pk=trial.pk)
            if locked.version != trial.version:
                raise InvalidValue("the protocol was amended meanwhile: review the report again")
            taken = Reassessment.objects.filter(
                trial=locked, protocol_version=locked.version, addendum_to__isnull=True
            )
            if addendum_to is None and taken.exists():
                raise InvalidValue(_SIGNED_ALREADY)
            item = audited_create(
                Reassessment,
                by=by,
                reason="reassessment addendum signed" if addendum_to else "reassessment signed",
                clinic=trial.clinic,
                trial=locked,
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
                protocol_version=locked.version,
                addendum_to=addendum_to,
                follow_up_on=closure.follow_up_on,
                stop_instruction=closure.stop_instruction,
                data_override=closure.data_override,
            )
            with audited_change(
                locked, by=by, state=_trial_snapshot, reason=f"decision signed: {final.value}"
            ):
                locked.status = state.value
                locked.follow_up_on = closure.follow_up_on
                locked.stop_instruction = closure.stop_instruction
                locked.closed_at = None if state is Lifecycle.ACTIVE else timezone.now()
    except IntegrityError:
        # The unique constraint answered a simultaneous signature (or a second active trial).
        raise InvalidValue(_SIGNED_ALREADY) from None
    trial.refresh_from_db()
    return item


_SIGNED_ALREADY = (
    "this reassessment was signed already (perhaps just now, by another submission): a change "
    "is an addendum with its own reason"
)


def decision_of(trial: Trial) -> Reassessment | None:
    """The latest signed decision (not an addendum) of the trial."""
    return (
        trial.reassessments.filter(addendum_to__isnull=True)
        .order_by("-protocol_version", "-signed_at", "-pk")
        .first()
    )


def history(trial: Trial) -> list[Reassessment]:
    """Every signed decision and addendum, oldest first."""
    return list(trial.reassessments.select_related("signed_by").order_by("signed_at", "pk"))


def signed_for_version(trial: Trial) -> bool:
    """Whether the reassessment of the protocol version in effect is signed."""
    return trial.reassessments.filter(
        protocol_version=trial.version, addendum_to__isnull=True
    ).exists()


def is_valid(item: Reassessment, state: TrialState | None = None) -> bool:
    """The signature holds, the stored content is what was signed, and the trial's protocol
    version, diary (up to the day signed) and visit measures are still the ones it was signed
    on (no analysis is recomputed)."""
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
    until = content.get("diary_until")
    if until is not None or state is None:
        diary_until = dt.date.fromisoformat(until) if until else None
        state = state_of(item.trial, diary_until=diary_until)
    return (
        content.get("protocol_fingerprint") == _fingerprint_of(item)
        and content.get("diary_sha256") == state.diary_hash
        and content.get("visits_sha256", _EMPTY) == state.visits_hash
        and _blinded_holds(item)
    )


def _blinded_holds(item: Reassessment) -> bool:
    """A blinded decision covers the unblinding and the period answers too."""
    signed = item.content.get("blinded_sha256")
    if signed is None:
        return True
    from ldntrial.web.clinic.blinded_assessment import blinded_hash

    return signed == blinded_hash(item.trial)


def _fingerprint_of(item: Reassessment) -> str:
    """The fingerprint of the protocol version the decision was signed on."""
    if item.protocol_version == 0:
        return item.trial.original_protocol().fingerprint
    amendment = item.trial.amendments.filter(version=item.protocol_version).first()
    return "" if amendment is None else amendment.fingerprint


_EMPTY = hash_of_rows([])  # signatures made before visit measures existed covered none


def latest(trial: Trial) -> Reassessment | None:
    """The decision in force: the latest signed decision or addendum."""
    return trial.reassessments.order_by("-signed_at", "-pk").first()
