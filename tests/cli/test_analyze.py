"""`ldntrial analyze`: usable without the web app; bad input named, nothing half-read."""

import json
import shutil
import subprocess
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


def run(capsys, *argv):
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
