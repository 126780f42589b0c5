"""`ldntrial plan`, called through main(argv, environ, now=...) as a user would call it."""

import datetime as dt
import json
from collections.abc import Mapping

import pytest
from icalendar import Calendar

from ldntrial.cli import main
from tests.conftest import ANA_TZ, BEA_TZ, NOW

ENV = {"COLUMNS": "200"}


def run(
    capsys: pytest.CaptureFixture[str],
    *argv: str,
    environ: Mapping[str, str] = ENV,
    now: dt.datetime = NOW,
) -> tuple[int, str, str]:
    code = main(list(argv), environ, now=now)
    out, err = capsys.readouterr()
    return code, out, err


def test_plan_prints_the_phases_schedule_metrics_and_success_criterion(capsys):
    code, out, err = run(capsys, "plan", "--condition", "fibromyalgia", "--tz", ANA_TZ)
    assert (code, err) == (0, "")
    assert "LDN trial protocol - Fibromyalgia" in out
    assert "Status: DRAFT (not locked)" in out
    for row in (
        "baseline",
        "titration",
        "maintenance",
        "reassessment",
        "1.5 mg",
        "3 mg",
        "4.5 mg",
        "Pain (primary)",
        "72514-3",
        "Sleep quality",
        "Daily function",
    ):
        assert row in out
    assert "Pain should fall at least 30% from the baseline mean" in out
    assert "includes placebo response" in out


@pytest.mark.parametrize(
    ("zone", "first_day"),
    # 21:15 UTC on 27 November is already 28 November in Auckland (UTC+13).
    [(ANA_TZ, "2026-11-28"), (BEA_TZ, "2026-11-28"), ("Pacific/Auckland", "2026-11-29")],
)
def test_the_trial_starts_tomorrow_in_the_patients_time_zone(capsys, zone, first_day):
    code, out, _ = run(capsys, "plan", "--condition", "fibromyalgia", "--tz", zone, "--json")
    assert code == 0
    assert json.loads(out)["protocol"]["start_date"] == first_day


def test_the_time_zone_defaults_to_the_environment(capsys):
    code, out, _ = run(
        capsys,
        "plan",
        "--condition",
        "crps",
        "--json",
        environ={"LDNTRIAL_TIMEZONE": "Pacific/Auckland"},
    )
    assert code == 0
    assert json.loads(out)["protocol"]["time_zone"] == "Pacific/Auckland"


def test_plan_json_is_the_protocol_document_with_its_fingerprint(capsys):
    code, out, _ = run(
        capsys, "plan", "--condition", "fibromyalgia", "--start", "2027-01-04", "--json"
    )
    document = json.loads(out)
    assert code == 0
    assert document["format"] == "ldntrial.protocol/1"
    assert document["locked_at"] is None
    assert len(document["fingerprint"]) == 64
    steps = document["protocol"]["titration"]["steps"]
    assert [(s["start"], s["dose_mg"]) for s in steps] == [
        ("2027-01-18", 1.5),
        ("2027-02-01", 3),
        ("2027-02-15", 4.5),
    ]


def test_plan_writes_the_protocol_calendar_and_prescription(capsys, tmp_path):
    out_dir = tmp_path / "out"
    code, out, _ = run(
        capsys,
        "plan",
        "--condition",
        "fibromyalgia",
        "--patient",
        "EXAMPLE-001",
        "--start",
        "2027-01-04",
        "--tz",
        ANA_TZ,
        "--out-protocol",
        str(out_dir / "protocol.json"),
        "--ics",
        str(out_dir / "dosing.ics"),
        "--prescription-file",
        str(out_dir / "prescription.txt"),
    )
    assert code == 0
    assert f"Wrote calendar: {out_dir / 'dosing.ics'}" in out
    protocol = json.loads((out_dir / "protocol.json").read_text())
    calendar = Calendar.from_ical((out_dir / "dosing.ics").read_bytes())
    assert len(calendar.walk("VEVENT")) == len(protocol["protocol"]["titration"]["steps"])
    prescription = (out_dir / "prescription.txt").read_text()
    assert "Patient:       EXAMPLE-001" in prescription
    assert "4.5 mg capsules: 57 needed, dispense 63" in prescription
    assert protocol["fingerprint"][:16] in prescription


