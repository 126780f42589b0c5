"""`make example` runs the worked example: the same command line, run here through main()."""

import json
import re
import shlex
from pathlib import Path

from icalendar import Calendar

from ldntrial.cli import main
from tests.conftest import NOW

MAKEFILE = Path(__file__).resolve().parent.parent / "Makefile"


def make_example_argv():
    recipe = MAKEFILE.read_text(encoding="utf-8").split("\nexample:", 1)[1].split("\n\n", 1)[0]
    command = re.sub(r"\\\n\s*", " ", recipe).split("$(BIN)/ldntrial", 1)[1]
    return shlex.split(command)


def test_make_example_plans_a_fibromyalgia_trial_starting_tomorrow(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(make_example_argv(), {"TZ": "Europe/London"}, now=NOW) == 0
    out = capsys.readouterr().out
    assert "LDN trial protocol - Fibromyalgia" in out
    protocol = json.loads((tmp_path / "out/protocol.json").read_text())["protocol"]
    assert protocol["condition"] == "fibromyalgia"
    assert protocol["start_date"] == "2026-11-28"  # the day after NOW in London
    calendar = Calendar.from_ical((tmp_path / "out/dosing.ics").read_bytes())
    assert calendar.walk("VEVENT")
    assert "PRESCRIPTION" in (tmp_path / "out/prescription.txt").read_text()
