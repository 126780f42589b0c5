"""The registry's charts: accessible SVG, every text escaped, one mark per patient."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ldntrial.reports.registry_charts import FlowBox, ForestRow, flow_diagram, forest_plot

SVG = "{http://www.w3.org/2000/svg}"


def test_the_forest_plot_has_a_title_a_description_and_a_mark_per_patient():
    rows = [
        ForestRow("p-aaaa", -2.0, -3.0, -1.0, (-1.8, -2.6, -1.0)),
        ForestRow("<script>", -0.5, -1.5, 0.5, (-0.9, -1.7, -0.1)),
    ]
    svg = forest_plot(
        rows,
        pooled=ForestRow("Population mean", -1.3, -2.0, -0.6),
        title="Pain: each patient",
        description="2 patients & a mean",
        better="lower",
        mcid=2.0,
        ident="forest-x",
    )
    root = ET.fromstring(svg)  # well-formed, so every text was escaped
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "forest-x-title forest-x-desc"
    assert root.findtext(f"{SVG}title") == "Pain: each patient"
    assert root.findtext(f"{SVG}desc") == "2 patients & a mean"
    assert len(root.findall(f"{SVG}circle")) == 4  # own and shrunken, per patient
    assert len(root.findall(f"{SVG}polygon")) == 1  # the pooled diamond
    assert "<script>" not in svg


def test_the_flow_diagram_has_a_box_per_outcome():
    svg = flow_diagram(
        FlowBox("trials started", "14"),
        [FlowBox("completed", "hidden"), FlowBox("stopped early: side effects", "hidden")],
        title="Pain: every started trial",
        description="Trials started: 14.",
    )
    root = ET.fromstring(svg)
    assert len(root.findall(f"{SVG}rect")) == 3
    assert len(root.findall(f"{SVG}line")) == 2
    assert root.findtext(f"{SVG}desc") == "Trials started: 14."
