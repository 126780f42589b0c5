"""`ldntrial analyze`: the analysis at reassessment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ldntrial import data
from ldntrial.cli.app import (
    app,
    environment_of,
    read_protocol,
    read_text_file,
    write_atomically,
)
from ldntrial.core.analysis.decision import Decision, decide
from ldntrial.core.analysis.trial import TrialAnalysis, analyse_trial
from ldntrial.interop.csv_io import read_diary
from ldntrial.reports.pdf import html_to_pdf
from ldntrial.reports.trial_report import report_html

# Analysis at reassessment.


@app.command()
def analyze(
    ctx: typer.Context,
    diary: Annotated[Path, typer.Argument(help="The diary as CSV (see the README).")],
    protocol_file: Annotated[Path, typer.Option("--protocol", help="The trial's protocol JSON.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    pdf: Annotated[Path | None, typer.Option(help="Write the report as PDF here.")] = None,
) -> None:
    """Analyse a trial's diary against its protocol: the change in each metric and the
    decision its rules suggest."""
    env = environment_of(ctx)
    protocol = read_protocol(protocol_file)
    observations = read_diary(read_text_file(diary), protocol)
    analysis = analyse_trial(protocol, observations)
    decision = decide(analysis, observations)
    if pdf:
        html = report_html(
            analysis,
            decision,
            observations,
            condition_name=data.conditions().get(protocol.condition).name,
        )
        write_atomically(pdf, html_to_pdf(html))
    if as_json:
        typer.echo(json.dumps(analysis_json(analysis, decision), indent=2, ensure_ascii=False))
        return
    from rich.table import Table

    console = env.console
    console.print(f"[bold]Reassessment[/] · protocol {protocol.fingerprint[:16]}")
    console.print(analysis.label)
    table = Table(show_lines=False)
    for column in (
        "Metric",
        "Days",
        "Change (95% CrI)",
        "P(better)",
        "P(MCID)",
        "P(worse 1)",
        "Data",
    ):
        table.add_column(column)
    for r in analysis.metrics:
        change = (
            "–"
            if r.effect_mean is None or r.interval is None
            else f"{r.effect_mean:+.2f} ({r.interval[0]:+.2f} to {r.interval[1]:+.2f})"
        )
        table.add_row(
            r.metric.label + (" (primary)" if r.metric.key == protocol.primary_metric else ""),
            str(r.days_used),
            change,
            _share(r.p_better),
            _share(r.p_better_than_mcid),
            _share(r.p_worse_1),
            r.sufficiency.value,
        )
    console.print(table)
    console.print(
        f"Suggested decision: [bold]{decision.outcome.value}[/] "
        f"(rule: {decision.rule.value}). {decision.explanation}"
    )
    if pdf:
        console.print(f"Wrote report: {pdf}")


def _share(p: float | None) -> str:
    return "–" if p is None else f"{p:.0%}"


def analysis_json(analysis: TrialAnalysis, decision: Decision) -> dict[str, Any]:
    return {
        "protocol_fingerprint": analysis.protocol.fingerprint,
        "label": analysis.label,
        "metrics": [
            {
                "metric": r.metric.key,
                "days_used": r.days_used,
                "baseline_days": r.baseline_days,
                "maintenance_days": r.maintenance_days,
                "baseline_mean": r.baseline_mean,
                "maintenance_mean": r.maintenance_mean,
                "effect_mean": r.effect_mean,
                "interval_95": list(r.interval) if r.interval else None,
                "p_better": r.p_better,
                "p_better_than_mcid": r.p_better_than_mcid,
                "mcid": r.mcid_text,
                "p_relative_30": r.p_relative_30,
                "p_worse_1": r.p_worse_1,
                "bands": {b.label: b.probability for b in r.bands},
                "sufficiency": r.sufficiency.value,
                "sufficiency_reason": r.sufficiency_reason,
            }
            for r in analysis.metrics
        ],
        "decision": {
            "outcome": decision.outcome.value,
            "rule": decision.rule.value,
            "explanation": decision.explanation,
            "adherence": {
                "taken": decision.adherence.taken,
                "reported": decision.adherence.reported,
            },
            "side_effects": [
                {
                    "name": e.name,
                    "days": e.days_reported,
                    "first": e.first.isoformat(),
                    "last": e.last.isoformat(),
                    "settled": e.settled,
                }
                for e in decision.side_effects
            ],
        },
    }
