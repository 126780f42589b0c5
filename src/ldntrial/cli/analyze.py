"""`ldntrial analyze`: the analysis at reassessment, for one diary or many."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ldntrial import data
from ldntrial.cli.app import (
    app,
    environment_of,
    read_protocol,
    read_text_file,
    write_atomically,
)
from ldntrial.core.analysis.decision import decide
from ldntrial.core.analysis.record import analysis_record
from ldntrial.core.analysis.trial import Observation, TrialAnalysis, analyse_trials
from ldntrial.core.errors import InvalidValue, LdnTrialError
from ldntrial.core.trial.protocol import Protocol
from ldntrial.core.trial.visit_measures import PegScore, Pgic, VisitSummary
from ldntrial.interop.csv_io import read_diary
from ldntrial.reports.pdf import html_to_pdf
from ldntrial.reports.trial_report import build_report, report_document


@app.command()
def analyze(
    ctx: typer.Context,
    diaries: Annotated[
        list[Path], typer.Argument(help="One or more diaries as CSV (see the README).")
    ],
    protocol_file: Annotated[Path, typer.Option("--protocol", help="The trial's protocol JSON.")],
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print JSON Lines: one object per diary, in the order given."),
    ] = False,
    pdf: Annotated[
        Path | None, typer.Option(help="Write the report as PDF here (one diary only).")
    ] = None,
    pgic: Annotated[
        str | None,
        typer.Option(
            help="The patient's global impression of change at reassessment, 1-7 or a name "
            "such as much_improved (one diary only)."
        ),
    ] = None,
    peg_baseline: Annotated[
        str | None,
        typer.Option(help="The PEG at baseline as PAIN,ENJOYMENT,ACTIVITY (one diary only)."),
    ] = None,
    peg_reassessment: Annotated[
        str | None,
        typer.Option(help="The PEG at reassessment as PAIN,ENJOYMENT,ACTIVITY (one diary only)."),
    ] = None,
) -> None:
    """Analyse trial diaries against their protocol: the change in each metric and the decision
    the protocol's rules suggest. Many diaries are analysed together, each exactly as alone."""
    env = environment_of(ctx)
    single = (pdf, pgic, peg_baseline, peg_reassessment)
    if len(diaries) > 1 and any(option is not None for option in single):
        raise InvalidValue(
            "--pdf, --pgic, --peg-baseline and --peg-reassessment go with one diary: "
            "analyse that diary on its own"
        )
    protocol = read_protocol(protocol_file)
    observations = [_read(path, protocol) for path in diaries]
    visits = VisitSummary(
        _peg(peg_baseline, "--peg-baseline"),
        _peg(peg_reassessment, "--peg-reassessment"),
        _pgic(pgic),
    )
    analyses = analyse_trials([(protocol, rows) for rows in observations])
    decisions = [
        decide(analysis, rows, visits)
        for analysis, rows in zip(analyses, observations, strict=True)
    ]
    if pdf:
        report = build_report(
            analyses[0],
            decisions[0],
            observations[0],
            condition_name=data.conditions().get(protocol.condition).name,
        )
        write_atomically(pdf, html_to_pdf(report_document(report)))
    if as_json:
        for path, analysis, decision in zip(diaries, analyses, decisions, strict=True):
            record = {"diary": str(path), **analysis_record(analysis, decision)}
            typer.echo(json.dumps(record, ensure_ascii=False, allow_nan=False))
        return
    console = env.console
    console.print(f"[bold]Reassessment[/] · protocol {protocol.fingerprint[:16]}")
    console.print(analyses[0].label)
    for path, analysis, decision in zip(diaries, analyses, decisions, strict=True):
        if len(diaries) > 1:
            console.print(f"[bold]Diary {path}[/]")
        console.print(_table(analysis))
        console.print(
            f"Suggested decision: [bold]{decision.outcome.value}[/] "
            f"(rule: {decision.rule.value}). {decision.explanation}"
        )
    console.print(f"[dim]Method: {analyses[0].methods}[/]")
    if pdf:
        console.print(f"Wrote report: {pdf}")


def _read(path: Path, protocol: Protocol) -> list[Observation]:
    try:
        return read_diary(read_text_file(path), protocol)
    except LdnTrialError as error:
        raise type(error)(f"{path}: {error}") from None


def _peg(text: str | None, option: str) -> PegScore | None:
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 3:
        raise InvalidValue(f"{option} {text!r} is not PAIN,ENJOYMENT,ACTIVITY, e.g. 6,5,7")
    try:
        return PegScore.parse(dict(zip(("pain", "enjoyment", "activity"), parts, strict=True)))
    except InvalidValue as error:
        raise InvalidValue(f"{option}: {error}") from None


def _pgic(text: str | None) -> Pgic | None:
    if text is None:
        return None
    try:
        return Pgic.parse(text)
    except InvalidValue as error:
        raise InvalidValue(f"--pgic: {error}") from None


def _table(analysis: TrialAnalysis) -> Table:
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
            r.metric.label
            + (" (primary)" if r.metric.key == analysis.protocol.primary_metric else ""),
            str(r.days_used),
            change,
            _share(r.p_better),
            _share(r.p_better_than_mcid),
            _share(r.p_worse_1),
            r.sufficiency.value,
        )
    return table


def _share(p: float | None) -> str:
    return "–" if p is None else f"{p:.0%}"
