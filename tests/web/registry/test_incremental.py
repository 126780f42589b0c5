"""Incremental: a new diary entry re-analyses only its own trial; nothing else is recomputed."""

from __future__ import annotations

import uuid

from ldntrial.core.analysis.trial import analyse_trials
from ldntrial.web.registry import collect
from ldntrial.web.registry.pseudonyms import patient_key
from tests.web.registry.conftest import complete


def analysed_batches(monkeypatch):
    """Record the trials each call of the engine analyses (the real engine still runs)."""
    calls: list[list[str]] = []
    real = analyse_trials

    def counting(trials):
        calls.append([protocol.fingerprint for protocol, _ in trials])
        return real(trials)

    monkeypatch.setattr(collect, "analyse_trials", counting)
    return calls


def test_a_new_diary_entry_re_analyses_only_its_trial(registry, monkeypatch):
    clinic = registry.world.clinic_a
    calls = analysed_batches(monkeypatch)
    first = collect.patient_summaries(clinic)
    assert len(calls) == 1
    assert len(calls[0]) == 7  # every completed trial, once
    assert collect.patient_summaries(clinic) == first
    assert len(calls) == 1  # nothing changed: nothing analysed

    trial = registry.trials[0]
    protocol = trial.protocol()
    entry = trial.diary.get(day=protocol.reassessment_date)
    entry.is_current = False
    entry.save()
    corrected = type(entry).objects.create(
        clinic=entry.clinic,
        trial=trial,
        day=entry.day,
        version=entry.version + 1,
        scores={**entry.scores, "pain": 0},
        dose_taken=True,
        side_effects=[],
        client_key=uuid.uuid4(),
        submitted_by=registry.world.dr_ode,
    )
    assert corrected.is_current
    after = collect.patient_summaries(clinic)
    assert len(calls) == 2
    assert calls[1] == [protocol.fingerprint]  # this trial alone
    patient = registry.patients[0]
    key = patient_key(clinic_id=patient.clinic_id, patient_id=patient.pk)
    changed = {s.patient_key for s in after if s not in first}
    assert changed == {key}


def test_a_trial_that_completes_is_analysed_on_its_own(registry, monkeypatch):
    clinic = registry.world.clinic_a
    calls = analysed_batches(monkeypatch)
    collect.patient_summaries(clinic)
    complete(registry.trials[-1], registry.world.dr_ode)  # the running one reaches reassessment
    collect.patient_summaries(clinic)
    assert [len(batch) for batch in calls] == [7, 1]
