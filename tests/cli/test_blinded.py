"""Blinded n-of-1 trials at the command line: plan --design blinded, the pharmacy's sealed
allocation and sheet, and analyze with the unblinded allocation. The allocation never reaches
the clinician's output."""

import datetime as dt
import json

import numpy as np
import pytest

from ldntrial.cli import main
from ldntrial.core.analysis.blinded_validation import LEAD_IN_DAYS, blinded_schedule
from ldntrial.core.analysis.simulation import Noise, Patient, simulate
from ldntrial.core.trial.randomisation import parse_key, unseal
from tests.conftest import ANA_TZ, NOW

ENV = {"COLUMNS": "200"}
POWER = ("--power-trials", "100")


def run(capsys, *argv):
    code = main(list(argv), ENV, now=NOW)
    out, err = capsys.readouterr()
    return code, out, err


def plan(capsys, tmp_path, *extra):
    return run(
        capsys,
        "plan",
        "--condition",
        "fibromyalgia",
        "--tz",
        ANA_TZ,
        "--start",
        "2027-01-04",
        "--design",
        "blinded",
        *POWER,
        *extra,
    )


@pytest.fixture
def pharmacy(capsys, tmp_path):
    key = tmp_path / "pharmacy.key"
    assert run(capsys, "pharmacy", "new-key", "--out", str(key))[0] == 0
    sealed, protocol = tmp_path / "allocation.sealed", tmp_path / "protocol.json"
    code, out, err = plan(
        capsys,
        tmp_path,
        "--pharmacy",
        str(sealed),
        "--key-file",
        str(key),
        "--out-protocol",
        str(protocol),
    )
    assert (code, err) == (0, "")
    return key, sealed, protocol, out


def test_plan_blinded_prints_the_design_its_power_and_the_kits(capsys, tmp_path):
    code, out, err = plan(capsys, tmp_path)
    assert (code, err) == (0, "")
    assert "Design: blinded n of 1" in out
    assert "3 blocks of one LDN and one identical placebo period" in out
    assert "Blinded periods (arms concealed)" in out
    assert "Simulated power (100 trials per row" in out
    assert "no difference (false positives)" in out
    assert "2 points better" in out
    assert "Kit 6 of 6" in out
    assert "Allocation: not drawn yet" in out
    assert "Pain should be lower on LDN than on placebo by at least 30% of the placebo level" in out


def test_the_pharmacy_option_seals_the_allocation_and_the_protocol_commits_to_it(pharmacy):
    key, sealed, protocol_file, out = pharmacy
    document = json.loads(protocol_file.read_text())
    commitment = document["protocol"]["blinded"]["allocation_commitment"]
    allocation = unseal(sealed.read_bytes(), parse_key(key.read_text()))
    assert allocation.commitment == commitment
    assert f"commitment {commitment}" in out
    assert oct(sealed.stat().st_mode & 0o777) == "0o600"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    # Neither the clinician's output nor the protocol shows which period is which.
    sequence = ", ".join(f"{i}: {a.value}" for i, a in enumerate(allocation.arms, start=1))
    assert sequence not in out
    assert "active" not in json.dumps(document)


def test_the_pharmacy_sheet_needs_the_key_and_shows_what_each_kit_holds(capsys, pharmacy):
    key, sealed, protocol_file, _ = pharmacy
    code, out, err = run(
        capsys,
        "pharmacy",
        "sheet",
        "--protocol",
        str(protocol_file),
        "--allocation",
        str(sealed),
        "--key-file",
        str(key),
    )
    assert (code, err) == (0, "")
    assert "PHARMACY ONLY" in out
    assert out.count("naltrexone 4.5 mg per capsule") == 3
    assert out.count("no naltrexone") == 3
    assert "identical" in out


def test_analyze_unblinds_a_diary_with_the_sealed_allocation(capsys, tmp_path, pharmacy):
    key, sealed, protocol_file, _ = pharmacy
    allocation = unseal(sealed.read_bytes(), parse_key(key.read_text()))
    from ldntrial.cli.app import read_protocol

    protocol = read_protocol(protocol_file)
    assert protocol.blinded is not None
    diary = simulate(
        blinded_schedule(protocol.blinded, allocation.arms, LEAD_IN_DAYS),
        Patient(6.5, -2.5, Noise(1.0, 0.4)),
        np.random.default_rng(3),
    )
    first = protocol.periods()[0].first - dt.timedelta(days=LEAD_IN_DAYS)
    lines = ["date,pain"] + [
        f"{(first + dt.timedelta(days=int(d))).isoformat()},{int(s)}"
        for d, s in zip(diary.days, diary.scores, strict=True)
    ]
    path = tmp_path / "diary.csv"
    path.write_text("\n".join(lines) + "\n")
    args = ("analyze", str(path), "--protocol", str(protocol_file))
    unblind = ("--allocation", str(sealed), "--key-file", str(key))
    code, out, err = run(capsys, *args, *unblind, "--guess", "1:ldn", "--guess", "2:dont_know")
    assert (code, err) == (0, "")
    assert "LDN minus identical placebo" in out
    assert "Sequence after unblinding: 1:" in out
    assert "Blinding check:" in out
    code, out, err = run(capsys, *args, *unblind, "--json")
    record = json.loads(out)
    pain = next(m for m in record["metrics"] if m["metric"] == "pain")
    assert pain["effect_mean"] < 0
    assert pain["p_better"] > 0.95
    assert record["sequence"] == [a.value for a in allocation.arms]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--pharmacy", "x.sealed"), "--pharmacy needs --key-file"),
        (("--key-file", "k"), "--key-file goes with --pharmacy"),
        (("--pairs", "1"), "pairs must be a whole number from 2 to 8"),
        (("--period-run-in", "13"), "leaves 1 analysed days"),
        (("--power-trials", "3"), "simulate 20 to 20000 trials"),
    ],
)
def test_bad_blinded_plans_are_one_line_errors(capsys, tmp_path, extra, message):
    code, _, err = plan(capsys, tmp_path, *extra)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_an_unknown_design_and_blinded_options_on_an_open_plan_are_refused(capsys):
    base = ("plan", "--condition", "fibromyalgia", "--tz", ANA_TZ)
    code, _, err = run(capsys, *base, "--design", "crossover")
    assert code == 2
    assert "--design 'crossover' is not known: use open or blinded" in err
    code, _, err = run(capsys, *base, "--no-capsule")
    assert code == 2
    assert "go with --design blinded" in err


