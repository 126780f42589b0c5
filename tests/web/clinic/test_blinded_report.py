"""The PDF report of Ana's blinded trial (real WeasyPrint, read back with pdftotext): the blinded
result, the sequence after unblinding, the CENT 2015 items, and "unblinded early" with its
reason after an emergency unblinding."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from ldntrial.web.clinic.models import Trial
from tests.web.clinic.blinded_world import (
    AFTER_THE_LAST_PERIOD,
    fill_diary,
    sealed_allocation,
    unblind_in_an_emergency,
    unblind_planned,
)
from tests.web.conftest import PASSWORD, World

IN_PERIOD_5 = 100  # days ago the trial started: four periods done, the fifth begun
EMERGENCY = "severe insomnia and palpitations; needs to know what she takes"


def pdf_text(world: World, trial: Trial, tmp_path: Path, *, layout: bool = False) -> str:
    """The PDF's text: without white space (table cells wrap anywhere), or as laid out."""
    response = world.client("dr_ode").get(f"/clinic/trials/{trial.pk}/report.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / "report.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", *(["-layout"] if layout else []), str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return text if layout else re.sub(r"\s+", "", text)


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def planned(world: World) -> Trial:
    trial = world.blinded_trial(days_ago=AFTER_THE_LAST_PERIOD)
    fill_diary(world, trial)
    unblind_planned(world, trial)
    return trial


def test_the_report_shows_the_blinded_result_and_the_sequence_after_unblinding(
    world, planned, tmp_path
):
    text = pdf_text(world, planned, tmp_path)
    assert squeezed("Blinded n-of-1 trial: LDN against identical placebo") in text
    assert squeezed("Pain (primary): LDN minus placebo") in text
    assert squeezed("P(LDN better than placebo)") in text
    assert squeezed("Sequence after unblinding") in text
    assert squeezed("Unblinded: planned, after the last period") in text
    assert squeezed("Unblinded early") not in text
    allocation = sealed_allocation(world, planned)
    periods = planned.protocol().periods()
    words = {"active": "LDN", "placebo": "placebo"}
    lines = pdf_text(world, planned, tmp_path, layout=True).splitlines()
    for period, arm in zip(periods, allocation.arms, strict=True):
        kit = allocation.kit_of_period(period.number)
        row = re.compile(
            rf"^\s*{period.number}\s+{period.pair}\s+{period.first.isoformat()}\s+"
            rf"{period.last.isoformat()}\s+{kit}\s+{words[arm.value]}\s"
        )
        assert any(row.match(line) for line in lines), period.number
    assert squeezed("The patient guessed right in 3 of 3 periods") in text
    assert squeezed("Carry-over and onset") in text


CENT_ITEMS = [
    ("1a", "Identified as an n-of-1 trial"),
    ("2a", "Background and the rationale for an n-of-1 trial"),
    ("3a", "Design, number and length of periods, run-in and wash-out"),
    ("3b", "Changes to the methods after the start"),
    ("5", "Interventions in each period"),
    ("6a", "Outcomes, how and when measured"),
    ("8a", "Sequence generation"),
    ("8b", "Type of randomisation"),
    ("9", "Allocation concealment"),
    ("11a", "Blinding"),
    ("11b", "Similarity of the interventions"),
    ("12a", "Statistical methods, carry-over, period effects, autocorrelation"),
    ("14b", "Why the trial ended"),
    ("16", "Numbers analysed"),
    ("17a", "Results per period, effect and precision"),
    ("18", "Other analyses: carry-over, period effects, autocorrelation"),
    ("19", "Harms"),
    ("20", "Limitations"),
]


def test_the_report_answers_the_cent_2015_items_for_one_trial(world, planned, tmp_path):
    body = world.client("dr_ode").get(f"/clinic/trials/{planned.pk}/reassessment/").content.decode()
    for number, topic in CENT_ITEMS:
        assert f"<tr><td>{number}</td><td>{topic}</td><td>" in body
    assert "Vohra S et al., CONSORT extension for reporting N-of-1 trials (CENT) 2015" in body
    text = pdf_text(world, planned, tmp_path)  # the page and the PDF share the partial
    for shown in (
        "CENT 2015 checklist (single n-of-1 trial)",
        "8a Sequence generation",
        "9 Allocation concealment",
        "BMJ 2015;350:h1738",
    ):
        assert squeezed(shown) in text


def test_a_signed_blinded_decision_is_in_the_report(world, planned, tmp_path):
    response = world.client("dr_ode").post(
        f"/clinic/trials/{planned.pk}/reassessment/",
        {
            "final_outcome": "stop",
            "override_reason": "prefers to stop after seeing the result",
            "stop_instruction": "take the last capsule tonight",
            "follow_up_on": "2026-12-27",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 302
    text = pdf_text(world, planned, tmp_path)
    assert squeezed("Clinician's decision: stop LDN") in text
    assert squeezed("signature valid") in text


def test_an_emergency_unblinding_is_reported_as_unblinded_early_with_its_reason(world, tmp_path):
    trial = world.blinded_trial(days_ago=IN_PERIOD_5)
    fill_diary(world, trial)
    unblind_in_an_emergency(world, trial, EMERGENCY)
    body = world.client("dr_ode").get(f"/clinic/trials/{trial.pk}/reassessment/").content.decode()
    assert 'id="unblinded-early"' in body
    assert EMERGENCY in body
    text = pdf_text(world, trial, tmp_path)
    assert squeezed("Unblinded early (emergency, before the planned end") in text
    assert squeezed(f"Reason given: {EMERGENCY}") in text
    assert (
        "<tr><td>14b</td><td>Why the trial ended</td><td>Unblinded early (emergency, before the "
        "planned end"
    ) in body
    assert squeezed("Pain (primary): LDN minus placebo") in text  # two whole blocks analysed


def test_an_emergency_unblinding_is_told_to_the_patient_with_the_result(world):
    trial = world.blinded_trial(days_ago=IN_PERIOD_5)
    fill_diary(world, trial)
    unblind_in_an_emergency(world, trial, EMERGENCY)
    response = world.client("dr_ode").post(
        f"/clinic/trials/{trial.pk}/reassessment/",
        {"final_outcome": "adjust", "override_reason": "stopped early", "password": PASSWORD},
    )
    assert response.status_code == 302
    body = world.client("ana_user").get("/me/summary/").content.decode()
    assert "Your pain was" in body
    assert "unblinded before its planned end" in body
    assert EMERGENCY not in body  # the clinical reason stays in the clinician's report
