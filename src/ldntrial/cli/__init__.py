"""The ``ldntrial`` command line.

``main(argv, environ, now=...)`` takes every input as an argument, so tests call it directly.
User errors print one line (``error: ...``) and exit 2; an integrity failure (a locked protocol
changed after locking) exits 3. See the README for the exit codes.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Mapping, Sequence

import typer

from ldntrial.cli import (  # noqa: F401 - registers commands
    amend,
    analyze,
    blinded,
    evidence,
    plan,
    registry,
    screen,
    simulate,
    web,
)
from ldntrial.cli.app import EXIT_OK, EXIT_USER_ERROR, Environment, app
from ldntrial.core.errors import LdnTrialError, WarningsNotAccepted

__all__ = ["app", "main", "run"]


# Entry points.


def main(argv: Sequence[str], environ: Mapping[str, str], *, now: dt.datetime | None = None) -> int:
    """Run the CLI with ``argv`` (without the program name); return the exit code."""
    from django.core.exceptions import ImproperlyConfigured

    moment = now or dt.datetime.now(dt.UTC)
    command = typer.main.get_command(app)
    try:
        result = command.main(
            args=list(argv),
            prog_name="ldntrial",
            standalone_mode=False,
            obj=Environment(environ, moment),
        )
    except WarningsNotAccepted as error:
        _error(f"{error} ({' '.join(f'--allow {code}' for code in error.codes)})")
        return error.exit_code
    except LdnTrialError as error:
        _error(str(error))
        return error.exit_code
    except ImproperlyConfigured as error:
        # The web app's settings refused the environment (a bad variable, files open to others).
        _error(str(error))
        return EXIT_USER_ERROR
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
