"""Blinded n-of-1 trials at the command line: the design, its power and kits for `plan`, the
unblinded analysis for `analyze`, and `ldntrial pharmacy new-key|sheet` for the pharmacy.

The allocation is printed nowhere except the pharmacy's preparation sheet; `plan --pharmacy`
writes it only sealed (AES-256-GCM) under a key file the pharmacy keeps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ldntrial.cli.app import (
    app,
    environment_of,
    read_protocol,
    read_text_file,
    write_atomically,
)
from ldntrial.core.analysis.blinded import BlindedAnalysis
from ldntrial.core.analysis.blinded_safety import Guess
from ldntrial.core.analysis.design_power import DesignPower
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.blinded import BlindedDesign
from ldntrial.core.trial.kits import CapsuleSpec, KitList, preparation_sheet
from ldntrial.core.trial.protocol import Protocol
from ldntrial.core.trial.randomisation import Allocation, key_text, new_key, parse_key, unseal

pharmacy_app = typer.Typer(
    help="The pharmacy's side of blinded trials: the allocation key and the preparation sheet.",
    no_args_is_help=True,
)
app.add_typer(pharmacy_app, name="pharmacy")


def read_key(path: Path) -> bytes:
    try:
        return parse_key(read_text_file(path))
    except InvalidValue as error:
        raise InvalidValue(f"{path}: {error}") from None


def read_allocation(path: Path, key_file: Path | None, protocol: Protocol) -> Allocation:
    """The unblinded allocation of a blinded protocol, from its sealed file and key."""
    if key_file is None:
        raise InvalidValue("--allocation needs --key-file: the key the pharmacy sealed it with")
    try:
        sealed = path.read_bytes()
    except OSError as error:
        raise InvalidValue(f"cannot read {path}: {error.strerror or error}") from None
    allocation = unseal(
        sealed, read_key(key_file), expected_commitment=protocol.allocation_commitment
    )
    if allocation.design != protocol.blinded:
        raise InvalidValue(f"{path} is the allocation of another design, not this protocol's")
    return allocation


def parse_guesses(texts: list[str] | None) -> dict[int, Guess]:
    out: dict[int, Guess] = {}
    for text in texts or ():
        number, sep, word = text.partition(":")
        if not sep or not number.strip().isdigit():
            raise InvalidValue(f"--guess {text!r} is not PERIOD:GUESS, e.g. 1:placebo")
        period = int(number)
        if period in out:
            raise InvalidValue(f"--guess: period {period} is given twice")
        out[period] = Guess.parse(word)
    return out


def design_options(pairs: int, period_days: int, run_in: int, no_capsule: bool) -> BlindedDesign:
    return BlindedDesign(
        pairs=pairs, period_days=period_days, run_in_days=run_in, no_capsule=no_capsule
    )


# Rendering.


def design_view(protocol: Protocol) -> RenderableType:
    assert protocol.blinded is not None  # noqa: S101 (only for blinded protocols)
    table = Table(title="Blinded periods (arms concealed)", title_justify="left", show_edge=False)
    for column in ("Period", "Block", "From", "To", "Analysed from"):
        table.add_column(column)
    for p in protocol.periods():
        table.add_row(
            str(p.number),
            str(p.pair),
            p.first.isoformat(),
            p.last.isoformat(),
            p.first_analysed.isoformat(),
        )
    commitment = protocol.allocation_commitment
    sealed = (
        f"Allocation: sealed, commitment {commitment}"
        if commitment
        else "Allocation: not drawn yet (use --pharmacy SEALED_FILE --key-file KEY)"
    )
    return Group(Text(protocol.blinded.describe() + "."), table, Text(sealed))


def power_view(power: DesignPower) -> RenderableType:
    table = Table(
        title=f"Simulated power ({power.trials} trials per row; detected = P(LDN better) >= "
        f"{power.detect_probability:.0%})",
        title_justify="left",
        show_edge=False,
    )
    for column in ("True LDN - placebo", "Detected", "Monte-Carlo SE"):
        table.add_column(column)
    table.add_row(
        "no difference (false positives)",
        f"{power.false_positive.detected:.1%}",
        f"{power.false_positive.se:.1%}",
    )
    for row in power.rows:
        table.add_row(f"{row.improvement:g} points better", f"{row.detected:.1%}", f"{row.se:.1%}")
    a = power.assumptions
    notes = Text(
        f"Simulated patients: level {a.level[0]:g}-{a.level[1]:g}, day-to-day SD "
        f"{a.sd[0]:g}-{a.sd[1]:g}, autocorrelation {a.rho[0]:g}-{a.rho[1]:g}, onset over "
        f"{a.onset_days:g} days, carry-over fading over {a.carryover_days:g} days, whole-number "
        "scores, runs of missing days."
    )
    parts: list[RenderableType] = [table, notes]
    if power.suggestion:
        parts.append(Text(power.suggestion, style="bold yellow"))
    return Group(*parts)


def kit_view(kits: KitList) -> RenderableType:
    table = Table(title="Kits (identical whatever they hold)", title_justify="left")
    for column in ("Kit", "From", "To", "Capsules", "Label"):
        table.add_column(column)
    for kit in kits.kits:
        table.add_row(
            str(kit.number),
            kit.first.isoformat(),
            kit.last.isoformat(),
            str(kit.capsules),
            kit.label,
        )
    return table


def analysis_view(analysis: BlindedAnalysis) -> RenderableType:
    table = Table(show_edge=False)
    for column in (
        "Metric",
        "LDN / placebo days",
        "LDN - placebo (95% CrI)",
        "P(LDN better)",
        "P(MCID)",
        "P(worse 1)",
        "Data",
    ):
        table.add_column(column)
    for r in analysis.metrics:
        effect = (
            "–"
            if r.effect_mean is None or r.interval is None
            else f"{r.effect_mean:+.2f} ({r.interval[0]:+.2f} to {r.interval[1]:+.2f})"
        )
        table.add_row(
            r.metric.label
            + (" (primary)" if r.metric.key == analysis.protocol.primary_metric else ""),
            f"{r.active_days} / {r.placebo_days}",
            effect,
            _share(r.p_better),
            _share(r.p_better_than_mcid) + f" ({r.mcid_text})",
            _share(r.p_worse_1),
            r.sufficiency.value if r.effect_mean is not None else r.sufficiency_reason,
        )
    effects = Table(
        title="Side effects (share of diary days)", title_justify="left", show_edge=False
    )
    for column in ("Side effect", "Arm", "Days", "Rate (exact 95% CI)"):
        effects.add_column(column)
    for s in analysis.side_effects:
        rate = (
            "–"
            if s.rate is None or s.interval is None
            else f"{s.rate:.0%} ({s.interval[0]:.0%} to {s.interval[1]:.0%})"
        )
        effects.add_row(s.name, s.arm.value, f"{s.days_with}/{s.days_observed}", rate)
    parts: list[RenderableType] = [Text(analysis.label), table, effects]
    for n in analysis.nocebo:
        if n.ratio is None or n.interval is None:
            parts.append(Text(f"Nocebo ratio, {n.name}: none ({n.reason})"))
        else:
            parts.append(
                Text(
                    f"Nocebo ratio, {n.name}: {n.ratio:.2f} ({n.interval[0]:.2f} to "
                    f"{n.interval[1]:.2f}): {n.reason}"
                )
            )
    parts.append(Text(f"Blinding check: {analysis.blinding.summary}"))
    sequence = ", ".join(f"{i}: {arm.value}" for i, arm in enumerate(analysis.sequence, start=1))
    parts.append(Text(f"Sequence after unblinding: {sequence}"))
    parts.append(
        Text(
            "Side-effect intervals treat days as independent; side effects that last several "
            "days make them too narrow.",
            style="dim",
        )
    )
    parts.append(Text(f"Method: {analysis.methods}", style="dim"))
    return Group(*parts)


def _share(p: float | None) -> str:
    return "–" if p is None else f"{p:.0%}"


# The pharmacy's commands.


@pharmacy_app.command("new-key")
def new_key_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Write the new key here (readable by you only).")],
) -> None:
    """Make a key for sealing allocations. Keep it outside the database and off shared disks."""
    env = environment_of(ctx)
    if out.exists():
        raise InvalidValue(f"{out} exists: a key is never overwritten (choose another path)")
    write_atomically(out, key_text(new_key()) + "\n")
    env.console.print(f"Wrote allocation key: {out}")


@pharmacy_app.command("sheet")
def sheet_command(
    ctx: typer.Context,
    protocol_file: Annotated[Path, typer.Option("--protocol", help="The blinded protocol JSON.")],
    allocation: Annotated[Path, typer.Option(help="The sealed allocation file.")],
    key_file: Annotated[Path, typer.Option(help="The key it was sealed with.")],
    size: Annotated[str, typer.Option(help="Capsule size, the same for every kit.")] = "0",
    colour: Annotated[str, typer.Option(help="Capsule colour, the same for every kit.")] = (
        "opaque white"
    ),
    filler: Annotated[str, typer.Option(help="Filler, the same in active and placebo.")] = (
        "microcrystalline cellulose"
    ),
) -> None:
    """The preparation sheet (pharmacy only): which kits hold naltrexone and which placebo."""
    env = environment_of(ctx)
    protocol = read_protocol(protocol_file)
    if protocol.blinded is None:
        raise InvalidValue(f"{protocol_file} is an open-label protocol: it has no kits")
    opened = read_allocation(allocation, key_file, protocol)
    sheet = preparation_sheet(protocol, opened, spec=CapsuleSpec(size, colour, filler))
    table = Table(title="Preparation sheet: PHARMACY ONLY", title_justify="left")
    for column in ("Kit", "Contents", "Capsules", "Lot"):
        table.add_column(column)
    for line in sheet.lines:
        table.add_row(str(line.kit), line.content, str(line.capsules), line.lot or "(record)")
    env.console.print(Group(table, Text(sheet.statement)))
