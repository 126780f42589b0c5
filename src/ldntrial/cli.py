"""The ``ldntrial`` command line.

``main(argv, environ, now=...)`` takes every input as an argument, so tests call it directly.
User errors print one line (``error: ...``) and exit 2; an integrity failure (a locked protocol
changed after locking) exits 3. See the README for the exit codes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from ldntrial import data
from ldntrial.core.analysis.trial import TrialAnalysis, analyse_trial
from ldntrial.core.compounding import (
    compounding_order,
)
from ldntrial.core.decision import Decision, decide
from ldntrial.core.doses import Dose
from ldntrial.core.drug import Timing
from ldntrial.core.errors import IntegrityError, InvalidValue, LdnTrialError
from ldntrial.core.evidence_summary import summarise, summary_json
from ldntrial.core.medicines import Severity
from ldntrial.core.planning import PlanChoices, design_from_choices
from ldntrial.core.protocol import (
    Protocol,
    require_time_zone,
)
from ldntrial.core.protocol_document import protocol_from_document
from ldntrial.core.screening import Screening, Situation
from ldntrial.core.screening import screen as run_screen
from ldntrial.core.titration import (
    DoseStep,
    StepReason,
    parse_timing,
)
from ldntrial.interop.csv_io import read_diary
from ldntrial.interop.ics import dosing_calendar
from ldntrial.reports.evidence_text import evidence_text
from ldntrial.reports.pdf import html_to_pdf
from ldntrial.reports.prescription import prescription_text
from ldntrial.reports.protocol_summary import protocol_summary
from ldntrial.reports.trial_report import report_html

EXIT_OK = 0
EXIT_USER_ERROR = 2


@dataclass(frozen=True)
class Environment:
    environ: Mapping[str, str]
    now: dt.datetime

    @property
    def console(self) -> Console:
        return Console(
            file=sys.stdout,
            no_color="NO_COLOR" in self.environ,
            highlight=False,
            soft_wrap=True,
            width=self._columns(),
        )

    def _columns(self) -> int:
        text = self.environ.get("COLUMNS", "")
        return int(text) if text.isdigit() and int(text) >= 40 else 100

    def default_time_zone(self) -> str:
        """$LDNTRIAL_TIMEZONE as given; else $TZ when it names an IANA zone; else UTC."""
        chosen = self.environ.get("LDNTRIAL_TIMEZONE")
        if chosen:
            return chosen
        system = self.environ.get("TZ", "").lstrip(":")
        try:
            require_time_zone(system)
        except InvalidValue:
            return "UTC"
        return system


app = typer.Typer(
    help="Plan and run time-limited, honest trials of low-dose naltrexone (LDN).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
protocol_app = typer.Typer(help="Lock and inspect trial protocols.", no_args_is_help=True)
app.add_typer(protocol_app, name="protocol")
audit_app = typer.Typer(help="The web app's audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


def _env(ctx: typer.Context) -> Environment:
    env = ctx.find_root().obj
    if not isinstance(env, Environment):
        raise RuntimeError("ldntrial commands run through ldntrial.cli.main")
    return env


@app.command()
def plan(
    ctx: typer.Context,
    condition: Annotated[str, typer.Option(help="Condition key, e.g. fibromyalgia.")],
    start: Annotated[
        str | None, typer.Option(help="First baseline day, YYYY-MM-DD. Default: tomorrow.")
    ] = None,
    baseline_days: Annotated[
        int | None, typer.Option(help="Drug-free baseline days (at least 7; default 14).")
    ] = None,
    start_dose: Annotated[str, typer.Option(help="First dose in mg.")] = "1.5",
    step: Annotated[str, typer.Option(help="Dose increase per step in mg.")] = "1.5",
    interval: Annotated[int, typer.Option(help="Days between dose steps.")] = 14,
    target: Annotated[str, typer.Option(help="Target dose in mg.")] = "4.5",
    timing: Annotated[str, typer.Option(help="night or morning.")] = "night",
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
) -> None:
    """Plan a trial: baseline, titration, maintenance and reassessment, as a draft protocol."""
    env = _env(ctx)
    profile = data.ldn_profile()
    reminder = _minutes(reminder_minutes)
    zone_name = tz or env.default_time_zone()
    zone = require_time_zone(zone_name)
    start_date = (
        _date(start, "--start") if start else env.now.astimezone(zone).date() + dt.timedelta(days=1)
    )
    custom = tuple(_custom_step(text, default_timing=timing) for text in custom_step or ())
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
            reassessment_date=_date(reassess, "--reassess") if reassess else None,
            reassessment_override=reassess_override,
            metrics=tuple(metric or ()),
            primary_metric=primary,
            success_relative=success_relative,
            success_points=success_points,
            success_probability=success_probability,
            formulation=formulation,
            strengths=tuple(strength or ()),
            concentration=concentration,
            overage_percent=overage,
            dose_times=_dose_times(night_time, morning_time),
            allow=tuple(allow or ()),
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
    if out_protocol:
        _write(out_protocol, _json_text(protocol.document()))
        written.append(f"protocol: {out_protocol}")
    if ics:
        _write(
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
        _write(prescription_file, rx)
        written.append(f"prescription: {prescription_file}")

    console = env.console
    if as_json:
        typer.echo(_json_text(protocol.document()), nl=False)
        return
    console.print(protocol_summary(protocol, conditions=data.conditions(), warnings=warnings))
    if prescription:
        console.print(rx)
    for line in written:
        console.print(f"Wrote {line}")


@protocol_app.command("lock")
def protocol_lock(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A draft protocol JSON file.")],
    out: Annotated[
        Path | None, typer.Option(help="Write the locked protocol here instead of in place.")
    ] = None,
) -> None:
    """Lock a draft protocol: from now on it cannot change, and its fingerprint is fixed."""
    env = _env(ctx)
    protocol = _read_protocol(file)
    locked = protocol.lock(at=env.now)
    target = out or file
    _write(target, _json_text(locked.document()))
    env.console.print(
        f"Locked {target} at {locked.document()['locked_at']}\nFingerprint: {locked.fingerprint}"
    )


@protocol_app.command("show")
def protocol_show(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A protocol JSON file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the protocol as JSON.")] = False,
) -> None:
    """Show a protocol; for a locked one, verify that it still matches its fingerprint."""
    env = _env(ctx)
    protocol = _read_protocol(file)
    if as_json:
        typer.echo(_json_text(protocol.document()), nl=False)
        return
    env.console.print(
        protocol_summary(protocol, conditions=data.conditions(), verified=protocol.is_locked)
    )


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
    env = _env(ctx)
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
        surgery_planned=_date(surgery_planned, "--surgery-planned") if surgery_planned else None,
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
    env = _env(ctx)
    protocol = _read_protocol(protocol_file)
    try:
        text = diary.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidValue(f"cannot read {diary}: no such file") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as error:
        raise InvalidValue(f"cannot read {diary}: {error.__class__.__name__}") from None
    observations = read_diary(text, protocol)
    analysis = analyse_trial(protocol, observations)
    decision = decide(analysis, observations)
    if pdf:
        html = report_html(
            analysis,
            decision,
            observations,
            condition_name=data.conditions().get(protocol.condition).name,
        )
        _write(pdf, html_to_pdf(html))
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


# Evidence.


@app.command()
def evidence(
    ctx: typer.Context,
    condition: Annotated[
        str | None, typer.Argument(help="A condition key, e.g. fibromyalgia. Omit for all.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """The evidence on LDN: one line per condition, or the full summary of one condition."""
    env = _env(ctx)
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


# The web app's jobs. Django is set up only when one of these runs.


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ldntrial.web.settings")
    import django

    django.setup()


@app.command()
def createadmin(
    ctx: typer.Context,
    clinic: Annotated[str, typer.Option(help="The clinic's name (created if new).")],
    username: Annotated[str, typer.Option(help="The admin's username.")],
    email: Annotated[str, typer.Option(help="The admin's email address.")] = "",
) -> None:
    """Create a clinic's first account, its admin. Asks for the password (or reads
    $LDNTRIAL_ADMIN_PASSWORD when there is no terminal)."""
    env = _env(ctx)
    password = env.environ.get("LDNTRIAL_ADMIN_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            raise InvalidValue(
                "no terminal to ask for a password: set LDNTRIAL_ADMIN_PASSWORD for this command"
            )
        import getpass

        password = getpass.getpass("Password (at least 12 characters): ")
        if getpass.getpass("The same password again: ") != password:
            raise InvalidValue("the two passwords differ: run the command again")
    _django()
    from ldntrial.web import commands

    user = commands.create_admin(clinic=clinic, username=username, email=email, password=password)
    env.console.print(
        f"Created clinic admin {user.username} for {user.clinic.name}. Sign in at "
        "http://127.0.0.1:8000/ and set up the second step with an authenticator app."
    )


@app.command()
def demo(ctx: typer.Context) -> None:
    """Fill the database with a demo clinic: synthetic patients in every phase, weeks of diary."""
    env = _env(ctx)
    _django()
    from ldntrial.web import commands

    made = commands.demo()
    env.console.print(f"Created '{commands.DEMO_CLINIC}'. Accounts (shown once):")
    for account in made:
        extra = f"  second-step key {account.totp_key}" if account.totp_key else ""
        env.console.print(f"  {account.role:<13} {account.username:<16} {account.password}{extra}")
    env.console.print(
        "Staff sign in with a 6-digit code: add the key to an authenticator app, or print the "
        "current code with: ldntrial totp-code USERNAME"
    )


@app.command("totp-code")
def totp_code(
    ctx: typer.Context, username: Annotated[str, typer.Argument(help="A demo staff account.")]
) -> None:
    """Print the current second-step code of a demo staff account (demo clinic only)."""
    env = _env(ctx)
    _django()
    from ldntrial.web import commands

    env.console.print(commands.totp_code(username))


@audit_app.command("verify")
def audit_verify(ctx: typer.Context) -> None:
    """Check the audit trail's hash chain: any altered or removed event is named (exit 3)."""
    env = _env(ctx)
    _django()
    from ldntrial.web import commands

    count, problems = commands.verify_audit()
    if problems:
        raise IntegrityError(
            f"the audit trail is broken ({len(problems)} problem(s)): " + "; ".join(problems)
        )
    env.console.print(f"Audit trail intact: {count} events, every hash checks.")


