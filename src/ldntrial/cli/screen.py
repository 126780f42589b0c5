"""`ldntrial screen`: safety screening before LDN."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from ldntrial import data
from ldntrial.cli.app import (
    app,
    environment_of,
    parse_date,
)
from ldntrial.core.errors import InvalidValue
from ldntrial.core.screening.catalogue import Severity
from ldntrial.core.screening.screen import Screening, Situation
from ldntrial.core.screening.screen import screen as run_screen

# Safety screening.

SCREEN_EXIT = {
    Severity.INFO: 0,
    Severity.MONITOR: 10,
    Severity.CAUTION: 11,
    Severity.UNRECOGNISED: 12,
    Severity.CONTRAINDICATED: 13,
}
SEVERITY_STYLE = {
    Severity.CONTRAINDICATED: "bold red",
    Severity.UNRECOGNISED: "bold magenta",
    Severity.CAUTION: "yellow",
    Severity.MONITOR: "cyan",
    Severity.INFO: "green",
}


@app.command()
def screen(
    ctx: typer.Context,
    med: Annotated[
        list[str] | None, typer.Option(help="A medicine as the patient takes it; repeat.")
    ] = None,
    condition: Annotated[
        list[str] | None,
        typer.Option(help="A condition or situation, e.g. opioid_use_disorder_treatment; repeat."),
    ] = None,
    pregnant: Annotated[bool, typer.Option("--pregnant", help="The patient is pregnant.")] = False,
    breastfeeding: Annotated[
        bool, typer.Option("--breastfeeding", help="The patient is breastfeeding.")
    ] = False,
    surgery_planned: Annotated[
        str | None, typer.Option(help="Date of a planned operation or procedure, YYYY-MM-DD.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
) -> None:
    """Screen medicines and situations before LDN. The exit code encodes the verdict."""
    env = environment_of(ctx)
    situations = [_situation(text) for text in condition or ()]
    if pregnant:
        situations.append(Situation.PREGNANT)
    if breastfeeding:
        situations.append(Situation.BREASTFEEDING)
    result = run_screen(
        list(med or ()),
        catalogue=data.medicines(),
        rules=data.screening_rules(),
        situations=situations,
        surgery_planned=parse_date(surgery_planned, "--surgery-planned")
        if surgery_planned
        else None,
        today=env.now.date(),
    )
    if as_json:
        typer.echo(json.dumps(screening_json(result), indent=2, ensure_ascii=False))
    else:
        env.console.print(screening_table(result))
    raise typer.Exit(SCREEN_EXIT[result.verdict])


def _situation(text: str) -> Situation:
    try:
        return Situation(text.strip().lower().replace("-", "_"))
    except ValueError:
        known = ", ".join(s.value for s in Situation if s is not Situation.SURGERY_PLANNED)
        raise InvalidValue(f"unknown condition {text!r}: choose from {known}") from None


def screening_json(result: Screening) -> dict[str, Any]:
    return {
        "verdict": result.verdict.value,
        "findings": [
            {
                "severity": f.severity.value,
                "subject": f.subject,
                "text": f.text,
                "line": f.line,
                "medicine": f.medicine_key,
                "confidence": f.confidence,
                "suggestion": f.suggestion,
                "reason": f.reason,
                "action": f.action,
                "sources": [
                    {"citation": s.citation, "url": s.url, "tag": s.verification.value}
                    for s in f.sources
                ],
            }
            for f in result.findings
        ],
    }


def screening_table(result: Screening) -> Any:
    from rich.table import Table

    table = Table(
        title=f"Screening verdict: {result.verdict.value.upper()}",
        title_justify="left",
        show_lines=True,
    )
    for column in ("Severity", "Finding", "As typed", "Why", "What to do", "Source"):
        table.add_column(column)
    for f in result.findings:
        subject = f.subject
        if f.confidence is not None and f.confidence < 1:
            subject += f" (match {f.confidence:.0%})"
        if f.suggestion:
            subject += f" - did you mean {f.suggestion}?"
        source = "; ".join(s.url or s.citation for s in f.sources[:2]) or "-"
        table.add_row(
            f"[{SEVERITY_STYLE[f.severity]}]{f.severity.value}[/]",
            subject,
            f.text,
            f.reason,
            f.action,
            source,
        )
    if not result.findings:
        table.add_row("info", "nothing to screen", "", "no medicines or situations given", "", "")
    return table
