"""The reassessment report: the methods line, the visit measures, and escaping."""

import datetime as dt
from dataclasses import replace
from html.parser import HTMLParser

from django.template import Context, Engine
from django.utils.html import escape

from ldntrial.core.analysis.decision import Outcome, decide
from ldntrial.core.analysis.trial import analyse_trial
from ldntrial.core.trial.visit_measures import PegScore, Pgic, VisitSummary
from ldntrial.reports.rendering import TEMPLATE_DIR
from ldntrial.reports.trial_report import Signature, build_report, report_document
from tests.core.analysis.builders import diary


def test_the_report_states_the_method_and_what_it_assumes(protocol):
    rows = diary(protocol)
    analysis = analyse_trial(protocol, rows)
    html = report_document(build_report(analysis, decide(analysis, rows), rows))
    assert "Method: For each metric, a Bayesian regression with AR(1) errors" in html
    assert "Titration days are left out of the comparison." in html
    assert "A weekly cycle (one 7-day harmonic) is estimated." in html


def test_the_report_shows_the_peg_and_the_global_impression(protocol):
    rows = diary(protocol)
    analysis = analyse_trial(protocol, rows)
    visits = VisitSummary(PegScore(7, 6, 8), PegScore(4, 3, 5), Pgic.MUCH_IMPROVED)
    html = report_document(build_report(analysis, decide(analysis, rows, visits), rows))
    assert "7.0 (pain 7, enjoyment of life 6, general activity 8)" in html
    assert "<td>PEG change (negative: better)</td><td>-3.0</td>" in html
    assert "<td>much improved</td>" in html


def test_missing_visit_measures_are_said_to_be_missing(protocol):
    rows = diary(protocol)
    analysis = analyse_trial(protocol, rows)
    html = report_document(build_report(analysis, decide(analysis, rows), rows))
    assert "<td>PEG at baseline (0-10, mean of 3 items)</td><td>not recorded</td>" in html


# Every text that reaches the report is escaped: the templates autoescape, and the charts' SVG
# (the one markup let through) escapes its labels itself.

PAYLOAD = "\"><script>alert('{}')</script>"
FIELDS = ("metric label", "side effect", "patient label", "condition", "signer", "reason")


class Elements(HTMLParser):
    """The elements and attributes of an HTML document, as a browser's parser sees them."""

    def __init__(self, html):
        super().__init__()
        self.tags, self.attributes = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(name for name, _ in attrs)


def test_a_script_in_any_text_that_reaches_the_report_comes_out_as_text(protocol):
    typed = {field: PAYLOAD.format(field) for field in FIELDS}
    metrics = tuple(
        replace(m, label=typed["metric label"]) if m.key == protocol.primary_metric else m
        for m in protocol.metrics
    )  # a protocol document's metrics carry their own labels (the CLI's --protocol file)
    edited = replace(protocol, metrics=metrics)
    rows = diary(edited)
    rows[-1] = replace(rows[-1], side_effects=frozenset({typed["side effect"]}))
    analysis = analyse_trial(edited, rows)
    signature = Signature(
        signer=typed["signer"],
        signed_at=dt.datetime(2027, 3, 1, 9, 30, tzinfo=dt.UTC),
        final_outcome=Outcome.STOP,
        override_reason=typed["reason"],
        valid=True,
    )
    html = report_document(
        build_report(
            analysis,
            decide(analysis, rows),
            rows,
            patient_label=typed["patient label"],
            condition_name=typed["condition"],
            signature=signature,
        )
    )
    for field, text in typed.items():
        assert text not in html, field
        assert escape(text) in html, field
    elements = Elements(html)
    assert "script" not in elements.tags
    assert [a for a in elements.attributes if a.startswith("on") or "alert" in a] == []
    assert f"<title>{escape(typed['metric label'])} (0–10, lower is better)</title>" in html


def test_every_name_the_report_templates_use_is_filled(protocol):
    rows = diary(protocol)
    analysis = analyse_trial(protocol, rows)
    signature = Signature("dr-ode", dt.datetime(2027, 3, 1, tzinfo=dt.UTC), Outcome.STOP, "x", True)
    report = build_report(analysis, decide(analysis, rows), rows, signature=signature)
    strict = Engine(dirs=[str(TEMPLATE_DIR)], string_if_invalid="MISSING(%s)")
    html = strict.get_template("reports/trial_report.html").render(Context({"report": report}))
    assert "MISSING(" not in html
    assert html == report_document(report)
