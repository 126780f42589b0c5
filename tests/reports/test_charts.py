import datetime as dt
from dataclasses import replace
from xml.etree import ElementTree

from ldntrial.core.analysis.trial import analyse_trial
from ldntrial.core.trial.protocol import Phase, PhaseKind
from ldntrial.reports.charts import Series, daily_chart, posterior_chart, trial_diagram
from tests.core.analysis.builders import diary

FIRST = dt.date(2027, 1, 1)


def chart(points):
    phases = [
        Phase(PhaseKind.BASELINE, FIRST, FIRST + dt.timedelta(days=6)),
        Phase(PhaseKind.TITRATION, FIRST + dt.timedelta(days=7), FIRST + dt.timedelta(days=20)),
    ]
    return daily_chart(
        Series("Pain <daily>", points),
        first=FIRST,
        last=FIRST + dt.timedelta(days=20),
        phases=phases,
        better="lower",
    )


def test_the_chart_is_valid_svg_with_a_point_per_day_and_a_gap_for_missing_days():
    points = [(FIRST + dt.timedelta(days=d), 5) for d in (0, 1, 2, 5, 6)]
    root = ElementTree.fromstring(chart(points))
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert len(root.findall("s:circle", ns)) == 5
    assert len(root.findall("s:polyline", ns)) == 2  # days 3-4 missing: the line breaks
    assert root.get("role") == "img"
    assert "Pain &lt;daily&gt;" in chart(points)


def test_phases_are_shaded_and_labelled():
    svg = chart([])
    assert ">baseline<" in svg
    assert ">titration<" in svg


def test_phase_means_and_dose_steps_are_drawn():
    phases = [Phase(PhaseKind.BASELINE, FIRST, FIRST + dt.timedelta(days=6))]
    svg = daily_chart(
        Series("Pain", [(FIRST, 5)]),
        first=FIRST,
        last=FIRST + dt.timedelta(days=20),
        phases=phases,
        better="lower",
        means=[(FIRST, FIRST + dt.timedelta(days=6), 5.3)],
        steps=[(FIRST + dt.timedelta(days=7), "1.5 mg")],
    )
    assert ">mean 5.3<" in svg
    assert ">1.5 mg<" in svg


def test_the_trial_diagram_and_the_posterior_are_valid_svg_with_their_labels_escaped(protocol):
    label = "Pain <\"&'>"
    metrics = tuple(replace(m, label=label) for m in protocol.metrics)
    edited = replace(protocol, metrics=metrics)
    result = analyse_trial(edited, diary(edited)).primary
    posterior = posterior_chart(result)
    root = ElementTree.fromstring(posterior)
    assert root.get("aria-label") == f"Posterior of the change in {label}"
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "no change" in texts
    assert any(t is not None and t.startswith("MCID (") for t in texts)
    diagram = ElementTree.fromstring(trial_diagram(edited))
    texts = [t.text for t in diagram.iter("{http://www.w3.org/2000/svg}text")]
    assert f"reassessment {edited.reassessment_date.isoformat()}" in texts