def test_plan_prints_the_prescription_on_request(capsys):
    code, out, _ = run(
        capsys,
        "plan",
        "--condition",
        "fibromyalgia",
        "--start",
        "2027-01-04",
        "--prescription",
        "--strength",
        "1.5",
        "--strength",
        "3",
    )
    assert code == 0
    assert "capsules, strengths 1.5, 3 mg" in out
    assert "Take your 2 capsules: 4.5 mg (1 × 3 mg + 1 × 1.5 mg), at night" in out


def test_morning_dosing_uses_the_morning_reminder_time(capsys, tmp_path):
    ics = tmp_path / "d.ics"
    code, _, _ = run(
        capsys,
        "plan",
        "--condition",
        "fibromyalgia",
        "--timing",
        "morning",
        "--morning-time",
        "07:30",
        "--ics",
        str(ics),
        "--tz",
        ANA_TZ,
    )
    assert code == 0
    event, *_ = Calendar.from_ical(ics.read_bytes()).events
    assert isinstance(event.start, dt.datetime)
    assert event.start.time() == dt.time(7, 30)


def test_an_accepted_warning_is_shown_and_recorded(capsys):
    code, out, _ = run(
        capsys,
        "plan",
        "--condition",
        "fibromyalgia",
        "--target",
        "6",
        "--allow",
        "target-above-usual",
        "--json",
    )
    assert code == 0
    assert json.loads(out)["protocol"]["accepted_warnings"] == ["target-above-usual"]


def test_an_absolute_success_criterion_can_be_fixed_instead(capsys):
    code, out, _ = run(
        capsys,
        "plan",
        "--condition",
        "fibromyalgia",
        "--success-points",
        "2",
        "--success-probability",
        "0.9",
    )
    assert code == 0
    assert (
        "Pain should fall at least 2 points from the baseline mean, judged met when its "
        "probability is at least 90%" in out
    )


@pytest.mark.parametrize(
    ("environ", "zone"),
    [
        ({"TZ": "America/New_York"}, "America/New_York"),
        ({"TZ": ":/etc/localtime"}, "UTC"),
        ({"TZ": "UTC0"}, "UTC"),
        ({}, "UTC"),
    ],
)
def test_a_system_tz_that_is_not_an_iana_zone_falls_back_to_utc(capsys, environ, zone):
    code, out, _ = run(capsys, "plan", "--condition", "crps", "--json", environ=environ)
    assert code == 0
    assert json.loads(out)["protocol"]["time_zone"] == zone


def test_the_analysis_settings_are_chosen_on_the_command_line_and_fixed_in_the_protocol(capsys):
    code = main(
        [
            "plan",
            "--condition",
            "fibromyalgia",
            "--start",
            "2027-01-04",
            "--json",
            "--titration",
            "model",
            "--run-in",
            "7",
            "--trend",
            "--pgic-at-least",
            "much_improved",
        ],
        {},
        now=NOW,
    )
    document = json.loads(capsys.readouterr().out)
    assert code == 0
    assert document["protocol"]["analysis"] == {
        "titration": "model",
        "trend": True,
        "run_in_days": 7,
        "min_baseline_days": 7,
        "min_maintenance_days": 14,
        "weekly": True,
    }
    assert document["protocol"]["success"]["pgic_at_least"] == "much_improved"


def test_the_default_analysis_leaves_titration_out_and_says_so(capsys):
    code = main(["plan", "--condition", "fibromyalgia", "--start", "2027-01-04"], {}, now=NOW)
    out = capsys.readouterr().out
    assert code == 0
    assert "Analysis, fixed in advance: titration days left out of the comparison; a weekly " in (
        " ".join(out.split())
    )


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--titration", "ignore"], "titration handling 'ignore' is not known: use exclude"),
        (["--run-in", "99"], "analysis run in days must be 0 to 84, not 99"),
        (["--pgic-at-least", "no_change"], "cannot be a success criterion"),
    ],
)
def test_bad_analysis_settings_are_refused(capsys, option, message):
    code = main(["plan", "--condition", "fibromyalgia", *option], {}, now=NOW)
    assert code == 2
    assert message in capsys.readouterr().err