@app.command()
def serve(
    ctx: typer.Context,
    bind: Annotated[str, typer.Option(help="Address and port.")] = "127.0.0.1:8000",
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 2,
) -> None:
    """Apply migrations and run the web app under gunicorn."""
    env = _env(ctx)
    _django()
    from django.core.management import call_command

    from ldntrial.web.accounts.models import User

    call_command("migrate", interactive=False, verbosity=0)
    from django.conf import settings

    env.console.print(f"Database: {settings.DATABASES['default']['NAME']}")
    env.console.print(f"ldntrial is running at http://{bind}/")
    if not User.objects.exists():
        env.console.print(
            "No accounts yet. Create the first one in another terminal:\n"
            "  .venv/bin/ldntrial createadmin --clinic 'My clinic' --username admin\n"
            "or fill a demo clinic: .venv/bin/ldntrial demo"
        )
    sys.stdout.flush()
    # Access log lines carry method, path and status only: never query strings or bodies.
    os.execv(
        sys.executable,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "ldntrial.web.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
            "--access-logformat",
            '%(t)s "%(m)s %(U)s" %(s)s',
        ],
    )


# Parsing and files.


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValue(f"{option} {text!r} is not a date: use YYYY-MM-DD") from None


def _dose_times(night: str | None, morning: str | None) -> dict[Timing, dt.time]:
    times = {}
    for timing, text in ((Timing.NIGHT, night), (Timing.MORNING, morning)):
        if text is None:
            continue
        try:
            times[timing] = dt.time.fromisoformat(text.strip())
        except ValueError:
            raise InvalidValue(
                f"--{timing.value}-time {text!r} is not a time: use HH:MM, e.g. 22:00"
            ) from None
    return times


