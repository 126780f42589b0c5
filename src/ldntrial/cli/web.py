"""The web app's command-line jobs: createadmin, demo, totp-code, audit verify, serve."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from ldntrial.cli.app import (
    app,
    audit_app,
    environment_of,
    keys_app,
)
from ldntrial.core.errors import IntegrityFailure, InvalidValue

# The web app's jobs. Django is set up only when one of these runs.


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ldntrial.web.settings")
    import django

    django.setup()


def _database() -> None:
    """Django, with the database brought up to date first: a job run before `make run` (or
    after an upgrade) finds its tables instead of failing with "no such table"."""
    _django()
    from ldntrial.web import commands

    commands.migrate()


@app.command()
def migrate(ctx: typer.Context) -> None:
    """Create or update the web app's database (every command that needs it does this too)."""
    env = environment_of(ctx)
    _database()
    from django.conf import settings

    env.console.print(f"Database up to date: {settings.DATABASES['default']['NAME']}")


@app.command()
def createadmin(
    ctx: typer.Context,
    clinic: Annotated[str, typer.Option(help="The clinic's name (created if new).")],
    username: Annotated[str, typer.Option(help="The admin's username.")],
    email: Annotated[str, typer.Option(help="The admin's email address.")] = "",
) -> None:
    """Create a clinic's first account, its admin. Asks for the password (or reads
    $LDNTRIAL_ADMIN_PASSWORD when there is no terminal)."""
    env = environment_of(ctx)
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
    _database()
    from ldntrial.web import commands

    user = commands.create_admin(clinic=clinic, username=username, email=email, password=password)
    env.console.print(
        f"Created clinic admin {user.username} for {user.clinic.name}. Sign in at "
        "http://127.0.0.1:8000/ and set up the second step with an authenticator app."
    )


@app.command()
def demo(ctx: typer.Context) -> None:
    """Fill the database with a demo clinic: synthetic patients in every phase, weeks of diary."""
    env = environment_of(ctx)
    _database()
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
    env = environment_of(ctx)
    _database()
    from ldntrial.web import commands

    env.console.print(commands.totp_code(username))


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    anchors: Annotated[
        list[Path] | None,
        typer.Option(help="Exported anchor lines (from `audit anchor`) to check against too."),
    ] = None,
) -> None:
    """Check the audit trail: hashes, MACs, sequences against the anchored heads, and every
    audited row against its last audited state. Each problem is named (exit 3)."""
    env = environment_of(ctx)
    _database()
    from ldntrial.web import commands

    for path in anchors or []:
        if not path.is_file():
            raise InvalidValue(f"{path} is not a file of exported anchor lines")
    count, chains, problems = commands.verify_audit(list(anchors or []))
    if problems:
        raise IntegrityFailure(
            f"the audit trail is broken ({len(problems)} problem(s)): " + "; ".join(problems)
        )
    env.console.print(
        f"Audit trail intact: {count} events in {chains} chain(s); every hash and MAC checks, "
        "the anchored heads are there, and every audited row matches its last audited state."
    )


@audit_app.command("anchor")
def audit_anchor(ctx: typer.Context) -> None:
    """Append every chain head, signed, to the anchor file now, and print the lines: keep a
    copy outside this machine (mail, ticket, timestamping service) for `audit verify --anchors`."""
    env = environment_of(ctx)
    _database()
    from ldntrial.web import commands

    lines = commands.anchor_audit()
    for line in lines:
        print(line)
    env.console.print(f"Anchored {len(lines)} chain head(s).", style=None)


@keys_app.command("rotate")
def keys_rotate(
    ctx: typer.Context,
    purpose: Annotated[
        str,
        typer.Argument(help="audit, signing, storage, pseudonym, federation or allocation"),
    ],
) -> None:
    """Add a new current key for PURPOSE; older keys stay, so older records still verify.
    For storage, sealed TOTP secrets are moved to the new key."""
    env = environment_of(ctx)
    _database()
    from ldntrial.web import commands

    key_id, moved = commands.rotate_key(purpose)
    extra = f"; {moved} sealed secret(s) moved to it" if moved else ""
    env.console.print(f"New {purpose} key {key_id} is current{extra}.")


@app.command()
def serve(
    ctx: typer.Context,
    bind: Annotated[str, typer.Option(help="Address and port.")] = "127.0.0.1:8000",
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 2,
) -> None:
    """Apply migrations and run the web app under gunicorn."""
    env = environment_of(ctx)
    _database()

    from django.conf import settings

    from ldntrial.web.accounts.models import User

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
    os.execv(  # noqa: S606 - replaces this process with our own gunicorn, fixed arguments
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
