"""`ldntrial evidence`: the evidence per condition."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from ldntrial import data
from ldntrial.cli.app import (
    app,
    environment_of,
)
from ldntrial.core.errors import InvalidValue
from ldntrial.core.evidence.summary import summarise, summary_json
from ldntrial.reports.evidence_text import evidence_text
from ldntrial.reports.handout import handout_text

# Evidence.


@app.command()
def evidence(
    ctx: typer.Context,
    condition: Annotated[
        str | None, typer.Argument(help="A condition key, e.g. fibromyalgia. Omit for all.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    handout: Annotated[
        bool,
        typer.Option(
            "--handout", help="Print the plain-language patient handout (needs CONDITION)."
        ),
    ] = False,
) -> None:
    """The evidence on LDN: one line per condition, or the full summary of one condition, or
    its patient handout."""
    env = environment_of(ctx)
    catalogue = data.conditions()
    keys = [condition] if condition else _conditions_with_studies()
    summaries = [
        summarise(
            key,
            library=data.studies(),
            conditions=catalogue,
            context=data.evidence_context(),
        )
        for key in keys
    ]
    if as_json:
        document: Any = (
            summary_json(summaries[0]) if condition else [summary_json(s) for s in summaries]
        )
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    if handout:
        if not condition:
            raise InvalidValue(
                "--handout needs a condition, e.g. ldntrial evidence fibromyalgia --handout"
            )
        typer.echo(handout_text(summaries[0], data.ldn_profile()))
        return
    if condition:
        env.console.print(evidence_text(summaries[0]))
        return
    from rich.table import Table

    table = Table(title="Evidence on LDN by condition", title_justify="left")
    for column in ("Condition", "Certainty", "Randomised trials", "Participants", "Direction"):
        table.add_column(column)
    for s in summaries:
        table.add_row(
            s.condition.name,
            s.grade.label,
            str(len(s.trials)),
            str(s.participants_randomised),
            s.direction,
        )
    env.console.print(table)


def _conditions_with_studies() -> list[str]:
    library = data.studies()
    present = {c for study in library.studies.values() for c in study.conditions}
    return [key for key in data.conditions().conditions if key in present]
