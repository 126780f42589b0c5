"""The clinician designs a blinded n-of-1 trial on the trial form and sees its simulated power
on the draft before locking it."""

from __future__ import annotations

import re

from ldntrial.web.clinic.models import Trial
from tests.web.conftest import World, plan_form

BLINDED = {"design": "blinded_n_of_1", "pairs": "3", "period_days": "14", "period_run_in": "7"}


def _draft(world: World, **fields: str) -> Trial:
    world.ana_trial.status = "stopped"
    world.ana_trial.save()
    response = world.client("dr_ode").post(
        f"/clinic/patients/{world.ana.pk}/trials/new/", plan_form(**{**BLINDED, **fields})
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Trial.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def test_the_trial_form_makes_a_blinded_draft_with_the_chosen_design(world: World) -> None:
    trial = _draft(world, pairs="4", period_days="21", period_run_in="10", no_capsule="on")
    design = trial.protocol().blinded
    assert design is not None
    assert (design.pairs, design.period_days, design.run_in_days, design.no_capsule) == (
        4,
        21,
        10,
        True,
    )


def test_the_draft_shows_the_periods_and_the_simulated_power_with_a_suggestion_when_weak(
    world: World,
) -> None:
    trial = _draft(world, pairs="2", period_days="7", period_run_in="4")
    page = world.client("dr_ode").get(f"/clinic/trials/{trial.pk}/").content.decode()
    assert page.count("<tr><td>") >= 4  # four periods listed
    assert "Simulated power of this design" in page
    assert re.search(r"no difference \(false positives\)</td><td>\d+%", page)
    assert 'id="power-suggestion"' in page
    assert "Blinded result: LDN against an identical placebo" in page


def test_a_run_in_that_leaves_too_few_days_is_refused_on_the_form(world: World) -> None:
    world.ana_trial.status = "stopped"
    world.ana_trial.save()
    response = world.client("dr_ode").post(
        f"/clinic/patients/{world.ana.pk}/trials/new/",
        plan_form(**{**BLINDED, "period_days": "7", "period_run_in": "6"}),
    )
    assert response.status_code == 400
    assert "leaves 1 analysed days" in response.content.decode()


def test_the_dosing_table_of_a_blinded_trial_shows_no_dose_in_the_blinded_periods(
    world: World,
) -> None:
    trial = world.blinded_trial()
    periods = trial.protocol().periods()
    page = world.client("dr_ode").get(f"/clinic/trials/{trial.pk}/").content.decode()
    table = page[page.index("<h2>Dosing schedule</h2>") :]
    table = table[: table.index("</table>")]
    assert "4.5 mg" not in table
    assert "3 mg" in table
    assert (
        f"<td>{periods[0].first.isoformat()}</td><td>{periods[-1].last.isoformat()}</td>" in table
    )
