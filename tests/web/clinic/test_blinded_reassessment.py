"""Reassessment of Ana's blinded trial: nothing to analyse, sign or print while the allocation is
concealed; after the unblinding, LDN against the identical placebo, signed like any decision,
and her plain-language result.

Her synthetic diary has pain about 2 points lower in the LDN periods than in the placebo
periods (tests.web.clinic.blinded_world); the allocation is the real one drawn at the start,
read through the pharmacy to build the diary."""

from __future__ import annotations

import pytest

from ldntrial.core.analysis.blinded import analyse_blinded
from ldntrial.core.analysis.decision import Outcome
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.blinded import Arm
from ldntrial.web.clinic import blinded, blinded_assessment, reassessment
from ldntrial.web.clinic.blinded_assessment import STILL_BLINDED
from ldntrial.web.clinic.models import PeriodReport, Reassessment, Trial
from tests.web.clinic.blinded_world import (
    AFTER_THE_LAST_PERIOD,
    fill_diary,
    sealed_allocation,
    unblind_planned,
)
from tests.web.conftest import PASSWORD, World

NEXT_REVIEW = "2026-12-27"  # a month after the frozen clock's today
ARM_WORDS = {Arm.ACTIVE: "LDN", Arm.PLACEBO: "placebo"}


@pytest.fixture
def finished(world: World) -> Trial:
    """Ana's blinded trial after its last period, diary and period answers in, still blinded."""
    trial = world.blinded_trial(days_ago=AFTER_THE_LAST_PERIOD)
    fill_diary(world, trial)
    return trial


@pytest.fixture
def unblinded(world: World, finished: Trial) -> Trial:
    unblind_planned(world, finished)
    return finished


def page(world: World, trial: Trial) -> str:
    response = world.client("dr_ode").get(f"/clinic/trials/{trial.pk}/reassessment/")
    assert response.status_code == 200
    return response.content.decode()


def sign(world: World, trial: Trial, outcome: str, password: str = PASSWORD):
    return world.client("dr_ode").post(
        f"/clinic/trials/{trial.pk}/reassessment/",
        {"final_outcome": outcome, "password": password, "follow_up_on": NEXT_REVIEW},
    )


# Before the unblinding.


def test_before_unblinding_the_page_shows_no_analysis_and_links_to_the_unblinding(world, finished):
    body = page(world, finished)
    assert "This trial is still blinded" in body
    assert f'href="/clinic/trials/{finished.pk}/unblind/"' in body
    for shown_only_after in ("Sequence after unblinding", "LDN minus placebo", 'id="sequence"'):
        assert shown_only_after not in body
    assert "Sign the decision" not in body
    assert "report.pdf" not in body


def test_before_unblinding_no_arm_of_any_period_reaches_the_page(world, finished):
    allocation = sealed_allocation(world, finished)
    body = page(world, finished)
    assert allocation.nonce not in body
    assert ", ".join(a.value for a in allocation.arms) not in body
    for number, arm in enumerate(allocation.arms, start=1):
        for shown in (f"<td>{number}</td><td>{arm.value}", f"Period {number}: {arm.value}"):
            assert shown not in body


def test_before_unblinding_signing_is_refused_with_the_page(world, finished):
    response = sign(world, finished, "continue")
    assert response.status_code == 400
    body = response.content.decode()
    assert "This trial is still blinded" in body
    assert 'id="refusal"' in body
    assert not Reassessment.objects.exists()


def test_before_unblinding_the_service_refuses_before_asking_for_the_password(world, finished):
    from django.test import RequestFactory

    with pytest.raises(InvalidValue, match="still blinded") as refused:
        reassessment.sign(
            by=world.dr_ode,
            trial=finished,
            final=Outcome.CONTINUE,
            reason="",
            password=PASSWORD + " with a typo",
            request=RequestFactory().post("/"),
        )
    assert str(refused.value) == STILL_BLINDED
    assert not Reassessment.objects.exists()


def test_before_unblinding_the_report_is_refused(world, finished):
    response = world.client("dr_ode").get(f"/clinic/trials/{finished.pk}/report.pdf")
    assert response.status_code == 409
    assert response["Content-Type"].startswith("text/html")
    assert "it can only be made once the trial is unblinded" in response.content.decode()


def test_before_unblinding_the_patient_is_told_the_result_comes_after_it(world, finished):
    body = world.client("ana_user").get("/me/summary/").content.decode()
    assert "once your trial is unblinded" in body
    assert "placebo" not in body


# After the unblinding.


def test_after_unblinding_the_page_shows_ldn_minus_placebo_near_the_true_two_points(
    world, unblinded
):
    assessment = blinded_assessment.assess_blinded(unblinded)
    assert assessment is not None
    pain = assessment.analysis.primary
    assert pain.effect_mean is not None
    assert pain.interval is not None
    assert pain.p_better is not None
    # Whatever allocation is drawn (8 are possible), this diary's estimate stays near the 2
    # points (from -2.4 to -1.6) and its 95% interval excludes a benefit under 1 point.
    assert -2.8 < pain.effect_mean < -1.2
    assert pain.interval[0] > -3.5
    assert pain.interval[1] < -1
    assert pain.p_better > 0.95
    body = page(world, unblinded)
    assert "Pain (primary): LDN minus placebo" in body
    assert f"<td>LDN minus placebo (posterior mean)</td><td>{pain.effect_mean:+.2f}</td>" in body
    assert f"{pain.interval[0]:+.2f} to {pain.interval[1]:+.2f}" in body
    assert f"<td>P(LDN better than placebo)</td><td>{pain.p_better:.0%}</td>" in body
    assert "P(LDN better than placebo by the MCID: 30% of the placebo level)" in body
    assert "Band: LDN better by 2 points or more" in body


