"""`ldntrial plan` and `ldntrial protocol lock|show`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from ldntrial import data
from ldntrial.cli.app import (
    app,
    environment_of,
    json_text,
    parse_custom_step,
    parse_date,
    parse_dose_times,
    parse_minutes,
    protocol_app,
    read_protocol,
    write_atomically,
)
from ldntrial.cli.blinded import design_options, design_view, kit_view, power_view, read_key
from ldntrial.core import bounds
from ldntrial.core.analysis.design_power import (
    DEFAULT_EFFECTS,
    PowerAssumptions,
    design_power,
)
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.blinded import BlindedDesign
from ldntrial.core.trial.choices import PlanChoices, design_from_choices
from ldntrial.core.trial.compounding import (
    compounding_order,
)
from ldntrial.core.trial.document import protocol_to_document
from ldntrial.core.trial.kits import kit_list
from ldntrial.core.trial.protocol import (
    require_time_zone,
)
from ldntrial.core.trial.randomisation import Allocation, draw_allocation, seal
from ldntrial.interop.ics import dosing_calendar
from ldntrial.reports.prescription import prescription_text
from ldntrial.reports.protocol_summary import protocol_summary


@app.command()
def plan(
    ctx: typer.Context,
    condition: Annotated[str, typer.Option(help="Condition key, e.g. fibromyalgia.")],
    start: Annotated[
        str | None, typer.Option(help="First baseline day, YYYY-MM-DD. Default: tomorrow.")
    ] = None,
    baseline_days: Annotated[
        int | None, typer.Option(help="Drug-free baseline days. Default: the LDN profile's.")
    ] = None,
    start_dose: Annotated[
        str | None, typer.Option(help="First dose in mg. Default: top of the usual start range.")
    ] = None,
    step: Annotated[
        str | None, typer.Option(help="Dose increase per step in mg. Default: the start dose.")
    ] = None,
    interval: Annotated[
        int | None, typer.Option(help="Days between dose steps. Default: the usual spacing.")
    ] = None,
    target: Annotated[
        str | None, typer.Option(help="Target dose in mg. Default: the usual target.")
    ] = None,
    timing: Annotated[
        str | None, typer.Option(help="night or morning. Default: the usual timing.")
    ] = None,
    custom_step: Annotated[
        list[str] | None,
        typer.Option(help="A custom schedule step DATE:MG[:night|morning]; repeat for each."),
    ] = None,
    reassess: Annotated[
        str | None, typer.Option(help="Reassessment date. Default: 12 weeks after the first dose.")
    ] = None,
    reassess_override: Annotated[
        str | None, typer.Option(help="Reason for a reassessment outside weeks 8-12.")
    ] = None,
    metric: Annotated[
        list[str] | None,
        typer.Option(help="Daily metric; repeat. Default: pain, sleep_quality, function."),
    ] = None,
    primary: Annotated[str, typer.Option(help="Primary metric.")] = "pain",
    success_relative: Annotated[
        float | None, typer.Option(help="Improvement as a share of baseline (0.30 = 30%).")
    ] = None,
    success_points: Annotated[
        float | None, typer.Option(help="Improvement in points instead of a share.")
    ] = None,
    success_probability: Annotated[
        float | None, typer.Option(help="Probability needed to call success met.")
    ] = None,
    pgic_at_least: Annotated[
        str | None,
        typer.Option(
            help="Also require the patient's global impression of change at reassessment to be "
            "this or better: minimally_improved, much_improved or very_much_improved."
        ),
    ] = None,
    titration: Annotated[
        str,
        typer.Option(
            help="Titration days in the analysis: exclude (left out, the validated default) "
            "or model (a level of their own)."
        ),
    ] = "exclude",
    run_in: Annotated[
        int, typer.Option(help="Days after the first dose left out of the analysis.")
    ] = 0,
    trend: Annotated[
        bool,
        typer.Option("--trend", help="Estimate a linear trend, so the change is net of a drift."),
    ] = False,
    weekly: Annotated[
        bool,
        typer.Option("--weekly/--no-weekly", help="Estimate a weekly cycle (one 7-day harmonic)."),
    ] = True,
    formulation: Annotated[str, typer.Option(help="capsules or liquid.")] = "capsules",
    strength: Annotated[
        list[str] | None, typer.Option(help="Capsule strength in mg the pharmacy offers; repeat.")
    ] = None,
    concentration: Annotated[str, typer.Option(help="Liquid concentration, mg/mL.")] = "1",
    overage: Annotated[int | None, typer.Option(help="Overage percent on quantities.")] = None,
    tz: Annotated[
        str | None,
        typer.Option(
            help="Patient's time zone (IANA name). Default: $LDNTRIAL_TIMEZONE, $TZ or UTC."
        ),
    ] = None,
    night_time: Annotated[
        str | None, typer.Option(help="Reminder time for night doses, HH:MM (default 22:00).")
    ] = None,
    morning_time: Annotated[
        str | None, typer.Option(help="Reminder time for morning doses, HH:MM (default 08:00).")
    ] = None,
    reminder_minutes: Annotated[int, typer.Option(help="Minutes before the dose to remind.")] = 0,
    allow: Annotated[
        list[str] | None, typer.Option(help="Accept a warning, e.g. start-above-usual; repeat.")
    ] = None,
    patient: Annotated[str | None, typer.Option(help="Pseudonymous patient label.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the protocol as JSON.")] = False,
    out_protocol: Annotated[Path | None, typer.Option(help="Write the protocol JSON here.")] = None,
    ics: Annotated[Path | None, typer.Option(help="Write the dosing calendar (.ics) here.")] = None,
    prescription: Annotated[
        bool, typer.Option("--prescription", help="Print the compounding prescription.")
    ] = False,
    prescription_file: Annotated[
        Path | None, typer.Option(help="Write the compounding prescription here.")
    ] = None,
    design: Annotated[
        str,
        typer.Option(
            help="open (baseline, titration, maintenance) or blinded (randomised pairs of LDN "
            "and identical placebo periods after the open titration)."
        ),
    ] = "open",
    pairs: Annotated[int, typer.Option(help="Blinded: pairs of LDN and placebo periods.")] = 3,
    period_days: Annotated[int, typer.Option(help="Blinded: days in each period.")] = 14,
    period_run_in: Annotated[
        int, typer.Option(help="Blinded: days at the start of each period left out of analysis.")
    ] = 7,
    no_capsule: Annotated[
        bool,
        typer.Option(
            "--no-capsule", help="Blinded: add a period without capsules to each block (nocebo)."
        ),
    ] = False,
    power_trials: Annotated[
        int, typer.Option(help="Blinded: simulated trials per row of the power table.")
    ] = 400,
    power_effect: Annotated[
        list[float] | None,
        typer.Option(
            metavar="POINTS",
            help="Blinded power: an LDN-minus-placebo improvement in points to detect; repeat "
            "(default 1 and 2).",
        ),
    ] = None,
    assume_onset_days: Annotated[
        float, typer.Option(help="Blinded power: days LDN's effect takes to build up.")
    ] = 5.0,
    assume_carryover_days: Annotated[
        float, typer.Option(help="Blinded power: days the effect takes to fade after LDN stops.")
    ] = 7.0,
    pharmacy: Annotated[
        Path | None,
        typer.Option(
            help="Blinded: draw the allocation and write it here, sealed (pharmacy only); "
            "the protocol then commits to it."
        ),
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(help="Blinded: the pharmacy's key file (ldntrial pharmacy new-key)."),
    ] = None,
) -> None:
    """Plan a trial: baseline, titration, maintenance and reassessment, as a draft protocol;
    or, with --design blinded, a blinded n-of-1 trial with its simulated power and kits."""
    env = environment_of(ctx)
    blinded, allocation, key = _blinded_choices(
        design, pairs, period_days, period_run_in, no_capsule, pharmacy, key_file
    )
    profile = data.ldn_profile()
    reminder = parse_minutes(reminder_minutes)
    zone_name = tz or env.default_time_zone()
    zone = require_time_zone(zone_name)
    start_date = (
        parse_date(start, "--start")
        if start
        else env.now.astimezone(zone).date() + dt.timedelta(days=1)
    )
    # Typed values within their plausible range before any date arithmetic (core.bounds).
    bounds.check_trial_start(start_date, today=env.now.astimezone(zone).date(), field="--start")
    # (the low ends, and the run-in, have the protocol's own messages)
    if interval is not None and interval > bounds.INTERVAL_DAYS.high:
        bounds.INTERVAL_DAYS.check(interval, field="--interval")
    if baseline_days is not None and baseline_days > bounds.BASELINE_DAYS.high:
        bounds.BASELINE_DAYS.check(baseline_days, field="--baseline-days")
    step_timing = timing or profile.default_timing.value
    custom = tuple(
        parse_custom_step(text, default_timing=step_timing) for text in custom_step or ()
    )
    protocol, warnings = design_from_choices(
        PlanChoices(
            condition=condition,
            start_date=start_date,
            time_zone=zone_name,
            baseline_days=baseline_days,
            start_dose=start_dose,
            step=step,
            interval_days=interval,
            target=target,
            timing=timing,
            custom_steps=custom,
            reassessment_date=parse_date(reassess, "--reassess") if reassess else None,
            reassessment_override=reassess_override,
            metrics=tuple(metric or ()),
            primary_metric=primary,
            success_relative=success_relative,
            success_points=success_points,
            success_probability=success_probability,
            pgic_at_least=pgic_at_least,
            titration=titration,
            run_in_days=run_in,
            trend=trend,
            weekly=weekly,
            formulation=formulation,
            strengths=tuple(strength or ()),
            concentration=concentration,
            overage_percent=overage,
            dose_times=parse_dose_times(night_time, morning_time),
            allow=tuple(allow or ()),
            blinded=blinded,
            allocation_commitment=None if allocation is None else allocation.commitment,
        ),
        profile=profile,
        instruments=data.instruments(),
        conditions=data.conditions(),
    )
    order = compounding_order(
        protocol.titration, protocol.formulation, overage_percent=protocol.overage_percent
    )
    rx = prescription_text(protocol, order, profile=profile, patient=patient)
    written: list[str] = []
    if pharmacy and allocation is not None and key is not None:
        # Sealed first: a protocol never commits to an allocation that was not written.
        write_atomically(pharmacy, seal(allocation, key))
        written.append(f"sealed allocation (pharmacy only): {pharmacy}")
    if out_protocol:
        write_atomically(out_protocol, json_text(protocol_to_document(protocol)))
        written.append(f"protocol: {out_protocol}")
    if ics:
        write_atomically(
            ics,
            dosing_calendar(
                protocol.titration,
                formulation=protocol.formulation,
                time_zone=protocol.time_zone,
                dose_times=protocol.dose_times,
                calendar_id=protocol.fingerprint,
                created=env.now,
                reminder_minutes_before=reminder,
            ),
        )
        written.append(f"calendar: {ics}")
    if prescription_file:
        write_atomically(prescription_file, rx)
        written.append(f"prescription: {prescription_file}")

    console = env.console
    if as_json:
        typer.echo(json_text(protocol_to_document(protocol)), nl=False)
        return
    console.print(protocol_summary(protocol, conditions=data.conditions(), warnings=warnings))
    if protocol.blinded is not None:
        console.print(design_view(protocol))
        power = design_power(
            protocol.blinded,
            improvements=tuple(power_effect or DEFAULT_EFFECTS),
            trials=power_trials,
            weekly=protocol.analysis_settings.models_weekly_cycle,
            assumptions=PowerAssumptions(
                onset_days=assume_onset_days, carryover_days=assume_carryover_days
            ),
        )
        console.print(power_view(power))
        console.print(kit_view(kit_list(protocol)))
    if prescription:
        console.print(rx)
    for line in written:
        console.print(f"Wrote {line}")


_DESIGNS = {"open": False, "open_label": False, "blinded": True, "blinded_n_of_1": True}


def _blinded_choices(
    design: str,
    pairs: int,
    period_days: int,
    run_in: int,
    no_capsule: bool,
    pharmacy: Path | None,
    key_file: Path | None,
) -> tuple[BlindedDesign | None, Allocation | None, bytes | None]:
    choice = _DESIGNS.get(design.strip().lower())
    if choice is None:
        raise InvalidValue(f"--design {design!r} is not known: use open or blinded")
    if not choice:
        if pharmacy or key_file or no_capsule:
            raise InvalidValue("--pharmacy, --key-file and --no-capsule go with --design blinded")
        return None, None, None
    blinded = design_options(pairs, period_days, run_in, no_capsule)
    if pharmacy is None:
        if key_file is not None:
            raise InvalidValue("--key-file goes with --pharmacy SEALED_FILE")
        return blinded, None, None
    if key_file is None:
        raise InvalidValue(
            "--pharmacy needs --key-file: make one with `ldntrial pharmacy new-key --out KEY`"
        )
    key = read_key(key_file)
    return blinded, draw_allocation(blinded), key


@protocol_app.command("lock")
def protocol_lock(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A draft protocol JSON file.")],
    out: Annotated[
        Path | None, typer.Option(help="Write the locked protocol here instead of in place.")
    ] = None,
) -> None:
    """Lock a draft protocol: from now on it cannot change, and its fingerprint is fixed."""
    env = environment_of(ctx)
    protocol = read_protocol(file)
    locked = protocol.lock(at=env.now)
    target = out or file
    document = protocol_to_document(locked)
    write_atomically(target, json_text(document))
    env.console.print(
        f"Locked {target} at {document['locked_at']}\nFingerprint: {locked.fingerprint}"
    )


@protocol_app.command("show")
def protocol_show(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A protocol JSON file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the protocol as JSON.")] = False,
) -> None:
    """Show a protocol; for a locked one, verify that it still matches its fingerprint."""
    env = environment_of(ctx)
    protocol = read_protocol(file)
    if as_json:
        typer.echo(json_text(protocol_to_document(protocol)), nl=False)
        return
    env.console.print(
        protocol_summary(protocol, conditions=data.conditions(), verified=protocol.is_locked)
    )
    if protocol.blinded is not None:
        env.console.print(design_view(protocol))
        env.console.print(kit_view(kit_list(protocol)))