def test_analyze_refuses_a_blinded_diary_without_its_allocation_or_with_the_wrong_key(
    capsys, tmp_path, pharmacy
):
    key, sealed, protocol_file, _ = pharmacy
    diary = tmp_path / "d.csv"
    diary.write_text("date,pain\n2027-02-20,5\n")
    args = ("analyze", str(diary), "--protocol", str(protocol_file))
    code, _, err = run(capsys, *args)
    assert code == 2
    assert "analysed with its unblinded allocation" in err
    other = tmp_path / "other.key"
    run(capsys, "pharmacy", "new-key", "--out", str(other))
    code, _, err = run(capsys, *args, "--allocation", str(sealed), "--key-file", str(other))
    assert code == 3
    assert "cannot be opened with this key" in err
    code, _, err = run(
        capsys, *args, "--allocation", str(sealed), "--key-file", str(key), "--guess", "x"
    )
    assert code == 2
    assert "is not PERIOD:GUESS" in err


def test_a_key_is_never_overwritten(capsys, tmp_path):
    key = tmp_path / "k"
    assert run(capsys, "pharmacy", "new-key", "--out", str(key))[0] == 0
    code, _, err = run(capsys, "pharmacy", "new-key", "--out", str(key))
    assert code == 2
    assert "never overwritten" in err


def test_the_power_assumptions_can_be_changed_and_are_shown(capsys, tmp_path):
    code, out, err = plan(
        capsys, tmp_path, "--assume-onset-days", "10", "--assume-carryover-days", "14"
    )
    assert (code, err) == (0, "")
    assert "onset over 10 days, carry-over fading over 14 days" in out
    code, _, err = plan(capsys, tmp_path, "--assume-carryover-days", "90")
    assert code == 2
    assert "carryover days must be 0 to 56" in err


def test_protocol_show_lists_the_periods_and_kits_of_a_blinded_protocol(capsys, pharmacy):
    _, _, protocol_file, _ = pharmacy
    code, out, err = run(capsys, "protocol", "show", str(protocol_file))
    assert (code, err) == (0, "")
    assert "Blinded periods (arms concealed)" in out
    assert "Kit 6 of 6" in out


def test_the_effects_to_detect_can_be_chosen(capsys, tmp_path):
    code, out, err = plan(capsys, tmp_path, "--power-effect", "1.5", "--power-effect", "3")
    assert (code, err) == (0, "")
    assert "1.5 points better" in out
    assert "3 points better" in out
    assert "2 points better" not in out


def test_unreadable_keys_and_allocations_are_clear_errors(capsys, tmp_path, pharmacy):
    key, sealed, protocol_file, _ = pharmacy
    bad_key = tmp_path / "bad.key"
    bad_key.write_text("not a key\n")
    sheet = ("pharmacy", "sheet", "--protocol", str(protocol_file))
    code, _, err = run(capsys, *sheet, "--allocation", str(sealed), "--key-file", str(bad_key))
    assert code == 2
    assert "this is not an allocation key" in err
    code, _, err = run(
        capsys, *sheet, "--allocation", str(tmp_path / "missing"), "--key-file", str(key)
    )
    assert code == 2
    assert "cannot read" in err
    diary = tmp_path / "d.csv"
    diary.write_text("date,pain\n2027-02-20,5\n")
    code, _, err = run(
        capsys, "analyze", str(diary), "--protocol", str(protocol_file), "--allocation", str(sealed)
    )
    assert code == 2
    assert "--allocation needs --key-file" in err
    code, _, err = run(
        capsys,
        "analyze",
        str(diary),
        "--protocol",
        str(protocol_file),
        "--allocation",
        str(sealed),
        "--key-file",
        str(key),
        "--guess",
        "1:ldn",
        "--guess",
        "1:placebo",
    )
    assert code == 2
    assert "period 1 is given twice" in err


def test_an_open_label_protocol_has_no_sheet_and_takes_no_allocation(capsys, tmp_path, pharmacy):
    key, sealed, _, _ = pharmacy
    open_label = tmp_path / "open.json"
    code, _, _ = run(
        capsys, "plan", "--condition", "fibromyalgia", "--out-protocol", str(open_label)
    )
    assert code == 0
    code, _, err = run(
        capsys,
        "pharmacy",
        "sheet",
        "--protocol",
        str(open_label),
        "--allocation",
        str(sealed),
        "--key-file",
        str(key),
    )
    assert code == 2
    assert "open-label protocol: it has no kits" in err
    diary = tmp_path / "d.csv"
    diary.write_text("date,pain\n2027-02-20,5\n")
    code, _, err = run(
        capsys, "analyze", str(diary), "--protocol", str(open_label), "--allocation", str(sealed)
    )
    assert code == 2
    assert "go with a blinded protocol" in err
