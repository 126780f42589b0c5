"""What the registry shows per stratum, from the summaries of every started trial."""

import dataclasses

import numpy as np
import pytest

from ldntrial.core.analysis.pooling import pool
from ldntrial.core.analysis.random_effects import HalfCauchy
from ldntrial.core.registry.analysis import PoolingSettings, analyse
from ldntrial.core.registry.flow import completers, intention_to_treat
from ldntrial.core.trial.protocol import Design
from tests.core.registry import builders
from tests.core.registry.builders import key, summary


def mixed_registry():
    """A clinic's fibromyalgia trials: open label (large change from baseline) and blinded
    (a smaller effect against placebo), with trials that ended early in both."""
    rng = np.random.default_rng(15)
    rows = builders.patients(rng, builders.normal, design=Design.OPEN_LABEL, mu=-2.0, tau=0.8, k=60)
    rows += builders.patients(
        rng, builders.normal, design=Design.BLINDED_N_OF_1, mu=-0.5, tau=0.5, k=60, first=100
    )
    rows += builders.ended_early(first=200)
    rows += builders.ended_early(first=300, design=Design.BLINDED_N_OF_1)
    return rows


def test_each_design_is_pooled_on_its_own_and_recovers_its_own_mean():
    found = {s.stratum.design: s for s in analyse(mixed_registry())}
    assert set(found) == {Design.OPEN_LABEL, Design.BLINDED_N_OF_1}
    opened, blinded = found[Design.OPEN_LABEL], found[Design.BLINDED_N_OF_1]
    assert opened.completers is not None
    assert blinded.completers is not None
    low, high = opened.completers.mean_interval
    assert low < -2.0 < high
    low, high = blinded.completers.mean_interval
    assert low < -0.5 < high
    assert "against placebo" in blinded.label
    assert "placebo response" in opened.label


def test_a_stratum_reports_the_flow_both_estimates_and_each_completer():
    rows = [s for s in mixed_registry() if s.design is Design.OPEN_LABEL]
    (stratum,) = analyse(rows)
    assert stratum.flow.started == 64
    assert stratum.flow.completers == 60
    assert stratum.completers is not None
    assert stratum.intention_to_treat is not None
    assert stratum.completers.patients == 60
    assert stratum.intention_to_treat.patients == 63  # the running trial is left out
    assert stratum.imputed == 2
    assert "no change" in stratum.itt_rule
    itt = intention_to_treat(rows)
    assert itt is not None
    expected = pool(itt.effects, itt.sds, better=stratum.better, mcid=2.0)
    assert stratum.intention_to_treat == expected
    assert [p.patient_key for p in stratum.patients] == sorted(
        s.patient_key for s in completers(rows).summaries
    )
    ana = stratum.patients[0]
    assert ana.shrunken_interval[0] < ana.shrunken_mean < ana.shrunken_interval[1]


def test_the_answer_does_not_depend_on_the_order_of_the_summaries():
    rows = mixed_registry()
    assert analyse(rows) == analyse(list(reversed(rows)))


def test_a_stratum_with_one_completer_is_counted_but_not_pooled():
    rows = [summary(patient_key=key(1)), *builders.ended_early(first=10)]
    (stratum,) = analyse(rows)
    assert stratum.flow.started == 5
    assert stratum.completers is None
    assert stratum.patients == ()
    assert any("completers: 1 patient(s)" in note for note in stratum.notes)
    assert stratum.intention_to_treat is not None  # 4 ended trials, 1 with its own outcome


def test_protocols_with_different_mcids_are_said_to_differ():
    rows = [
        summary(patient_key=key(i), mcid=2.0 if i % 2 else 1.5, effect=-1.0 - 0.1 * i)
        for i in range(10)
    ]
    (stratum,) = analyse(rows)
    assert stratum.mcids_differ
    assert stratum.mcid == pytest.approx(1.75)
    assert stratum.completers is not None
    assert stratum.completers.mcid == pytest.approx(1.75)
    assert any("different MCIDs" in note for note in stratum.notes)
    one = analyse([dataclasses.replace(r, mcid=2.0) for r in rows])[0]
    assert not one.mcids_differ
    assert one.notes == ()


def test_the_settings_choose_the_prior():
    rows = [s for s in mixed_registry() if s.design is Design.BLINDED_N_OF_1]
    (default,) = analyse(rows)
    (cauchy,) = analyse(rows, PoolingSettings(tau_prior=HalfCauchy(1.0)))
    assert cauchy.completers is not None
    assert cauchy.completers.tau_prior == HalfCauchy(1.0)
    assert cauchy.completers != default.completers
