"""The decision rules at reassessment, each on its own."""

import dataclasses
import datetime as dt

from ldntrial.core.analysis.trial import analyse_trial
from ldntrial.core.decision import Outcome, Rule, decide
from tests.core.analysis.test_trial import diary


def decided(protocol, rows):
    return decide(analyse_trial(protocol, rows), rows)


def test_a_large_fall_meets_the_success_criterion(protocol):
    d = decided(protocol, diary(protocol, drop=4.0))
    assert (d.outcome, d.rule) == (Outcome.CONTINUE, Rule.SUCCESS_CRITERION_MET)
    assert d.probability_met >= 0.8


def test_no_change_means_stop(protocol):
    d = decided(protocol, diary(protocol, drop=0.0))
    assert (d.outcome, d.rule) == (Outcome.STOP, Rule.CRITERION_NOT_MET)


def test_a_partial_response_means_adjust(protocol):
    d = decided(protocol, diary(protocol, drop=1.2, rho=0.2))
    assert (d.outcome, d.rule) == (Outcome.ADJUST, Rule.PARTIAL_RESPONSE)


def test_too_little_data_means_extend(protocol):
    rows = diary(protocol)[:30]
    d = decided(protocol, rows)
    assert (d.outcome, d.rule) == (Outcome.ADJUST, Rule.INSUFFICIENT_DATA)
    assert "maintenance has 0 observed day(s), 14 needed" in d.explanation


def test_low_adherence_makes_the_result_uninterpretable(protocol):
    rows = [
        dataclasses.replace(r, dose_taken=(i % 2 == 0)) if r.dose_taken is not None else r
        for i, r in enumerate(diary(protocol, drop=4.0))
    ]
    d = decided(protocol, rows)
    assert (d.outcome, d.rule) == (Outcome.ADJUST, Rule.LOW_ADHERENCE)
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
