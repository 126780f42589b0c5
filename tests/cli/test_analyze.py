"""`ldntrial analyze`: usable without the web app; bad input named, nothing half-read."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ldntrial.cli import main
from tests.conftest import NOW

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ENV = {"COLUMNS": "200"}


@pytest.fixture
def files(tmp_path):
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    return tmp_path / "examples"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), ENV, now=NOW)
    out, err = capsys.readouterr()
    return code, out, err


def test_the_example_diary_is_analysed_with_a_suggested_decision(capsys, files):
    code, out, _ = run(
        capsys, "analyze", str(files / "diary.csv"), "--protocol", str(files / "protocol.json")
    )
    assert code == 0
    assert "Change from baseline in an open-label trial" in out
    assert "Pain (primary)" in out
    assert "Suggested decision: adjust (rule: partial_response)" in out


def test_json_holds_every_metric_and_the_decision(capsys, files):
    code, out, _ = run(
        capsys,
        "analyze",
        str(files / "diary.csv"),
        "--protocol",
        str(files / "protocol.json"),
        "--json",
    )
    document = json.loads(out)
    assert code == 0
    assert [m["metric"] for m in document["metrics"]] == ["pain", "sleep_quality", "function"]
    pain = document["metrics"][0]
    assert pain["interval_95"][0] < pain["effect_mean"] < pain["interval_95"][1] < 0
    assert document["decision"]["rule"] == "partial_response"


def test_the_pdf_report_renders_with_the_label_and_the_fingerprint(capsys, files, tmp_path):
    pdf = tmp_path / "report.pdf"
    code, _out, _ = run(
        capsys,
        "analyze",
        str(files / "diary.csv"),
        "--protocol",
        str(files / "protocol.json"),
        "--pdf",
        str(pdf),
    )
    assert code == 0
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    fingerprint = json.loads((files / "protocol.json").read_text())["fingerprint"]
    assert fingerprint in text.replace("\n", "")
    assert "includes placebo response" in text
    assert "Trial diagram" in text


def test_the_pdf_report_renders_without_any_django_project(files, tmp_path):
    """The CLI's own process, with no Django settings: the reports' standalone engine."""
    pdf = tmp_path / "report.pdf"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    done = subprocess.run(
        [
            *(sys.executable, "-m", "ldntrial", "analyze", str(files / "diary.csv")),
            *("--protocol", str(files / "protocol.json"), "--pdf", str(pdf)),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Trial diagram" in text
    assert "Suggested by the protocol's rules" in text


def test_a_bad_diary_is_refused_with_the_row_numbers(capsys, files):
    bad = files / "bad.csv"
    bad.write_text("date,pain\n2027-01-04,5\n2027-01-05,eleven\n")
    code, _, err = run(capsys, "analyze", str(bad), "--protocol", str(files / "protocol.json"))
    assert code == 2
    assert "row 3: pain 'eleven' is not a whole number from 0 to 10" in err


def test_a_missing_diary_file_is_named(capsys, files):
    code, _, err = run(capsys, "analyze", "nope.csv", "--protocol", str(files / "protocol.json"))
    assert code == 2
    assert "cannot read nope.csv: no such file" in err


def test_many_diaries_print_json_lines_equal_to_one_call_per_diary(capsys, files):
    # Three diaries: the example, one with a week missing, one where pain did not change.
    lines = (files / "diary.csv").read_text().splitlines()
    header, rows = lines[0], lines[1:]
    (files / "gappy.csv").write_text("\n".join([header, *rows[:50], *rows[57:]]) + "\n")
    flat = [",".join([r.split(",")[0], "6", *r.split(",")[2:]]) for r in rows]
    (files / "flat.csv").write_text("\n".join([header, *flat]) + "\n")
    diaries = [str(files / n) for n in ("diary.csv", "gappy.csv", "flat.csv")]
    protocol = str(files / "protocol.json")
    code, together, _ = run(capsys, "analyze", *diaries, "--protocol", protocol, "--json")
    assert code == 0
    one_by_one = "".join(
        run(capsys, "analyze", d, "--protocol", protocol, "--json")[1] for d in diaries
    )
    assert together == one_by_one  # the same text, byte for byte
    records = [json.loads(line) for line in together.splitlines()]
    assert [r["diary"] for r in records] == diaries
    assert records[0]["metrics"][0]["effect_mean"] != records[1]["metrics"][0]["effect_mean"]
    assert records[2]["metrics"][0]["sufficiency"] == "insufficient"  # pain never varied


def test_the_pgic_and_peg_go_into_the_decision_and_the_record(capsys, files):
    code, out, _ = run(
        capsys,
        "analyze",
        str(files / "diary.csv"),
        "--protocol",
        str(files / "protocol.json"),
        "--json",
        "--pgic",
        "2",
        "--peg-baseline",
        "7,6,7",
        "--peg-reassessment",
        "5,4,4",
    )
    assert code == 0
    visits = json.loads(out)["visits"]
    assert visits["pgic"] == "much_improved"
    assert visits["peg_change"] == pytest.approx(-7 / 3)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--pgic", "8"], "--pgic: '8' is not a global impression of change"),
        (["--peg-baseline", "7,6"], "--peg-baseline '7,6' is not PAIN,ENJOYMENT,ACTIVITY"),
        (["--peg-baseline", "7,6,11"], "PEG general activity: choose a whole number"),
    ],
)
def test_bad_visit_measures_are_refused(capsys, files, extra, message):
    code, _, err = run(
        capsys,
        "analyze",
        str(files / "diary.csv"),
        "--protocol",
        str(files / "protocol.json"),
        *extra,
    )
    assert code == 2
    assert message in err


def test_visit_measures_and_a_pdf_go_with_one_diary(capsys, files):
    code, _, err = run(
        capsys,
        "analyze",
        str(files / "diary.csv"),
        str(files / "diary.csv"),
        "--protocol",
        str(files / "protocol.json"),
        "--pgic",
        "2",
    )
    assert code == 2
    assert "go with one diary" in err


def test_a_bad_diary_among_many_is_named(capsys, files):
    bad = files / "bad.csv"
    bad.write_text("date,pain\n2027-01-04,5\n2027-01-05,eleven\n")
    code, _, err = run(
        capsys,
        "analyze",
        str(files / "diary.csv"),
        str(bad),
        "--protocol",
        str(files / "protocol.json"),
    )
    assert code == 2
    assert "bad.csv: the diary was not read: row 3" in err


def test_simulate_prints_the_operating_characteristics(capsys):
    code, out, _ = run(capsys, "simulate", "--trials", "60")
    assert code == 0
    assert "Operating characteristics of the decision" in out
    assert "titration days left out of the comparison" in out
    for change in ("0%", "10%", "20%", "30%", "40%", "50%"):
        assert f"│ {change}" in out


def test_simulate_refuses_a_silly_trial_count(capsys):
    code, _, err = run(capsys, "simulate", "--trials", "5")
    assert code == 2
    assert "--trials 5 is not accepted" in err
