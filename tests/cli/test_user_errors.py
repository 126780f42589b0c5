"""Every user error: one line on stderr naming what was wrong and how to fix it, exit 2."""

import json

import pytest

from ldntrial.cli import main
from tests.conftest import NOW

PLAN = ["plan", "--condition", "fibromyalgia", "--start", "2027-01-04"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["plan", "--condition", "fibro"], "unknown condition 'fibro': choose from fibromyalgia"),
        (["plan"], "Missing option '--condition'"),
        ([*PLAN, "--bogus"], "No such option: --bogus"),
        (
            ["plan", "--condition", "crps", "--start", "04/01/2027"],
            "--start '04/01/2027' is not a date: use YYYY-MM-DD",
        ),
        ([*PLAN, "--start-dose", "0"], "start dose: dose 0 mg is not possible"),
        ([*PLAN, "--start-dose", "-1"], "start dose: dose -1 mg is not possible"),
        ([*PLAN, "--step", "abc"], "step size: dose 'abc' is not a number"),
        ([*PLAN, "--target", "nan"], "target dose: dose must be a finite number"),
        ([*PLAN, "--target", "75"], "target dose: dose 75 mg is not a low dose"),
        (
            [*PLAN, "--target", "7"],
            "target dose 7 mg is above the highest daily dose studied "
            "(6 mg): the accepted range is more than 0 mg up to 6 mg",
        ),
        ([*PLAN, "--target", "1"], "target dose 1 mg is below the start dose 1.5 mg"),
        ([*PLAN, "--interval", "0"], "step interval 0 days is not possible"),
        ([*PLAN, "--interval", "two"], "Invalid value for '--interval'"),
        ([*PLAN, "--timing", "noon"], "timing 'noon' is not known: use night or morning"),
        (
            [*PLAN, "--start-dose", "3"],
            "start dose 3 mg is above the usual starting range "
            "(0.5–1.5 mg). If this is intended, accept it explicitly (--allow start-above-usual)",
        ),
        ([*PLAN, "--target", "6"], "--allow target-above-usual"),
        ([*PLAN, "--interval", "2"], "--allow steps-too-close"),
        ([*PLAN, "--allow", "whatever"], "unknown warning 'whatever': the warnings are"),
        (
            [*PLAN, "--baseline-days", "5"],
            "a baseline of 5 days is too short: it must be at least 7 days",
        ),
        (
            [*PLAN, "--reassess", "2027-02-01"],
            "must fall in weeks 8–12 (2027-03-15 to 2027-04-12), or give an override reason",
        ),
        ([*PLAN, "--reassess", "2027-01-10"], "is not after the first dose (2027-01-18)"),
        ([*PLAN, "--metric", "stiffness"], "unknown metric 'stiffness': choose from pain"),
        ([*PLAN, "--success-relative", "30"], "0.30 means 30%"),
        (
            [*PLAN, "--success-relative", "0.3", "--success-points", "2"],
            "give either a relative or an absolute improvement, not both",
        ),
        ([*PLAN, "--success-probability", "0.3"], "probability threshold 0.3 is not accepted"),
        (
            [*PLAN, "--formulation", "patch"],
            "formulation 'patch' is not known: use capsules or liquid",
        ),
        (
            [*PLAN, "--formulation", "liquid", "--concentration", "x"],
            "concentration 'x' is not a number of mg/mL",
        ),
        (
            [*PLAN, "--formulation", "liquid", "--concentration", "0"],
            "liquid concentration 0 mg/mL is not possible",
        ),
        (
            [*PLAN, "--strength", "2"],
            "1.5 mg cannot be made from the capsule strengths offered "
            "(2 mg): add a 1.5 mg strength or change the dose",
        ),
        ([*PLAN, "--overage", "150"], "overage 150% is not accepted: use 0 to 100%"),
        ([*PLAN, "--tz", "Mars/Olympus"], "time zone 'Mars/Olympus' is not known"),
        ([*PLAN, "--night-time", "10pm"], "--night-time '10pm' is not a time: use HH:MM"),
        ([*PLAN, "--reminder-minutes", "-5"], "--reminder-minutes -5 is not accepted"),
        ([*PLAN, "--custom-step", "2027-01-18"], "--custom-step '2027-01-18' is not DATE:MG"),
        ([*PLAN, "--custom-step", "2027-01-18:0"], "--custom-step '2027-01-18:0': dose 0 mg"),
        ([*PLAN, "--custom-step", "2027-01-20:1"], "must start on the first dose day, 2027-01-18"),
        (
            [*PLAN, "--custom-step", "2027-01-18:1", "--custom-step", "2027-02-01:9"],
            "(9 mg) is above the highest daily dose studied",
        ),
        (["protocol", "show", "missing.json"], "cannot read missing.json: no such file"),
        (["protocol", "lock"], "Missing argument 'file'"),
    ],
)
def test_a_user_error_is_one_line_with_exit_code_2(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code = main(argv, {}, now=NOW)
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    assert message in err
    assert "Traceback" not in err


def test_a_file_that_is_not_json_is_named_with_the_position(capsys, tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{"format": ')
    assert main(["protocol", "show", str(path)], {}, now=NOW) == 2
    assert f"{path} is not valid JSON (line 1, column 12" in capsys.readouterr().err


def test_a_protocol_file_with_a_bad_field_names_the_file_and_the_field(capsys, tmp_path):
    path = tmp_path / "p.json"
    assert main([*PLAN, "--out-protocol", str(path)], {}, now=NOW) == 0
    document = json.loads(path.read_text())
    document["protocol"]["baseline_days"] = 3
    path.write_text(json.dumps(document))
    capsys.readouterr()
    assert main(["protocol", "lock", str(path)], {}, now=NOW) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: ")
    assert "baseline" in err
    assert json.loads(path.read_text())["locked_at"] is None  # nothing was written


def test_an_unwritable_output_is_reported_and_nothing_else_is_lost(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("keep me")
    code = main([*PLAN, "--ics", str(blocker / "dosing.ics")], {}, now=NOW)
    assert code == 2
    assert f"cannot write {blocker / 'dosing.ics'}" in capsys.readouterr().err
    assert blocker.read_text() == "keep me"