def test_after_unblinding_the_page_shows_the_sequence_side_effects_and_blinding_check(
    world, unblinded
):
    allocation = sealed_allocation(world, unblinded)
    body = page(world, unblinded)
    assert "Sequence after unblinding" in body
    for number, arm in enumerate(allocation.arms, start=1):
        kit = allocation.kit_of_period(number)
        assert f"<td>{kit}</td><td>{ARM_WORDS[arm]}</td>" in body
    assert "<th>Side effect</th><th>LDN</th><th>placebo</th>" in body
    assert "The patient guessed right in 3 of 3 periods" in body  # LDN periods guessed right
    assert "Unblinded: planned, after the last period" in body
    assert "Unblinded early" not in body


def test_signing_a_blinded_decision_stores_the_blinded_record(world, unblinded):
    assessment = blinded_assessment.assess_blinded(unblinded)
    assert assessment is not None
    suggested = assessment.decision.outcome.value
    assert sign(world, unblinded, suggested).status_code == 302
    item = Reassessment.objects.get()
    assert (item.suggested_outcome, item.final_outcome) == (suggested, suggested)
    record = item.content["analysis"]
    assert record["format"] == "ldntrial.blinded-analysis/1"
    assert record["design"] == "blinded_n_of_1"
    allocation = sealed_allocation(world, unblinded)
    assert record["sequence"] == [a.value for a in allocation.arms]
    assert record["metrics"][0]["effect_mean"] == assessment.analysis.primary.effect_mean
    assert record["blinding_check"]["right"] == 3
    assert record["decision"]["rule"] == assessment.decision.rule.value
    assert "placebo" in record["decision"]["explanation"]
    assert item.content["unblinding"]["kind"] == "planned"
    assert item.content["blinded_sha256"] == blinded_assessment.blinded_hash(unblinded)
    assert reassessment.is_valid(item)
    assert "signature valid" in page(world, unblinded)


def test_a_guess_cannot_be_given_after_the_unblinding(world):
    """An answer given knowing the sequence would not test the blinding: it is refused, and the
    blinding check and what a signature covers stay as they were."""
    trial = world.blinded_trial(days_ago=AFTER_THE_LAST_PERIOD)
    fill_diary(world, trial, unanswered={2})
    unblind_planned(world, trial)
    before = blinded_assessment.blinded_hash(trial)
    with pytest.raises(InvalidValue, match="no longer asked"):
        blinded.record_period_report(
            by=world.ana_user,
            trial=trial,
            period=2,
            guess="ldn",
            pgic="no_change",
            today=trial.protocol().reassessment_date,
        )
    assert not PeriodReport.objects.filter(trial=trial, period=2).exists()
    assessment = blinded_assessment.assess_blinded(trial)
    assert assessment is not None
    assert 2 not in assessment.blinded.answers
    assert assessment.analysis.blinding.missing == 1
    assert blinded_assessment.blinded_hash(trial) == before


def test_the_patient_reads_whether_ldn_did_better_than_the_identical_placebo(world, unblinded):
    assessment = blinded_assessment.assess_blinded(unblinded)
    assert assessment is not None
    assert "once your trial is unblinded" in (
        world.client("ana_user").get("/me/summary/").content.decode()
    )  # unblinded, but nothing is signed yet
    sign(world, unblinded, assessment.decision.outcome.value)
    body = world.client("ana_user").get("/me/summary/").content.decode()
    effect = assessment.analysis.primary.effect_mean
    assert effect is not None
    assert (
        "Your pain was lower on LDN than on the identical placebo capsules, by about "
        f"{abs(effect):.1f} points out of 10."
    ) in body
    assert "LDN very probably did better than the placebo for you" in body
    assert "no test can make this certain" in body
    assert "This was not a blind test" not in body
    assert "100%" not in body


def test_the_analysis_runs_once_per_state_and_its_key_covers_the_unblinding(
    world, finished, monkeypatch
):
    calls = []
    real = analyse_blinded

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    blinded_assessment.clear_cache()
    monkeypatch.setattr(blinded_assessment, "analyse_blinded", counting)
    page(world, finished)
    assert calls == []  # nothing to analyse while blinded
    unblind_planned(world, finished)
    page(world, finished)
    page(world, finished)
    world.client("dr_ode").get(f"/clinic/trials/{finished.pk}/report.pdf")
    assert len(calls) == 1
    state = blinded_assessment.assess_blinded(finished)
    assert state is not None
    assert state.blinded.blinded_hash in state.blinded.key
    blinded_assessment.clear_cache()


def test_another_clinic_cannot_see_a_blinded_reassessment(world, unblinded):
    client = world.client("dr_bo")
    assert client.get(f"/clinic/trials/{unblinded.pk}/reassessment/").status_code == 404
    assert client.get(f"/clinic/trials/{unblinded.pk}/report.pdf").status_code == 404
