"""The reassessment report: the methods line and the visit measures."""

from ldntrial.core.analysis.decision import decide
from ldntrial.core.analysis.trial import analyse_trial
from ldntrial.core.trial.visit_measures import PegScore, Pgic, VisitSummary
from ldntrial.reports.trial_report import report_html
from tests.core.analysis.builders import diary


def test_the_report_states_the_method_and_what_it_assumes(protocol):
    rows = diary(protocol)
    analysis = analyse_trial(protocol, rows)
    html = report_html(analysis, decide(analysis, rows), rows)
    assert "Method: For each metric, a Bayesian regression with AR(1) errors" in html
    assert "Titration days are left out of the comparison." in html
    assert "A weekly cycle (one 7-day harmonic) is estimated." in html


def test_the_report_shows_the_peg_and_the_global_impression(protocol):
    rows = diary(protocol)
    analysis = analyse_trial(protocol, rows)
    visits = VisitSummary(PegScore(7, 6, 8), PegScore(4, 3, 5), Pgic.MUCH_IMPROVED)
    html = report_html(analysis, decide(analysis, rows, visits), rows)
    assert "7.0 (pain 7, enjoyment of life 6, general activity 8)" in html
    assert "<td>PEG change (negative: better)</td><td>-3.0</td>" in html
    assert "<td>much improved</td>" in html


def test_missing_visit_measures_are_said_to_be_missing(protocol):
    rows = diary(protocol)
    analysis = analyse_trial(protocol, rows)
    html = report_html(analysis, decide(analysis, rows), rows)
    assert "<td>PEG at baseline (0-10, mean of 3 items)</td><td>not recorded</td>" in html