def _minutes(value: int) -> int:
    if not 0 <= value <= 24 * 60:
        raise InvalidValue(f"--reminder-minutes {value} is not accepted: use 0 to 1440")
    return value


def _custom_step(text: str, *, default_timing: str) -> DoseStep:
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise InvalidValue(
            f"--custom-step {text!r} is not DATE:MG or DATE:MG:TIMING, e.g. 2027-01-04:1.5:night"
        )
    day = _date(parts[0], "--custom-step")
    try:
        dose = Dose(parts[1])
    except InvalidValue as error:
        raise InvalidValue(f"--custom-step {text!r}: {error}") from None
    return DoseStep(
        day, dose, parse_timing(parts[2] if len(parts) == 3 else default_timing), StepReason.CUSTOM
    )


def _json_text(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _read_protocol(path: Path) -> Protocol:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidValue(f"cannot read {path}: no such file") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as error:
        raise InvalidValue(f"cannot read {path}: {error.__class__.__name__}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidValue(
            f"{path} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    try:
        return protocol_from_document(raw, profile=data.ldn_profile(), conditions=data.conditions())
    except LdnTrialError as error:
        raise type(error)(f"{path}: {error}") from None


def _write(path: Path, content: str | bytes) -> None:
    """Write atomically: the old file stays whole until the new one is complete."""
    payload = content.encode("utf-8") if isinstance(content, str) else content
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            dir=path.parent, prefix=f".{path.name}.", delete=False
        ) as tmp:
            tmp.write(payload)
        os.replace(tmp.name, path)
    except OSError as error:
        raise InvalidValue(f"cannot write {path}: {error.strerror or error}") from None


# Entry points.


def main(argv: Sequence[str], environ: Mapping[str, str], *, now: dt.datetime | None = None) -> int:
    """Run the CLI with ``argv`` (without the program name); return the exit code."""
    moment = now or dt.datetime.now(dt.UTC)
    command = typer.main.get_command(app)
    try:
        result = command.main(
            args=list(argv),
            prog_name="ldntrial",
            standalone_mode=False,
            obj=Environment(environ, moment),
        )
    except LdnTrialError as error:
        _error(str(error))
        return error.exit_code
    except typer.Exit as done:
        return done.exit_code
    except typer.Abort:
        _error("aborted")
        return 1
    except typer.TyperException as error:
        # Typer's own usage errors: unknown option, missing value, bad type.
        if type(error).__name__ == "NoArgsIsHelpError":
            return EXIT_USER_ERROR  # Typer has already printed the help
        format_message = getattr(error, "format_message", None)
        _error(format_message() if callable(format_message) else str(error))
        return EXIT_USER_ERROR
    return result if isinstance(result, int) else EXIT_OK


def _error(message: str) -> None:
    text = " ".join(message.split())
    print(f"error: {text}", file=sys.stderr)


def run() -> None:
    """Console-script entry point."""
    sys.exit(main(sys.argv[1:], os.environ))
