"""`ldntrial evidence`: one line per condition, or one condition's full summary."""

import json

import pytest

from ldntrial.cli import main
from tests.conftest import NOW

ENV = {"COLUMNS": "200"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), ENV, now=NOW)
    out, err = capsys.readouterr()
    return code, out, err


def test_the_overview_has_one_line_per_condition(capsys):
    code, out, _ = run(capsys, "evidence")
    assert code == 0
    fibro = next(line for line in out.splitlines() if "Fibromyalgia" in line)
    assert "low" in fibro
    assert "372" in fibro
    assert "mixed" in fibro
    assert "very low" in next(line for line in out.splitlines() if "Complex regional" in line)


def test_one_condition_gives_the_full_summary_with_citations(capsys):
    code, out, _ = run(capsys, "evidence", "fibromyalgia")
    assert code == 0
    assert "Certainty of evidence: LOW (computed from the study records)" in out
    assert "Down 1 for imprecision: few participants in all (372; fewer than 400)" in out
    assert "DOI 10.1016/S2665-9913(23)00278-3, NCT04270877" in out
    assert "Proposed mechanisms (hypotheses, not established):" in out


def test_json_gives_the_grade_and_the_trials(capsys):
    code, out, _ = run(capsys, "evidence", "fibromyalgia", "--json")
    document = json.loads(out)
    assert code == 0
    assert (document["certainty"], document["randomised_trials"]) == ("low", 5)
    assert document["trials"][0]["name"] == "FINAL"
    assert [d["domain"] for d in document["downgrades"]] == ["imprecision", "inconsistency"]


def test_an_unknown_condition_is_a_user_error(capsys):
    code, _, err = run(capsys, "evidence", "gout")
    assert code == 2
    assert "unknown condition 'gout': choose from fibromyalgia" in err


def test_the_patient_handout_prints_as_plain_text(capsys):
    code = main(["evidence", "fibromyalgia", "--handout"], {"COLUMNS": "200"}, now=NOW)
    out = capsys.readouterr().out
    assert code == 0
    assert "LDN means low-dose naltrexone." in out
    assert "Carry a card" in out


def test_the_handout_needs_a_condition(capsys):
    assert main(["evidence", "--handout"], {}, now=NOW) == 2
    assert "--handout needs a condition" in capsys.readouterr().err
