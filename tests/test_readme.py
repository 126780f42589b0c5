"""The README's example commands run, in order, and print what the README shows."""

import re
import shlex
from pathlib import Path

import pytest

from ldntrial.cli import main
from tests.conftest import NOW

README = Path(__file__).resolve().parent.parent / "README.md"


def examples():
    """(command, shown output lines) for each `$ ldntrial ...` line in console blocks."""
    blocks = re.findall(r"```console\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    found: list[tuple[str, list[str]]] = []
    for block in blocks:
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            elif line.strip():
                found[-1][1].append(line)
    return found


def squash(text):
    return " ".join(text.split())


def test_the_readme_starts_with_the_two_commands():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert lines[2] == "```sh"
    assert lines[3].startswith("make run ")
    assert lines[4].startswith("make test ")


def test_the_readme_has_examples():
    assert len(examples()) >= 8


def test_every_readme_example_runs_and_prints_what_the_readme_shows(tmp_path, monkeypatch, capsys):
    import shutil

    shutil.copytree(README.parent / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    for command, shown in examples():
        argv = shlex.split(command, comments=True)
        assert argv[0] == "ldntrial"
        code = main(argv[1:], {"COLUMNS": "200"}, now=NOW)
        out, err = capsys.readouterr()
        expects_error = any(line.startswith("error:") for line in shown)
        stated = re.search(r"#\s*exit (\d+)\s*$", command)
        expected = int(stated.group(1)) if stated else (2 if expects_error else 0)
        assert code == expected, (command, err)
        printed = squash(out + err)
        for line in shown:
            assert squash(line) in printed, (command, line)
    assert (tmp_path / "protocol.json").exists()
    assert (tmp_path / "dosing.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")


@pytest.mark.parametrize("target", ["run", "example", "test", "bench", "validate", "lint"])
def test_the_makefile_has_the_targets_the_readme_names(target):
    makefile = (README.parent / "Makefile").read_text(encoding="utf-8")
    assert re.search(rf"^{target}:", makefile, re.M)
