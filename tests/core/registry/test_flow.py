"""Every started trial counts: the flow adds up, and intention to treat sits beside completers."""

import numpy as np
import pytest

from ldntrial.core.analysis.pooling import pool
from ldntrial.core.errors import InvalidValue
from ldntrial.core.registry.flow import Flow, completers, intention_to_treat
from ldntrial.core.registry.summaries import Completion, StopReason
from ldntrial.core.trial.protocol import Design
from tests.core.registry import builders
from tests.core.registry.builders import key, summary


def registry():
    rng = np.random.default_rng(10)
    done = builders.patients(rng, builders.normal, design=Design.OPEN_LABEL, mu=-1.5, tau=0.8, k=20)
    no_outcome = summary(patient_key=key(90), effect=None, effect_sd=None)  # completed, no data
    return [*done, no_outcome, *builders.ended_early(first=100)]


def test_the_flow_counts_every_started_trial_and_adds_up():
    flow = Flow.of(registry())
    assert flow.started == 25
    assert flow.completed == 21
    assert flow.completed_without_outcome == 1
    assert flow.completers == 20
    assert dict(flow.stopped_early) == {
        StopReason.SIDE_EFFECTS: 1,
        StopReason.NO_BENEFIT: 1,
        StopReason.PATIENT_CHOICE: 0,
        StopReason.CLINICIAN_DECISION: 0,
        StopReason.OTHER: 0,
    }
    assert flow.stopped_early_total == 2
    assert flow.lost_to_follow_up == 1
    assert flow.running == 1
    assert flow.ended == 24
    total = flow.completed + flow.stopped_early_total + flow.lost_to_follow_up + flow.running
    assert total == flow.started


def test_a_flow_that_does_not_add_up_is_refused():
    reasons = tuple((reason, 0) for reason in StopReason)
    with pytest.raises(InvalidValue, match="does not add up: 10 started but 9"):
        Flow(10, 8, 0, reasons, 1, 0)
    with pytest.raises(InvalidValue, match="every stop reason once"):
        Flow(10, 10, 0, reasons[:2], 0, 0)


def test_completers_are_the_completed_trials_with_an_outcome():
    done = completers(registry())
    assert len(done) == 20
    assert all(s.status is Completion.COMPLETED and s.has_outcome for s in done.summaries)
    assert done.imputed == 0


def test_intention_to_treat_counts_every_ended_trial_and_missing_outcomes_as_no_change():
    rows = registry()
    done = completers(rows)
    itt = intention_to_treat(rows)
    assert itt is not None
    assert len(itt) == 24  # every trial but the one still running
    assert itt.imputed == 3  # completed without data, stopped for side effects, lost
    stand_in = float(np.median(done.sds))
    rows_of = zip(itt.summaries, itt.effects, itt.sds, strict=True)
    by_key = {s.patient_key: (e, sd) for s, e, sd in rows_of}
    assert by_key[key(90)] == (0.0, stand_in)  # completed without an outcome
    assert by_key[key(100)] == (0.0, stand_in)  # stopped early for side effects
    assert by_key[key(101)] == (0.3, 0.9)  # stopped early with its own outcome: kept
    assert by_key[key(102)] == (0.0, stand_in)  # lost to follow-up
    assert key(103) not in by_key  # still running


def test_intention_to_treat_is_nearer_no_change_than_the_completers_estimate():
    rows = registry()
    done, itt = completers(rows), intention_to_treat(rows)
    assert itt is not None
    on_completers = pool(done.effects, done.sds, better=done.summaries[0].better, mcid=2.0)
    on_all = pool(itt.effects, itt.sds, better=done.summaries[0].better, mcid=2.0)
    assert on_completers.mean < on_all.mean < 0
    assert on_all.responder_share < on_completers.responder_share


def test_without_a_completer_there_is_no_intention_to_treat_estimate():
    assert intention_to_treat(builders.ended_early(first=0)) is None
