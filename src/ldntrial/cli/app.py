"""The Typer application, its sub-apps, the environment and shared parsing helpers."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
import typer.core
from rich.console import Console

from ldntrial import data
from ldntrial.core.doses import Dose
from ldntrial.core.errors import InvalidValue, LdnTrialError
from ldntrial.core.trial.document import protocol_from_document
from ldntrial.core.trial.drug import Timing
from ldntrial.core.trial.protocol import (
    Protocol,
    require_time_zone,
)
from ldntrial.core.trial.titration import (
    DoseStep,
    StepReason,
    parse_timing,
)

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


def _show_type(self: Any, ctx: Any) -> str | None:
    """The value column of --help: nothing for a flag (Typer 0.29 shows "<bool>" there, as if
    --json took a value) and click's words (TEXT, INTEGER, TEXT... when repeatable)."""
    if self.metavar is not None:
        return str(self.metavar)
    if getattr(self, "is_flag", False):
        return None
    shown = _TYPER_SHOW_TYPE[type(self)](self, ctx)
    return None if shown is None else _METAVARS.get(shown.removesuffix("..."), shown)


_METAVARS = {
    "<str>": "TEXT",
    "<int>": "INTEGER",
    "<float>": "NUMBER",
    "<Path>": "PATH",
    "<path>": "PATH",
    "<list[str]>": "TEXT...",
    "<list[Path]>": "PATH...",
}


_TYPER_SHOW_TYPE = {
    kind: kind.display_type_rich for kind in (typer.core.TyperOption, typer.core.TyperArgument)
}
for _kind in _TYPER_SHOW_TYPE:
    _kind.display_type_rich = _show_type  # type: ignore[method-assign]

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
keys_app = typer.Typer(
    help="The web app's keys kept outside the database (audit, signing, storage).",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")


def environment_of(ctx: typer.Context) -> Environment:
    env = ctx.find_root().obj
    if not isinstance(env, Environment):
        raise RuntimeError("ldntrial commands run through ldntrial.cli.main")
    return env


# Parsing and files.


def parse_date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValue(f"{option} {text!r} is not a date: use YYYY-MM-DD") from None


def parse_dose_times(night: str | None, morning: str | None) -> dict[Timing, dt.time]:
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


def parse_minutes(value: int) -> int:
    if not 0 <= value <= 24 * 60:
        raise InvalidValue(f"--reminder-minutes {value} is not accepted: use 0 to 1440")
    return value


def parse_custom_step(text: str, *, default_timing: str) -> DoseStep:
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise InvalidValue(
            f"--custom-step {text!r} is not DATE:MG or DATE:MG:TIMING, e.g. 2027-01-04:1.5:night"
        )
    day = parse_date(parts[0], "--custom-step")
    try:
        dose = Dose(parts[1])
    except InvalidValue as error:
        raise InvalidValue(f"--custom-step {text!r}: {error}") from None
    return DoseStep(
        day, dose, parse_timing(parts[2] if len(parts) == 3 else default_timing), StepReason.CUSTOM
    )


def json_text(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def read_text_file(path: Path) -> str:
    """A UTF-8 file's text, or a user error naming the file and what went wrong."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidValue(f"cannot read {path}: no such file") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as error:
        raise InvalidValue(f"cannot read {path}: {error.__class__.__name__}") from None


def read_protocol(path: Path) -> Protocol:
    text = read_text_file(path)
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


def write_atomically(path: Path, content: str | bytes) -> None:
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
