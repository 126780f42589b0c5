"""What of a stratum may be shown: small cells hidden, everything else untouched."""

from __future__ import annotations

import numpy as np
import pytest

from ldntrial.core.registry.analysis import analyse
from ldntrial.core.registry.disclosure import disclose
from ldntrial.core.registry.summaries import Completion, StopReason
from ldntrial.core.registry.suppression import Suppression
from ldntrial.core.trial.drug import Timing
from tests.core.registry.builders import key, summary


def cohort(completed=12, stopped=0, running=0, morning=0, seed=1):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(completed):
        rows.append(
            summary(
                patient_key=key(i),
                effect=float(rng.normal(-1.5, 0.8)),
                effect_sd=0.5,
                timing=Timing.MORNING if i < morning else Timing.NIGHT,
            )
        )
    for i in range(stopped):
        rows.append(
            summary(
                patient_key=key(100 + i),
                status=Completion.STOPPED_EARLY,
                stop_reason=StopReason.SIDE_EFFECTS,
                effect=None,
                effect_sd=None,
            )
        )
    for i in range(running):
        rows.append(
            summary(
                patient_key=key(200 + i), status=Completion.RUNNING, effect=None, effect_sd=None
            )
        )
    (stratum,) = analyse(rows)
    return stratum


def test_a_stratum_of_fewer_than_k_started_trials_shows_nothing():
    shown = disclose(cohort(completed=4), 5)
    assert shown.hidden is Suppression.TOO_FEW_PATIENTS
    assert shown.flow is None
    assert shown.completers is None
    assert shown.patients == ()


def test_a_large_stratum_shows_its_estimates_as_analysed():
    analysis = cohort(completed=12, stopped=6)
    shown = disclose(analysis, 5)
    assert shown.hidden is Suppression.SHOWN
    assert shown.flow is not None
    assert shown.completers == analysis.completers
    assert shown.intention_to_treat == analysis.intention_to_treat
    assert shown.patients == analysis.patients
    assert shown.flow.started.count == 18
    assert shown.flow.completed.count == 12
    assert shown.flow.stopped_early[0].count == 6


def test_a_small_flow_cell_is_hidden_with_a_neighbour_so_it_cannot_be_recovered():
    shown = disclose(cohort(completed=12, stopped=2), 5)
    assert shown.flow is not None
    assert shown.flow.started.count == 14
    assert shown.flow.stopped_early[0].hidden
    assert shown.flow.completed.hidden  # else 14 - 12 gives the 2 away
    visible = [c.count for c in shown.flow.cells if not c.hidden]
    assert all(n == 0 for n in visible)


def test_fewer_than_k_outcomes_hide_the_pooled_and_per_patient_estimates():
    shown = disclose(cohort(completed=4, running=8), 5)
    assert shown.hidden is Suppression.SHOWN
    assert shown.completers is None
    assert shown.patients == ()
    assert shown.by_timing == ()
    assert any("not shown" in note for note in shown.notes)


def test_a_small_subgroup_is_hidden_and_its_estimate_with_it():
    shown = disclose(cohort(completed=12, morning=3), 5)
    morning = next(g for g in shown.by_timing if g.label == Timing.MORNING.phrase)
    night = next(g for g in shown.by_timing if g.label == Timing.NIGHT.phrase)
    assert (morning.patients, morning.estimate) == (None, None)
    assert morning.suppression is Suppression.TOO_FEW_PATIENTS
    assert night.patients == 9
    assert night.estimate is not None


def test_side_effect_proportions_follow_the_proportion_rule():
    shown = disclose(cohort(completed=12), 5)
    for item in shown.side_effects:
        i = item.incidence
        hidden = i.patients_at_risk < 5 or 0 < i.patients_with < 5
        hidden = hidden or 0 < i.patients_at_risk - i.patients_with < 5
        assert item.suppression.hidden is hidden
        assert (item.shown is None) is hidden


def test_k_must_be_a_whole_number_from_1():
    with pytest.raises(ValueError, match="whole number from 1"):
        disclose(cohort(), 0)
