"""`ldntrial screen`: safety screening before LDN."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
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
from ldntrial.core.screening.intervals import check_last_dose
from ldntrial.core.screening.rules import Situation
from ldntrial.core.screening.screen import MedicineLine, Screening
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
    last_dose: Annotated[
        list[str] | None,
        typer.Option(
            help="A medicine no longer taken and the day of its last dose, as MED=YYYY-MM-DD "
            "(MED as given to --med, or another medicine); repeat. Opioids then set the "
            "earliest first dose through their opioid-free interval.",
        ),
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
        medicine_lines(med or (), last_dose or (), today=env.now.date()),
        matcher=data.matcher(),
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


def medicine_lines(
    medicines: Sequence[str], stopped: Sequence[str], *, today: dt.date
) -> list[MedicineLine]:
    """The --med lines, with those named by --last-dose marked stopped (others added)."""
    last: dict[str, dt.date] = {}
    for item in stopped:
        text, sep, day = item.rpartition("=")
        if not sep or not text.strip():
            raise InvalidValue(
                f"--last-dose {item!r} is not MED=YYYY-MM-DD, "
                "e.g. --last-dose 'tramadol=2026-11-20'"
            )
        when = parse_date(day.strip(), "--last-dose")
        last[text.strip()] = check_last_dose(when, today=today, field="--last-dose")
    lines = [
        MedicineLine(m, stopped=m.strip() in last, last_dose=last.get(m.strip())) for m in medicines
    ]
    listed = {m.strip() for m in medicines}
    lines.extend(
        MedicineLine(text, stopped=True, last_dose=day)
        for text, day in last.items()
        if text not in listed
    )
    return lines


def _situation(text: str) -> Situation:
    try:
        return Situation(text.strip().lower().replace("-", "_"))
    except ValueError:
        known = ", ".join(s.value for s in Situation if s is not Situation.SURGERY_PLANNED)
        raise InvalidValue(f"unknown condition {text!r}: choose from {known}") from None


def screening_json(result: Screening) -> dict[str, Any]:
    limit = result.earliest_first_dose
    return {
        "verdict": result.verdict.value,
        "earliest_first_dose": None
        if limit is None
        else {
            "date": limit.earliest.isoformat(),
            "medicine": limit.medicine,
            "last_dose": limit.last_dose.isoformat(),
            "interval": limit.interval.key,
            "interval_days": limit.interval.days,
        },
        "findings": [
            {
                "severity": f.severity.value,
                "subject": f.subject,
                "text": f.text,
                "line": f.line,
                "medicine": f.medicine_key,
                "components": list(f.components),
                "matched_by": None if f.how is None else f.how.value,
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
    for column in ("Severity", "Finding", "As typed", "Matched by", "Why", "What to do", "Source"):
        table.add_column(column)
    for f in result.findings:
        subject = f.subject
        if f.components:
            subject += f" ({', '.join(f.components)})"
        if f.suggestion:
            subject += f" - it resembles {f.suggestion}: check before choosing it"
        how = "-" if f.how is None else f.how.label
        if f.how is not None and f.confidence is not None and f.confidence < 1:
            how += f" ({f.confidence:.0%})"
        source = "; ".join(s.url or s.citation for s in f.sources[:2]) or "-"
        table.add_row(
            f"[{SEVERITY_STYLE[f.severity]}]{f.severity.value}[/]",
            subject,
            f.text,
            how,
            f.reason,
            f.action,
            source,
        )
    if not result.findings:
        table.add_row(
            "info", "nothing to screen", "", "", "no medicines or situations given", "", ""
        )
    limit = result.earliest_first_dose
    if limit is not None:
        table.caption = f"Earliest first dose: {limit.earliest.isoformat()}: {limit.describe()}"
        table.caption_justify = "left"
    return table
