"""The decision rules at reassessment, each on its own."""

import dataclasses
import datetime as dt
from collections.abc import Sequence

import pytest

from ldntrial.core.analysis.decision import Decision, Outcome, Rule, decide
from ldntrial.core.analysis.trial import Observation, analyse_trial
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.protocol import CriterionKind, Protocol, SuccessCriterion
from ldntrial.core.trial.visit_measures import PegScore, Pgic, VisitSummary
from tests.core.analysis.builders import diary


def decided(protocol: Protocol, rows: Sequence[Observation]) -> Decision:
    return decide(analyse_trial(protocol, rows), rows)


def test_a_large_fall_meets_the_success_criterion(protocol):
    d = decided(protocol, diary(protocol, drop=4.0))
    assert (d.outcome, d.rule) == (Outcome.CONTINUE, Rule.SUCCESS_CRITERION_MET)
    assert d.probability_met is not None
    assert d.probability_met >= 0.8


def test_no_change_means_stop(protocol):
    d = decided(protocol, diary(protocol, drop=0.0))
    assert (d.outcome, d.rule) == (Outcome.STOP, Rule.CRITERION_NOT_MET)


def test_a_partial_response_means_adjust(protocol):
    d = decided(protocol, diary(protocol, drop=1.2, rho=0.2))
    assert (d.outcome, d.rule) == (Outcome.ADJUST, Rule.PARTIAL_RESPONSE)


def test_too_little_data_means_adjust_by_extending_the_trial(protocol):
    rows = diary(protocol)[:30]
    d = decided(protocol, rows)
    assert (d.outcome, d.rule) == (Outcome.ADJUST, Rule.INSUFFICIENT_DATA)
    assert "maintenance has 0 observed day(s), 14 needed" in d.explanation
    assert "extend the trial" in d.explanation


def test_low_adherence_makes_the_result_uninterpretable(protocol):
    rows = [
        dataclasses.replace(r, dose_taken=(i % 2 == 0)) if r.dose_taken is not None else r
        for i, r in enumerate(diary(protocol, drop=4.0))
    ]
    d = decided(protocol, rows)
    assert (d.outcome, d.rule) == (Outcome.ADJUST, Rule.LOW_ADHERENCE)
    assert d.adherence.share is not None
    assert d.adherence.share < 0.8


def test_side_effects_still_reported_point_to_tolerability(protocol):
    rows = diary(protocol, drop=0.0)
    end = rows[-1].day
    rows = [
        dataclasses.replace(r, side_effects=frozenset({"insomnia"}))
        if (end - r.day).days < 5
        else r
        for r in rows
    ]
    d = decided(protocol, rows)
    assert (d.outcome, d.rule) == (Outcome.ADJUST, Rule.TOLERABILITY)
    (course,) = d.side_effects
    assert (course.name, course.days_reported, course.settled) == ("insomnia", 5, False)


def test_side_effects_that_stopped_early_are_settled(protocol):
    rows = diary(protocol, drop=0.0)
    first_dose = protocol.first_dose_date
    rows = [
        dataclasses.replace(r, side_effects=frozenset({"vivid_dreams"}))
        if first_dose <= r.day < first_dose + dt.timedelta(days=7)
        else r
        for r in rows
    ]
    d = decided(protocol, rows)
    assert d.side_effects[0].settled
    assert d.rule is Rule.CRITERION_NOT_MET


def test_an_empty_diary_is_insufficient(protocol):
    d = decide(analyse_trial(protocol, []), [])
    assert d.rule is Rule.INSUFFICIENT_DATA
    assert d.adherence.reported == 0


# The global impression of change as a co-criterion (when the protocol says so).


def with_pgic_criterion(protocol: Protocol, level: Pgic = Pgic.MUCH_IMPROVED) -> Protocol:
    return dataclasses.replace(
        protocol, success=dataclasses.replace(protocol.success, pgic_at_least=level)
    )


def test_without_a_pgic_criterion_the_impression_does_not_change_the_decision(protocol):
    rows = diary(protocol, drop=4.0)
    visits = VisitSummary(pgic=Pgic.NO_CHANGE)
    d = decide(analyse_trial(protocol, rows), rows, visits)
    assert (d.outcome, d.rule) == (Outcome.CONTINUE, Rule.SUCCESS_CRITERION_MET)


def test_a_pgic_criterion_met_with_the_diary_means_continue(protocol):
    chosen = with_pgic_criterion(protocol)
    rows = diary(chosen, drop=4.0)
    d = decide(analyse_trial(chosen, rows), rows, VisitSummary(pgic=Pgic.VERY_MUCH_IMPROVED))
    assert (d.outcome, d.rule) == (Outcome.CONTINUE, Rule.SUCCESS_CRITERION_MET)
    assert "global impression of change is 'very much improved'" in d.explanation


def test_a_missing_pgic_holds_the_decision(protocol):
    chosen = with_pgic_criterion(protocol)
    rows = diary(chosen, drop=4.0)
    d = decide(analyse_trial(chosen, rows), rows)
    assert (d.outcome, d.rule) == (Outcome.ADJUST, Rule.PGIC_MISSING)
    assert "record it before deciding" in d.explanation


def test_a_pgic_below_the_criterion_means_adjust_even_when_the_diary_improved(protocol):
    chosen = with_pgic_criterion(protocol)
    rows = diary(chosen, drop=4.0)
    d = decide(analyse_trial(chosen, rows), rows, VisitSummary(pgic=Pgic.MINIMALLY_IMPROVED))
    assert (d.outcome, d.rule) == (Outcome.ADJUST, Rule.PGIC_NOT_MET)
    assert "'minimally improved', below the 'much improved'" in d.explanation


def test_the_pgic_criterion_is_part_of_the_fingerprint_and_the_protocol_text(protocol):
    chosen = with_pgic_criterion(protocol)
    assert chosen.fingerprint != protocol.fingerprint
    text = chosen.success.describe(chosen.primary)
    assert "global impression of change should be much improved or very much improved" in text
    assert chosen.content()["success"]["pgic_at_least"] == "much_improved"
    assert "pgic_at_least" not in protocol.content()["success"]


def test_a_worsening_cannot_be_a_success_criterion():
    with pytest.raises(InvalidValue, match="cannot be a success criterion"):
        SuccessCriterion("pain", CriterionKind.RELATIVE_IMPROVEMENT, 0.3, 0.8, Pgic.NO_CHANGE)


def test_the_decision_carries_the_visit_measures(protocol):
    rows = diary(protocol, drop=4.0)
    visits = VisitSummary(PegScore(7, 6, 6), PegScore(4, 3, 4), Pgic.MUCH_IMPROVED)
    d = decide(analyse_trial(protocol, rows), rows, visits)
    assert d.visits.peg_change == pytest.approx(-8 / 3)
