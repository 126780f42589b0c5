"""What a newcomer types first works as written: the database jobs of the README before
`make run` has ever run, in a fresh data directory, print no traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each runs the command in a fresh process, with its own database


def ldntrial(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env |= {"LDNTRIAL_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "120"}
    env.pop("LDNTRIAL_OWNER_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "ldntrial", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_demo_and_audit_jobs_work_before_the_web_app_ever_ran(tmp_path):
    demo = ldntrial(tmp_path, "demo")
    assert demo.returncode == 0, demo.stderr
    assert "Traceback" not in demo.stderr
    assert "demo-clinician" in demo.stdout
    verify = ldntrial(tmp_path, "audit", "verify")
    assert verify.returncode == 0, verify.stderr
    assert "Audit trail intact" in verify.stdout


def test_createadmin_in_a_fresh_directory_creates_the_database_first(tmp_path):
    env_password = {"LDNTRIAL_ADMIN_PASSWORD": "a-long-enough-password-42"}
    os.environ.update(env_password)
    try:
        made = ldntrial(tmp_path, "createadmin", "--clinic", "My clinic", "--username", "admin")
    finally:
        os.environ.pop("LDNTRIAL_ADMIN_PASSWORD")
    assert made.returncode == 0, made.stderr
    assert "Created clinic admin admin for My clinic" in made.stdout


def _commands():
    import typer

    from ldntrial.cli import app

    def walk(group, prefix):
        for name, command in group.commands.items():
            if hasattr(command, "commands"):  # a group of commands
                yield from walk(command, [*prefix, name])
            else:
                yield [*prefix, name]

    return list(walk(typer.main.get_command(app), []))


def test_every_help_page_shows_values_not_types(tmp_path):
    commands = _commands()
    assert ["audit", "verify"] in commands
    for command in commands:
        shown = ldntrial(tmp_path, *command, "--help")
        assert shown.returncode == 0, command
        assert "<" not in shown.stdout, (command, shown.stdout)
