"""`ldntrial protocol lock` and `ldntrial protocol show`."""

import json

import pytest

from ldntrial.cli import main
from tests.conftest import NOW

ENV = {"COLUMNS": "200"}


@pytest.fixture
def draft(tmp_path, capsys):
    path = tmp_path / "protocol.json"
    assert (
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
        == 0
    )
    capsys.readouterr()
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), ENV, now=NOW)
    out, err = capsys.readouterr()
    return code, out, err


def test_lock_fixes_the_protocol_in_place_with_time_and_fingerprint(draft, capsys):
    fingerprint = json.loads(draft.read_text())["fingerprint"]
    code, out, _ = run(capsys, "protocol", "lock", str(draft))
    document = json.loads(draft.read_text())
    assert code == 0
    assert document["locked_at"] == "2026-11-27T21:15:00Z"
    assert document["fingerprint"] == fingerprint
    assert f"Fingerprint: {fingerprint}" in out


def test_lock_can_write_elsewhere_and_leave_the_draft(draft, capsys, tmp_path):
    target = tmp_path / "locked.json"
    before = draft.read_text()
    code, _, _ = run(capsys, "protocol", "lock", str(draft), "--out", str(target))
    assert code == 0
    assert draft.read_text() == before
    assert json.loads(target.read_text())["locked_at"] is not None


def test_show_verifies_a_locked_protocol(draft, capsys):
    run(capsys, "protocol", "lock", str(draft))
    code, out, _ = run(capsys, "protocol", "show", str(draft))
    assert code == 0
    assert "Status: LOCKED" in out
    assert "(verified)" in out


def test_show_json_reprints_the_document(draft, capsys):
    code, out, _ = run(capsys, "protocol", "show", str(draft), "--json")
    assert code == 0
    assert json.loads(out) == json.loads(draft.read_text())


def test_a_locked_protocol_cannot_be_locked_again(draft, capsys):
    run(capsys, "protocol", "lock", str(draft))
    before = draft.read_text()
    code, _, err = run(capsys, "protocol", "lock", str(draft))
    assert code == 2
    assert "already locked at 2026-11-27T21:15:00Z" in err
    assert draft.read_text() == before


def test_a_locked_protocol_edited_by_hand_fails_verification_with_exit_3(draft, capsys):
    run(capsys, "protocol", "lock", str(draft))
    document = json.loads(draft.read_text())
    document["protocol"]["success"]["threshold"] = 0.1
    draft.write_text(json.dumps(document))
    tampered = draft.read_text()
    code, out, err = run(capsys, "protocol", "show", str(draft))
    assert code == 3
    assert out == ""
    assert err.startswith("error: ")
    assert "fingerprint mismatch: the locked protocol was changed after locking" in err
    assert draft.read_text() == tampered  # evidence is kept as found
