"""Per-patient summaries: what they hold, their canonical form, and what they refuse."""

import json

import pytest

from ldntrial.core.canonical import canonical_json
from ldntrial.core.doses import Dose
from ldntrial.core.errors import InvalidValue
from ldntrial.core.registry.summaries import (
    Cohort,
    Completion,
    PatientSummary,
    StopReason,
    Stratum,
    cohorts,
)
from ldntrial.core.trial.diary import SideEffect
from ldntrial.core.trial.protocol import Design
from tests.core.registry.builders import ANA, BEA, summary


def test_a_summary_survives_its_canonical_json_unchanged():
    ana = summary(
        dose=Dose("1.5"),
        side_effects=((SideEffect.VIVID_DREAMS, 4), (SideEffect.HEADACHE, None)),
    )
    text = canonical_json(ana.as_json())
    back = PatientSummary.from_json(json.loads(text))
    assert back == ana
    assert canonical_json(back.as_json()) == text


def test_the_canonical_form_holds_no_name_contact_date_or_free_text():
    fields = set(summary().as_json())
    assert fields == {
        "schema", "patient_key", "protocol_fingerprint", "condition", "design", "metric",
        "better", "mcid", "status", "stop_reason", "effect", "effect_sd", "dose_mg", "timing",
        "diary_days", "side_effects",
    }  # fmt: skip


def test_whole_numbers_have_one_json_form():
    assert summary(mcid=2).as_json()["mcid"] == 2.0
    assert canonical_json(summary(mcid=2).as_json()) == canonical_json(summary().as_json())


def test_side_effects_are_kept_in_one_order():
    one = summary(side_effects=((SideEffect.NAUSEA, 2), (SideEffect.HEADACHE, 1)))
    two = summary(side_effects=((SideEffect.HEADACHE, 1), (SideEffect.NAUSEA, 2)))
    assert one == two


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"patient_key": "Ana Smith"}, "pseudonym"),
        ({"patient_key": "short"}, "pseudonym"),
        ({"protocol_fingerprint": "abc"}, "64 hex digits"),
        ({"condition": "Fibromyalgia!"}, "condition must be a key"),
        ({"mcid": 0.0}, "positive number of points"),
        ({"status": Completion.STOPPED_EARLY}, "needs a stop_reason"),
        ({"stop_reason": StopReason.OTHER}, "needs a stop_reason"),
        ({"effect_sd": None}, "together, or neither"),
        ({"effect_sd": 0.0}, "effect_sd must be between"),
        ({"effect": float("inf")}, "finite number"),
        ({"status": Completion.RUNNING}, "running trial has no outcome"),
        ({"timing": None}, "dose reached and its timing together"),
        ({"diary_days": -1}, "diary_days"),
        ({"side_effects": ((SideEffect.NAUSEA, 0),)}, "whole number from 1"),
        ({"side_effects": ((SideEffect.NAUSEA, 90),)}, "more days than the diary"),
        ({"side_effects": ((SideEffect.NAUSEA, 1), (SideEffect.NAUSEA, 2))}, "once"),
    ],
)
def test_a_summary_that_cannot_be_true_is_refused(changes, message):
    with pytest.raises(InvalidValue, match=message):
        summary(**changes)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda raw: raw.pop("effect"), "missing field"),
        (lambda raw: raw.update(name="Ana"), "unknown field"),
        (lambda raw: raw.update(schema="other/1"), "declare schema"),
        (lambda raw: raw.update(design="crossover"), "not a valid Design"),
        (lambda raw: raw.update(side_effects={"itching": 2}), "not a valid SideEffect"),
        (lambda raw: raw.update(dose_mg=500), "not a low dose"),
    ],
)
def test_a_summary_file_that_is_wrong_says_what_is_wrong(edit, message):
    raw = summary().as_json()
    edit(raw)
    with pytest.raises(InvalidValue, match=message):
        PatientSummary.from_json(raw)


def test_blinded_and_open_label_summaries_fall_in_different_strata():
    ana = summary(patient_key=ANA, design=Design.OPEN_LABEL)
    bea = summary(patient_key=BEA, design=Design.BLINDED_N_OF_1)
    groups = cohorts([ana, bea])
    assert [len(g) for g in groups] == [1, 1]
    assert {g.stratum.design for g in groups} == {Design.OPEN_LABEL, Design.BLINDED_N_OF_1}
    blinded = next(g for g in groups if g.stratum.design is Design.BLINDED_N_OF_1)
    assert "against placebo" in blinded.stratum.label
    opened = next(g for g in groups if g.stratum.design is Design.OPEN_LABEL)
    assert "change from baseline" in opened.stratum.label.lower()
    assert "placebo response" in opened.stratum.label


def test_a_cohort_refuses_to_mix_designs():
    ana = summary(patient_key=ANA, design=Design.OPEN_LABEL)
    bea = summary(patient_key=BEA, design=Design.BLINDED_N_OF_1)
    with pytest.raises(InvalidValue, match=r"its design differs.*pooled separately"):
        Cohort(ana.stratum, (ana, bea))


def test_a_cohort_refuses_a_patient_twice():
    with pytest.raises(InvalidValue, match="appears more than once"):
        Cohort(summary().stratum, (summary(), summary(effect=-2.0)))


def test_a_cohort_is_in_patient_key_order_whatever_order_it_was_given():
    ana, bea = summary(patient_key=ANA), summary(patient_key=BEA)
    assert Cohort(ana.stratum, (bea, ana)) == Cohort(ana.stratum, (ana, bea))


def test_strata_sort_by_condition_design_and_metric():
    stratum = Stratum("fibromyalgia", Design.BLINDED_N_OF_1, "pain")
    assert str(stratum) == "fibromyalgia / blinded_n_of_1 / pain"
    assert stratum < Stratum("fibromyalgia", Design.OPEN_LABEL, "pain")
    assert sorted([Stratum("crps", Design.OPEN_LABEL, "sleep"), stratum])[0].condition == "crps"
