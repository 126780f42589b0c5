"""Certainty grading: each rule on its own, on constructed study sets."""

from typing import Any

import pytest

from ldntrial.core.evidence.grading import Certainty, Domain, Grade, grade
from ldntrial.core.evidence.studies import parse_studies

URL = ["https://example.org/study"]


def study(
    key: str,
    design: str = "rct_parallel",
    n: int = 500,
    direction: str = "no_difference",
    blinding: str | None = "double",
    comparator: str = "placebo",
    washout: bool | None = None,
) -> dict[str, Any]:
    """A study record as studies.yaml holds it."""
    return {
        "key": key,
        "short": key,
        "urls": URL,
        "conditions": ["fibromyalgia"],
        "design": design,
        "randomised": design.startswith("rct"),
        "blinding": blinding,
        "comparator": comparator,
        "crossover_washout": washout,
        "n_randomised": n,
        "direction": direction,
        "citation": {"year": 2020},
        "tags": {"design": "V"},
    }


def graded(*records: dict[str, Any]) -> Grade:
    library = parse_studies(
        {"schema": "ldntrial.studies/1", "studies": list(records)}, conditions={"fibromyalgia"}
    )
    return grade(library.studies.values())


def domains(g: Grade) -> list[tuple[Domain, int]]:
    return [(d.domain, d.levels) for d in g.downgrades]


def test_large_consistent_blinded_placebo_trials_are_high():
    g = graded(study("a", n=300), study("b", n=300))
    assert g.certainty is Certainty.HIGH
    assert g.downgrades == ()
    assert g.participants == 600


def test_fewer_than_400_participants_is_imprecise():
    g = graded(study("a", n=150), study("b", n=150))
    assert domains(g) == [(Domain.IMPRECISION, 1)]
    assert g.certainty is Certainty.MODERATE
    assert "few participants in all (300; fewer than 400)" in g.downgrades[0].reason


def test_fewer_than_100_participants_is_very_imprecise():
    g = graded(study("a", n=40), study("b", n=14))
    assert domains(g) == [(Domain.IMPRECISION, 2)]
    assert g.certainty is Certainty.LOW


def test_trials_pointing_different_ways_are_inconsistent():
    g = graded(study("a", n=300, direction="benefit"), study("b", n=300))
    assert domains(g) == [(Domain.INCONSISTENCY, 1)]
    assert "benefit in a; no benefit in b" in g.downgrades[0].reason


def test_an_unclear_trial_beside_a_null_one_is_inconsistent_too():
    g = graded(study("a", n=300, direction="unclear"), study("b", n=300))
    assert domains(g) == [(Domain.INCONSISTENCY, 1)]
    assert "no benefit in b; unclear in a" in g.downgrades[0].reason


def test_open_label_trials_holding_most_participants_are_at_risk_of_bias():
    g = graded(study("a", n=400, blinding="open"), study("b", n=100))
    assert domains(g) == [(Domain.RISK_OF_BIAS, 1)]
    assert "a: open" in g.downgrades[0].reason


def test_a_small_open_trial_beside_large_blinded_ones_does_not_downgrade():
    g = graded(study("a", n=50, blinding="open"), study("b", n=500))
    assert g.downgrades == ()


def test_a_crossover_without_washout_is_at_risk_of_bias():
    g = graded(study("a", design="rct_crossover", n=500, washout=False))
    assert domains(g) == [(Domain.RISK_OF_BIAS, 1)]
    assert "crossover without washout" in g.downgrades[0].reason


def test_no_placebo_comparison_is_indirect():
    g = graded(study("a", n=500, comparator="active"))
    assert domains(g) == [(Domain.INDIRECTNESS, 1)]


def test_observational_evidence_starts_low():
    g = graded(
        study("a", design="non_randomised_controlled", n=500, comparator="none", blinding=None)
    )
    assert (g.start, g.certainty) == (Certainty.LOW, Certainty.LOW)


def test_case_reports_only_have_no_comparison_and_come_out_very_low():
    g = graded(study("a", design="case_report", n=1, comparator="none", blinding=None))
    assert g.certainty is Certainty.VERY_LOW
    assert (Domain.DESIGN, 1) in domains(g)
    assert "no comparison group in any study (case report)" in g.downgrades[0].reason


def test_registered_trials_without_results_and_reviews_are_not_graded():
    g = graded(
        study("p", design="protocol", n=160, comparator="placebo"),
        study("r", design="systematic_review", n=400, comparator="none", blinding=None),
    )
    assert g.certainty is None
    assert g.label == "no evidence"


def test_randomised_trials_are_graded_without_the_observational_studies():
    g = graded(
        study("a", n=500), study("b", design="case_series", n=3, comparator="none", blinding=None)
    )
    assert [s.key for s in g.graded] == ["a"]
    assert g.certainty is Certainty.HIGH


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"design": "anecdote"}, "design 'anecdote' is not one of"),
        ({"urls": []}, "has no source"),
        ({"tags": {"n": "U"}}, "tagged U"),
        ({"conditions": ["warts"]}, "unknown condition"),
        ({"design": "rct_parallel", "randomised": False}, "must be randomised"),
        ({"blinding": "triple"}, "blinding 'triple'"),
    ],
)
def test_a_bad_record_is_refused(change, message):
    from ldntrial.core.errors import DataFileError

    with pytest.raises(DataFileError, match=message):
        graded({**study("a"), **change})
