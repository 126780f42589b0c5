"""Dose and timing compared: bands, subgroups, the meta-regression on summaries, side effects."""

from decimal import Decimal

import numpy as np
import pytest

from ldntrial.core.analysis.proportions import exact_interval, wilson_interval
from ldntrial.core.doses import Dose
from ldntrial.core.errors import InvalidValue
from ldntrial.core.registry.comparisons import (
    ALL_PATIENTS,
    MORNING,
    PER_MG,
    by_dose_band,
    by_timing,
    dose_bands,
    dose_timing,
    side_effect_incidence,
)
from ldntrial.core.registry.flow import completers
from ldntrial.core.trial.diary import SideEffect
from ldntrial.core.trial.drug import Timing
from ldntrial.core.trial.instruments import Direction
from tests.core.registry.builders import key, summary


@pytest.mark.parametrize(
    ("dose", "band"),
    [
        ("0.5", "below 1.5 mg"),
        ("1.5", "1.5 to below 4.5 mg"),
        ("4.4", "1.5 to below 4.5 mg"),
        ("4.5", "4.5 mg or more"),
        ("6", "4.5 mg or more"),
    ],
)
def test_dose_bands_put_each_dose_in_one_band(dose, band):
    bands = dose_bands()
    found = [b.label for b in bands if b.contains(Dose(dose))]
    assert found == [band]


def test_band_edges_must_increase():
    with pytest.raises(InvalidValue, match="increasing"):
        dose_bands([Decimal("4.5"), Decimal("1.5")])


def registry(rng, n=600, *, per_mg=-0.3, morning=0.4, better=Direction.LOWER):
    rows = []
    for i in range(n):
        dose = rng.choice(["1.5", "3", "4.5"])
        timing = Timing.MORNING if rng.random() < 0.4 else Timing.NIGHT
        theta = -1.2 + per_mg * (float(dose) - 4.5) + morning * (timing is Timing.MORNING)
        theta += 0.5 * rng.standard_normal()
        sd = rng.uniform(0.3, 0.8)
        rows.append(
            summary(
                patient_key=key(i),
                better=better,
                effect=float(theta + sd * rng.standard_normal()),
                effect_sd=float(sd),
                dose=Dose(dose),
                timing=timing,
            )
        )
    return rows


def test_the_meta_regression_on_summaries_recovers_dose_and_timing():
    done = completers(registry(np.random.default_rng(1)))
    model = dose_timing(done, better=Direction.LOWER)
    assert model.per_mg is not None
    assert model.morning_minus_night is not None
    assert model.per_mg.interval[0] < -0.3 < model.per_mg.interval[1]
    assert model.morning_minus_night.interval[0] < 0.4 < model.morning_minus_night.interval[1]
    more_per_mg, more_morning = model.p_more_benefit(PER_MG), model.p_more_benefit(MORNING)
    assert more_per_mg is not None
    assert more_morning is not None
    assert more_per_mg > 0.99  # for pain, a negative slope is more benefit
    assert more_morning < 0.01  # morning goes with less benefit here
    assert "4.5 mg taken at night" in model.note


def test_a_dose_nobody_varied_is_left_out_and_said_so():
    rows = [r for r in registry(np.random.default_rng(2), 200) if r.dose == Dose("3")]
    model = dose_timing(completers(rows), better=Direction.LOWER)
    assert model.per_mg is None
    assert model.morning_minus_night is not None
    assert "same dose" in model.note


def test_with_too_few_patients_there_is_no_meta_regression():
    rows = registry(np.random.default_rng(3), 2)
    model = dose_timing(completers(rows), better=Direction.LOWER)
    assert model.regression is None
    assert "2 patient(s)" in model.note


def test_each_timing_and_dose_band_is_pooled_on_its_own():
    done = completers(registry(np.random.default_rng(4)))
    timings = {g.label: g for g in by_timing(done, better=Direction.LOWER, mcid=2.0)}
    assert set(timings) == {"at night", "in the morning"}
    assert sum(g.patients for g in timings.values()) == len(done)
    morning, night = timings["in the morning"].estimate, timings["at night"].estimate
    assert morning is not None
    assert night is not None
    assert morning.mean > night.mean
    bands = {g.label: g for g in by_dose_band(done, better=Direction.LOWER, mcid=2.0)}
    assert bands["below 1.5 mg"].patients == 0
    assert bands["below 1.5 mg"].estimate is None
    high, middle = bands["4.5 mg or more"].estimate, bands["1.5 to below 4.5 mg"].estimate
    assert high is not None
    assert middle is not None
    assert high.mean < middle.mean


def test_side_effect_incidence_counts_patients_not_days():
    rows = [
        summary(patient_key=key(0), side_effects=((SideEffect.VIVID_DREAMS, 40),)),
        summary(patient_key=key(1), side_effects=((SideEffect.VIVID_DREAMS, 1),)),
        summary(patient_key=key(2), timing=Timing.MORNING, dose=Dose("1.5")),
        summary(
            patient_key=key(3), timing=Timing.MORNING, side_effects=((SideEffect.INSOMNIA, None),)
        ),
        summary(patient_key=key(4), diary_days=0),  # never filled a diary: not at risk
        summary(patient_key=key(5), dose=None, timing=None, diary_days=10),  # never dosed
    ]
    found = {(i.side_effect, i.group): i for i in side_effect_incidence(rows)}
    dreams = found[(SideEffect.VIVID_DREAMS, ALL_PATIENTS)]
    assert (dreams.patients_with, dreams.patients_at_risk) == (2, 5)
    assert dreams.proportion == pytest.approx(0.4)
    assert dreams.wilson == wilson_interval(2, 5)
    assert dreams.exact == exact_interval(2, 5)
    night = found[(SideEffect.VIVID_DREAMS, "at night")]
    assert (night.patients_with, night.patients_at_risk) == (2, 2)
    morning = found[(SideEffect.INSOMNIA, "in the morning")]
    assert (morning.patients_with, morning.patients_at_risk) == (1, 2)
    low_dose = found[(SideEffect.VIVID_DREAMS, "1.5 to below 4.5 mg")]
    assert (low_dose.patients_with, low_dose.patients_at_risk) == (0, 1)
    assert (SideEffect.NAUSEA, "below 1.5 mg") not in found  # nobody at risk: no row
