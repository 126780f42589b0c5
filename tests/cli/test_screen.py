"""`ldntrial screen`: a readable table, JSON, and exit codes that encode the verdict."""

import json

import pytest

from ldntrial.cli import main
from tests.conftest import NOW

ENV = {"COLUMNS": "200"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), ENV, now=NOW)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("meds", "code", "verdict"),
    [
        (["paracetamol 1g qds", "sertraline 50mg"], 0, "INFO"),
        (["levothyroxine 50mcg"], 10, "MONITOR"),
        (["Imodium 2mg"], 11, "CAUTION"),
        (["Zzzquil 500mg"], 12, "UNRECOGNISED"),
        (["Tylenol #3 1 tab prn", "metformin"], 13, "CONTRAINDICATED"),
    ],
)
def test_the_exit_code_encodes_the_verdict(capsys, meds, code, verdict):
    argv = [a for med in meds for a in ("--med", med)]
    exit_code, out, _ = run(capsys, "screen", *argv)
    assert exit_code == code
    assert f"Screening verdict: {verdict}" in out


def test_the_table_names_the_finding_the_reason_and_the_source(capsys):
    _, out, _ = run(capsys, "screen", "--med", "Co-codamol 30/500")
    assert "contraindicated" in out
    assert "codeine and paracetamol" in out
    assert "naltrexone blocks it" in out
    assert "https://" in out


def test_json_lists_each_finding_with_its_sources(capsys):
    code, out, _ = run(capsys, "screen", "--med", "oxycodon 5mg", "--med", "???", "--json")
    document = json.loads(out)
    assert code == 13
    assert document["verdict"] == "contraindicated"
    first, second = document["findings"]
    assert (first["medicine"], first["severity"], first["text"]) == (
        "oxycodone",
        "contraindicated",
        "oxycodon 5mg",
    )
    assert first["sources"][0]["url"].startswith("http")
    assert (second["severity"], second["text"]) == ("unrecognised", "???")


def test_situations_and_a_planned_operation_are_screened(capsys):
    code, out, _ = run(
        capsys,
        "screen",
        "--pregnant",
        "--condition",
        "autoimmune_thyroiditis",
        "--surgery-planned",
        "2027-01-20",
        "--json",
    )
    findings = json.loads(out)["findings"]
    assert code == 11
    assert [f["subject"] for f in findings] == [
        "Pregnancy",
        "Planned operation or procedure",
        "Autoimmune thyroiditis on thyroid hormone replacement",
    ]


def test_an_unknown_condition_is_a_user_error(capsys):
    code, _, err = run(capsys, "screen", "--condition", "gout")
    assert code == 2
    assert "unknown condition 'gout': choose from opioid_use_disorder_treatment" in err


def test_a_past_operation_date_is_a_user_error(capsys):
    code, _, err = run(capsys, "screen", "--surgery-planned", "2020-01-01")
    assert code == 2
    assert "the planned procedure date 2020-01-01 is in the past" in err


def test_a_last_dose_stops_a_listed_medicine_and_prints_the_earliest_first_dose(capsys):
    code, out, _ = run(
        capsys, "screen", "--med", "codeine 30mg", "--last-dose", "codeine 30mg=2026-11-20"
    )
    assert code == 11
    assert "Earliest first dose: 2026-12-01" in out


def test_a_last_dose_of_a_medicine_not_listed_adds_it_as_stopped(capsys):
    code, out, _ = run(capsys, "screen", "--last-dose", "methadone=2026-11-20", "--json")
    document = json.loads(out)
    assert code == 11
    assert document["earliest_first_dose"] == {
        "date": "2026-12-05",
        "medicine": "methadone (analgesic use)",
        "last_dose": "2026-11-20",
        "interval": "methadone",
        "interval_days": 14,
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("tramadol", "is not MED=YYYY-MM-DD"),
        ("tramadol=yesterday", "--last-dose"),
        ("tramadol=2027-01-01", "cannot be in the future"),
    ],
)
def test_a_bad_last_dose_is_one_line_that_says_how_to_fix_it(capsys, value, message):
    code, _, err = run(capsys, "screen", "--last-dose", value)
    assert code == 2
    assert err.startswith("error:")
    assert message in err
    assert "Traceback" not in err


def test_json_says_how_each_finding_matched(capsys):
    _, out, _ = run(capsys, "screen", "--med", "Norco 5/325", "--med", "tramadol/apap", "--json")
    matched = [f["matched_by"] for f in json.loads(out)["findings"]]
    assert sorted(matched) == ["component", "component", "normalised"]
