"""The shipped study records and what the grading makes of them."""

import pytest

from ldntrial import data
from ldntrial.core.evidence.grading import Certainty, Domain
from ldntrial.core.evidence.studies import StudyDesign
from ldntrial.core.evidence.summary import summary_json
from ldntrial.core.sources import Verification
from ldntrial.reports.evidence_text import evidence_text
from tests.core.evidence.builders import NUMBER, numbers_in_records, summary


def test_every_record_validates_and_has_a_source():
    library = data.studies()
    assert len(library.studies) >= 40
    for study in library.studies.values():
        assert study.urls, study.key
        assert all(tag in set(Verification) for tag in study.tags.values()), study.key


def test_fibromyalgia_comes_out_low_for_imprecision_and_inconsistency():
    g = summary("fibromyalgia").grade
    assert g.certainty is Certainty.LOW
    assert g.start is Certainty.HIGH
    assert [d.domain for d in g.downgrades] == [Domain.IMPRECISION, Domain.INCONSISTENCY]
    assert "benefit in Younger 2013" in g.downgrades[1].reason
    assert "FINAL" in g.downgrades[1].reason


def test_crps_comes_out_very_low_from_case_reports_only():
    s = summary("crps")
    assert s.grade.certainty is Certainty.VERY_LOW
    assert s.trials == ()
    assert s.grade.downgrades[0].domain is Domain.DESIGN
    assert {st.design for st in s.registered} == {StudyDesign.PROTOCOL}


def test_the_fibromyalgia_trials_are_listed_largest_first_with_final_on_top():
    s = summary("fibromyalgia")
    assert [t.short for t in s.trials][:2] == ["FINAL", "INNOVA"]
    counts = [t.participants for t in s.trials if t.participants is not None]
    assert len(counts) == len(s.trials)  # every listed trial says how many it randomised
    assert s.participants_randomised == sum(counts)
    assert s.direction == "mixed"


def test_grading_is_reproducible_from_the_data_alone():
    assert summary_json(summary("fibromyalgia")) == summary_json(summary("fibromyalgia"))


@pytest.mark.parametrize("condition", ["fibromyalgia", "crps", "multiple_sclerosis"])
def test_every_number_in_the_summary_traces_to_a_record(condition):
    rendered = evidence_text(summary(condition))
    shown = set(NUMBER.findall(rendered))
    untraced = shown - numbers_in_records(condition)
    assert untraced == set()
