"""`ldntrial protocol amend`: the web app's amendments on a locked protocol file.

Protocol: fibromyalgia from 4 January 2027, first dose 18 January (1.5 mg), 3 mg from
1 February, 4.5 mg from 15 February, at night.
"""

import json

import pytest

from ldntrial.cli import main
from tests.conftest import NOW

ENV = {"COLUMNS": "200"}


@pytest.fixture
def locked(tmp_path, capsys):
    path = tmp_path / "protocol.json"
    plan = ["plan", "--condition", "fibromyalgia", "--start", "2027-01-04", "--out-protocol"]
    assert main([*plan, str(path)], ENV, now=NOW) == 0
    assert main(["protocol", "lock", str(path)], ENV, now=NOW) == 0
    capsys.readouterr()
    return path


def run(capsys, *argv):
    code = main(list(argv), ENV, now=NOW)
    out, err = capsys.readouterr()
    return code, out, err


def steps(path):
    document = json.loads(path.read_text())
    return [
        (s["start"], s["dose_mg"], s["timing"]) for s in document["protocol"]["titration"]["steps"]
    ]


def test_a_step_back_writes_a_new_locked_version_and_leaves_the_original(capsys, locked):
    before = locked.read_text()
    original = json.loads(before)["fingerprint"]
    code, out, err = run(
        capsys,
        "protocol",
        "amend",
        str(locked),
        "--kind",
        "step-back",
        "--on",
        "2027-02-03",
        "--today",
        "2027-02-03",
        "--reason",
        "vivid dreams at 3 mg",
    )
    assert code == 0, err
    assert locked.read_text() == before  # the locked original is untouched
    amended = locked.with_name("protocol-amended.json")
    document = json.loads(amended.read_text())
    assert document["locked_at"] is not None
    assert document["fingerprint"] != original
    assert f"Amends:      {original}" in out
    assert f"Fingerprint: {document['fingerprint']}" in out
    assert "removed: from 2027-02-15 4.5 mg night" in out
    assert steps(amended)[-1] == ("2027-02-03", 1.5, "night")
    # The amended file reads back as a locked protocol (its fingerprint verified).
    code, out, _ = run(capsys, "protocol", "show", str(amended))
    assert code == 0


@pytest.mark.parametrize(
    ("options", "last_step"),
    [
        (["--kind", "hold", "--hold-days", "7"], ("2027-02-22", 4.5, "night")),
        (["--kind", "switch-timing", "--timing", "morning"], ("2027-02-15", 4.5, "morning")),
        (
            ["--kind", "replace-schedule", "--step", "2027-02-03:2.5:night"],
            ("2027-02-03", 2.5, "night"),
        ),
    ],
)
def test_each_kind_of_amendment(capsys, locked, tmp_path, options, last_step):
    out_path = tmp_path / "v2.json"
    code, _, err = run(
        capsys,
        "protocol",
        "amend",
        str(locked),
        "--on",
        "2027-02-03",
        "--today",
        "2027-02-03",
        "--reason",
        "clinical reasons",
        "--out",
        str(out_path),
        "--allow",
        "steps-too-close",
        *options,
    )
    assert code == 0, err
    assert steps(out_path)[-1] == last_step


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--kind", "pause"], "amendment 'pause' is not known"),
        (["--kind", "hold"], "hold for 1 to 84 days"),
        (
            ["--kind", "hold", "--hold-days", "3", "--today", "2027-02-04"],
            "doses already taken cannot change",
        ),
        (["--kind", "step-back", "--reason", " "], "say why"),
    ],
)
def test_a_wrong_amendment_is_one_line_and_exit_2(capsys, locked, options, message):
    argv = ["protocol", "amend", str(locked), "--on", "2027-02-03", "--reason", "x"]
    if "--today" not in options:
        argv += ["--today", "2027-02-03"]
    code, _, err = run(capsys, *argv, *options)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert not locked.with_name("protocol-amended.json").exists()


def test_a_draft_is_not_amended(capsys, tmp_path):
    path = tmp_path / "draft.json"
    main(
        [
            "plan",
            "--condition",
            "fibromyalgia",
            "--start",
            "2027-01-04",
            "--out-protocol",
            str(path),
        ],
        ENV,
        now=NOW,
    )
    code, _, err = run(
        capsys,
        "protocol",
        "amend",
        str(path),
        "--kind",
        "step-back",
        "--on",
        "2027-02-03",
        "--today",
        "2027-02-03",
        "--reason",
        "x",
    )
    assert code == 2
    assert "edit the draft" in err
