"""Reassessment in the web app: the analysis of a trial's diary, the decision and its signature."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ldntrial.core.analysis.decision import Decision, Outcome, decide
from ldntrial.core.analysis.trial import Observation, TrialAnalysis, analyse_trial
from ldntrial.core.errors import FieldErrors, InvalidValue
from ldntrial.web.accounts.models import User
from ldntrial.web.audit.chain import record, snapshot
from ldntrial.web.audit.models import Action
from ldntrial.web.clinic.models import DiaryEntry, Reassessment, Trial, TrialStatus


@dataclass(frozen=True)
class Assessment:
    trial: Trial
    observations: list[Observation]
    analysis: TrialAnalysis
    decision: Decision
    diary_hash: str


def observations_of(trial: Trial) -> tuple[list[Observation], str]:
    """The current diary as core observations, and a hash of exactly what was analysed."""
    entries = list(DiaryEntry.objects.filter(trial=trial, is_current=True).order_by("day"))
    rows = [
        Observation(
            e.day,
            {k: float(v) for k, v in e.scores.items()},
            e.dose_taken,
            frozenset(e.side_effects),
        )
        for e in entries
    ]
    canonical = json.dumps(
        [
            [e.day.isoformat(), e.version, e.scores, e.dose_taken, sorted(e.side_effects)]
            for e in entries
        ],
        sort_keys=True,
        separators=(",", ":"),
    )
    return rows, hashlib.sha256(canonical.encode()).hexdigest()


def assess(trial: Trial) -> Assessment:
    protocol = trial.protocol()
    rows, diary_hash = observations_of(trial)
    analysis = analyse_trial(protocol, rows)
    return Assessment(trial, rows, analysis, decide(analysis, rows), diary_hash)


def signed_content(
    assessment: Assessment, *, final: Outcome, reason: str, signer: User
) -> dict[str, Any]:
    primary = assessment.analysis.primary

    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 4)

    return {
        "trial": assessment.trial.pk,
        "protocol_fingerprint": assessment.analysis.protocol.fingerprint,
        "diary_sha256": assessment.diary_hash,
        "primary": {
            "metric": primary.metric.key,
            "effect_mean": r(primary.effect_mean),
            "interval_95": [r(x) for x in primary.interval] if primary.interval else None,
            "p_better_than_mcid": r(primary.p_better_than_mcid),
        },
        "suggested": {
            "outcome": assessment.decision.outcome.value,
            "rule": assessment.decision.rule.value,
        },
        "final_outcome": final.value,
        "override_reason": reason,
        "signer": signer.pk,
    }


def _hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _mac(content_hash: str, signer_id: int, signed_at: dt.datetime) -> str:
    message = f"{content_hash}|{signer_id}|{signed_at.isoformat()}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def sign(*, by: User, trial: Trial, final: Outcome, reason: str, password: str) -> Reassessment:
    """The clinician accepts or overrides the suggested decision and signs with their password."""
    if trial.status != TrialStatus.ACTIVE:
        raise InvalidValue("only a started trial can be reassessed")
    if not by.check_password(password):
        raise FieldErrors({"password": "That is not your password: signing needs it again."})
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
    with transaction.atomic():
        item = Reassessment.objects.create(
            clinic=trial.clinic,
            trial=trial,
            suggested_outcome=assessment.decision.outcome.value,
            suggested_rule=assessment.decision.rule.value,
            final_outcome=final.value,
            override_reason=reason,
            content=content,
            content_hash=content_hash,
            signature=_mac(content_hash, by.pk, signed_at),
            signed_by=by,
            signed_at=signed_at,
        )
        record(
            by=by,
            action=Action.CREATE,
            instance=item,
            clinic_id=trial.clinic_id,
            patient_id=trial.patient_id,
            after=snapshot(item),
            reason="reassessment signed",
        )
    return item


def is_valid(item: Reassessment) -> bool:
    """The signature holds, and the data it signed are still the data we have."""
    if not hmac.compare_digest(
        item.signature, _mac(item.content_hash, item.signed_by_id, item.signed_at)
    ):
        return False
    if _hash(item.content) != item.content_hash:
        return False
    current = signed_content(
        assess(item.trial),
        final=Outcome(item.final_outcome),
        reason=item.override_reason,
        signer=item.signed_by,
    )
    return _hash(current) == item.content_hash


def latest(trial: Trial) -> Reassessment | None:
    return trial.reassessments.order_by("-signed_at", "-pk").first()
