"""How the registry reads each started trial's state (web/registry/collect.completion_of)."""

from __future__ import annotations

import datetime as dt

import time_machine

from ldntrial.core.registry.summaries import Completion, StopReason
from ldntrial.web.clinic.models import Reassessment, TrialStatus
from ldntrial.web.registry import collect


def test_a_decision_on_enough_data_completes_a_trial_whatever_it_decided(registry):
    stopped = registry.trials[0]
    Reassessment.objects.filter(trial=stopped).update(final_outcome="stop")
    stopped.status = TrialStatus.STOPPED
    stopped.save()
    by_trial = {r.trial_id: r for r in collect.records(None)}
    assert by_trial[stopped.pk].status is Completion.COMPLETED
    assert by_trial[stopped.pk].stop_reason is None


def test_a_stop_signed_on_insufficient_data_counts_as_stopped_early(registry):
    stopped = registry.trials[1]
    Reassessment.objects.filter(trial=stopped).update(
        final_outcome="stop", data_override="side effects: patient could not go on"
    )
    stopped.status = TrialStatus.STOPPED
    stopped.save()
    by_trial = {r.trial_id: r for r in collect.records(None)}
    assert by_trial[stopped.pk].status is Completion.STOPPED_EARLY
    assert by_trial[stopped.pk].stop_reason is StopReason.CLINICIAN_DECISION


def test_a_started_trial_without_a_decision_is_running(registry):
    running = registry.trials[-1]
    by_trial = {r.trial_id: r for r in collect.records(None)}
    assert by_trial[running.pk].status is Completion.RUNNING
    ours = [by_trial[t.pk] for t in registry.trials]
    counts = {c: sum(r.status is c for r in ours) for c in Completion}
    assert counts[Completion.COMPLETED] == 7
    assert counts[Completion.RUNNING] == 1


def test_a_trial_undecided_a_month_after_its_reassessment_is_lost_to_follow_up(registry):
    running = registry.trials[-1]
    due = running.protocol().reassessment_date
    later = dt.datetime.combine(due + dt.timedelta(days=40), dt.time(12), tzinfo=dt.UTC)
    with time_machine.travel(later, tick=False):
        by_trial = {r.trial_id: r for r in collect.records(None)}
    assert by_trial[running.pk].status is Completion.LOST_TO_FOLLOW_UP
