"""`ldntrial protocol amend`: the web app's amendments, applied to a locked protocol file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from ldntrial import data
from ldntrial.cli.app import (
    environment_of,
    json_text,
    parse_custom_step,
    parse_date,
    protocol_app,
    read_protocol,
    write_atomically,
)
from ldntrial.core.trial.amendment import Amendment, AmendmentKind, amend
from ldntrial.core.trial.document import protocol_to_document
from ldntrial.core.trial.titration import parse_timing, parse_warning_code


@protocol_app.command("amend")
def protocol_amend(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A locked protocol JSON file (it is not changed).")],
    kind: Annotated[
        str,
        typer.Option(help="hold, step-back, switch-timing or replace-schedule."),
    ],
    on: Annotated[str, typer.Option(help="The first day the change applies (YYYY-MM-DD).")],
    reason: Annotated[str, typer.Option(help="Why, e.g. 'vivid dreams at 3 mg'.")],
    out: Annotated[
        Path | None,
        typer.Option(help="Write the amended version here (default: FILE-amended.json)."),
    ] = None,
    hold_days: Annotated[int | None, typer.Option(help="hold: days more on this dose.")] = None,
    retry_after: Annotated[
        int | None, typer.Option(help="step-back: try the higher dose again after N days.")
    ] = None,
    timing: Annotated[str | None, typer.Option(help="switch-timing: night or morning.")] = None,
    step: Annotated[
        list[str] | None,
        typer.Option(help="replace-schedule: DATE:MG[:TIMING], repeat for each step."),
    ] = None,
    new_reassessment: Annotated[
        str | None, typer.Option(help="replace-schedule: a later reassessment date.")
    ] = None,
    today: Annotated[
        str | None,
        typer.Option(help="The patient's today (default: now in the protocol's time zone)."),
    ] = None,
    allow: Annotated[
        list[str] | None,
        typer.Option(help="Accept a departure from usual practice by its code (repeatable)."),
    ] = None,
) -> None:
    """Amend a locked protocol: a new locked version with its own fingerprint; the original
    file and fingerprint stay as they are."""
    env = environment_of(ctx)
    protocol = read_protocol(file)
    chosen = AmendmentKind.parse(kind)
    steps = tuple(
        (s.start, s.dose.mg, s.timing)
        for s in (parse_custom_step(t, default_timing="night") for t in step or ())
    )
    amendment = Amendment(
        chosen,
        parse_date(on, "--on"),
        reason,
        hold_days=hold_days,
        retry_after_days=retry_after,
        timing=parse_timing(timing) if timing else None,
        steps=steps,
        new_reassessment=parse_date(new_reassessment, "--new-reassessment")
        if new_reassessment
        else None,
    )
    local_today = (
        parse_date(today, "--today")
        if today
        else env.now.astimezone(ZoneInfo(protocol.time_zone)).date()
    )
    amended = amend(
        protocol,
        amendment,
        today=local_today,
        at=env.now.astimezone(dt.UTC),
        profile=data.ldn_profile(),
        accepted=[parse_warning_code(code) for code in allow or ()],
    )
    target = out or file.with_name(f"{file.stem}-amended.json")
    write_atomically(target, json_text(protocol_to_document(amended.protocol)))
    console = env.console
    console.print(f"Amended: {amendment.describe()}")
    console.print(f"Amends:      {amended.parent_fingerprint}")
    console.print(f"Fingerprint: {amended.fingerprint}")
    for change in amended.changes:
        console.print(f"  {change.describe()}")
    for warning in amended.warnings:
        console.print(f"Accepted: {warning.message}")
    console.print(f"Wrote {target}")
