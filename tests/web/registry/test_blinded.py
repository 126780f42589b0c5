"""Blinded trials in the researcher's registry: LDN against placebo once ended and unblinded,
no outcome (and nothing of the allocation) while still blinded, open-label figures untouched.

Ana's blinded fibromyalgia trial (3 pairs of 14-day periods) has a synthetic diary in which pain
is about 2 points lower in the LDN periods than in the placebo periods
(tests.web.clinic.blinded_world); beside it, the registry's cohort of open-label trials."""

from __future__ import annotations

import datetime as dt
import uuid

import numpy as np
import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from ldntrial.core.analysis.blinded import analyse_blinded_many
from ldntrial.core.registry.analysis import analyse
from ldntrial.core.registry.contribution import posterior_sd
from ldntrial.core.registry.summaries import Completion, PatientSummary
from ldntrial.core.trial.blinded import Arm, BlindedDesign
from ldntrial.core.trial.protocol import Design
from ldntrial.web.clinic import blinded, blinded_assessment, services
from ldntrial.web.clinic.blinded_models import BlindedAllocation
from ldntrial.web.clinic.models import DiaryEntry, Reassessment, Trial, TrialStatus, Unblinding
from ldntrial.web.registry import collect
from ldntrial.web.registry.pseudonyms import patient_key
from tests.web.clinic.blinded_world import (
    AFTER_THE_LAST_PERIOD,
    fill_diary,
    sealed_allocation,
    unblind_planned,
)
from tests.web.conftest import PASSWORD, World, start_trial_for
from tests.web.registry.conftest import Registry, complete

NEXT_REVIEW = "2026-12-27"  # a month after the frozen clock's today
PAGE = "/research/fibromyalgia/"
SEALED_TABLE = BlindedAllocation._meta.db_table


@pytest.fixture
def finished(world: World) -> Trial:
    """Ana's blinded trial after its last period, diary and period answers in, still blinded."""
    collect.clear_cache()
    trial = world.blinded_trial(days_ago=AFTER_THE_LAST_PERIOD)
    fill_diary(world, trial)
    return trial


@pytest.fixture
def decided(world: World, finished: Trial) -> Trial:
    """Unblinded as planned, and its decision signed at reassessment (the trial completed)."""
    unblind_planned(world, finished)
    assessment = blinded_assessment.assess_blinded(finished)
    assert assessment is not None
    response = world.client("dr_ode").post(
        f"/clinic/trials/{finished.pk}/reassessment/",
        {
            "final_outcome": assessment.decision.outcome.value,
            "password": PASSWORD,
            "follow_up_on": NEXT_REVIEW,
        },
    )
    assert response.status_code == 302
    assert Reassessment.objects.filter(trial=finished).exists()
    return finished


def another_blinded_trial(world: World, *, drop: float, seed: int) -> Trial:
    """Another fibromyalgia patient of clinic A with a blinded trial like Ana's: a bulk diary
    (pain ``drop`` points lower on LDN), unblinded as planned, and a decision on record."""
    patient = services.create_patient(
        by=world.dr_ode,
        label=f"ZEBRA-BLINDED-{seed:03d}",
        birth_year=1968,
        sex="female",
        conditions=["fibromyalgia"],
        time_zone="Europe/London",
    )
    trial = start_trial_for(
        patient,
        world.dr_ode,
        days_ago=AFTER_THE_LAST_PERIOD,
        condition="fibromyalgia",
        blinded=BlindedDesign(),
    )
    protocol, allocation = trial.protocol(), sealed_allocation(world, trial)
    rng = np.random.default_rng(seed)
    day, u, rows = protocol.start_date, 0.0, []
    while day <= protocol.reassessment_date:
        u = 0.5 * u + rng.normal(0, 0.6)
        period = blinded.period_on(protocol, day)
        on_ldn = period is not None and allocation.arm_of_period(period.number) is Arm.ACTIVE
        dosing = day >= protocol.first_dose_date
        rows.append(
            DiaryEntry(
                clinic=trial.clinic,
                trial=trial,
                day=day,
                scores={
                    "pain": int(np.clip(round(6.0 - (drop if on_ldn else 0.0) + u), 0, 10)),
                    "sleep_quality": int(np.clip(round(5 + rng.normal(0, 1)), 0, 10)),
                    "function": int(np.clip(round(5 + rng.normal(0, 1)), 0, 10)),
                },
                dose_taken=True if dosing else None,
                dose_time=dt.time(22, 0) if dosing else None,
                client_key=uuid.uuid4(),
                submitted_by=world.dr_ode,
            )
        )
        day += dt.timedelta(days=1)
    DiaryEntry.objects.bulk_create(rows)
    unblind_planned(world, trial)
    complete(trial, world.dr_ode)
    return trial


def anas(world: World, summaries: list[PatientSummary]) -> dict[str, PatientSummary]:
    key = patient_key(clinic_id=world.ana.clinic_id, patient_id=world.ana.pk)
    return {
        s.metric: s for s in summaries if s.patient_key == key and s.design is Design.BLINDED_N_OF_1
    }


def registry_page(world: World) -> str:
    with override_settings(LDNTRIAL_REGISTRY_MIN_CELL=1):
        response = world.client("rae").get(PAGE)
    assert response.status_code == 200
    return response.content.decode()


def test_an_unblinded_decided_trial_gives_ldn_minus_placebo_near_two_points(world, decided):
    pain = anas(world, collect.patient_summaries(world.clinic_a))["pain"]
    assert pain.status is Completion.COMPLETED
    assert pain.design is Design.BLINDED_N_OF_1
    assert pain.effect is not None
    assert pain.effect_sd is not None
    assert -2.8 < pain.effect < -1.2
    # The same analysis as the clinician's reassessment, its posterior SD as the SD.
    assessment = blinded_assessment.assess_blinded(decided)
    assert assessment is not None
    result = assessment.analysis.primary
    assert result.posterior is not None
    assert result.placebo_level is not None
    assert pain.effect == pytest.approx(result.effect_mean)
    assert pain.effect_sd == pytest.approx(float(posterior_sd(result.posterior)[0]))
    assert result.interval is not None
    low, high = result.interval
    assert pain.effect_sd == pytest.approx((high - low) / 3.92, rel=0.1)  # near-normal
    assert pain.mcid == pytest.approx(0.3 * result.placebo_level)  # 30% of the placebo level
    assert pain.dose == decided.protocol().titration.steps[-1].dose  # the tolerated dose


def test_the_page_pools_unblinded_trials_in_the_blinded_section_against_placebo(world, decided):
    another_blinded_trial(world, drop=1.0, seed=8)
    summaries = collect.patient_summaries(world.clinic_a)
    pain = anas(world, summaries)["pain"]
    assert pain.effect is not None
    assert pain.effect_sd is not None
    blinded_pain = [
        s for s in summaries if s.design is Design.BLINDED_N_OF_1 and s.metric == "pain"
    ]
    assert len(blinded_pain) == 2
    assert all(s.has_outcome for s in blinded_pain)
    body = registry_page(world)
    blinded = body[body.index('id="design-blinded_n_of_1"') : body.index('id="design-open_label"')]
    assert 'id="stratum-blinded_n_of_1-pain"' in blinded
    assert "Effect of LDN against placebo, from blinded n-of-1 trials." in blinded
    assert "Population mean effect against placebo" in blinded
    assert "Population mean change" not in blinded
    assert f"<td>{pain.effect:.2f} ({pain.effect_sd:.2f})</td>" in blinded
    assert "once they have ended and been unblinded" in blinded
    assert "a missing outcome counts as no difference from placebo" in blinded
    # The pooled mean of the two patients lies between their own estimates.
    (stratum,) = [
        a
        for a in analyse(summaries)
        if a.stratum.design is Design.BLINDED_N_OF_1 and a.stratum.metric == "pain"
    ]
    assert stratum.completers is not None
    effects = sorted(s.effect for s in blinded_pain if s.effect is not None)
    assert effects[0] < stratum.completers.mean < effects[1]
    assert f"{stratum.completers.mean:.2f} points" in blinded
    assert "when the blinded analysis is in place" not in body


def test_a_blinded_trial_not_unblinded_has_no_outcome_and_its_allocation_is_never_read(
    world, finished, monkeypatch
):
    allocation = sealed_allocation(world, finished)  # the test's own (pharmacy) read, before
    finished.status = TrialStatus.STOPPED  # ended without an unblinding
    finished.save()
    engine: list[int] = []

    def counting(trials, **options):
        engine.append(len(trials))
        return analyse_blinded_many(trials, **options)

    monkeypatch.setattr(collect, "analyse_blinded_many", counting)
    with CaptureQueriesContext(connection) as queries:
        summaries = anas(world, collect.patient_summaries(world.clinic_a))
        body = registry_page(world)
    assert not Unblinding.objects.filter(trial=finished).exists()
    assert summaries["pain"].status is Completion.STOPPED_EARLY
    assert all(s.effect is None and s.effect_sd is None for s in summaries.values())
    assert engine == []  # nothing analysed without the unblinding's allocation
    assert not any(SEALED_TABLE in q["sql"] for q in queries.captured_queries)
    # The page counts the trial and names no arm of any period or kit.
    blinded = body[body.index('id="design-blinded_n_of_1"') : body.index('id="design-open_label"')]
    assert 'id="stratum-blinded_n_of_1-pain"' in blinded
    assert "A trial still blinded is counted in the flow without an outcome" in blinded
    assert "Population mean effect against placebo" not in blinded
    assert allocation.nonce not in body
    assert allocation.commitment not in body
    assert ", ".join(a.value for a in allocation.arms) not in body
    for word in ("active", "Period 1", "period 1", "kit", "Kit"):
        assert word not in blinded


def test_a_blinded_trial_lost_to_follow_up_before_its_unblinding_has_no_outcome(world, finished):
    due = finished.protocol().reassessment_date
    later = dt.datetime.combine(due + dt.timedelta(days=40), dt.time(12), tzinfo=dt.UTC)
    with time_machine.travel(later, tick=False):
        pain = anas(world, collect.patient_summaries(world.clinic_a))["pain"]
    assert pain.status is Completion.LOST_TO_FOLLOW_UP
    assert pain.effect is None


def test_an_unblinded_trial_is_analysed_once_per_state_keyed_by_its_allocation(
    world, decided, monkeypatch
):
    batches: list[int] = []

    def counting(trials, **options):
        batches.append(len(trials))
        return analyse_blinded_many(trials, **options)

    collect.clear_cache()
    monkeypatch.setattr(collect, "analyse_blinded_many", counting)
    first = collect.patient_summaries(world.clinic_a)
    assert collect.patient_summaries(world.clinic_a) == first
    assert batches == [1]  # analysed once, then read from the cache
    (record,) = [r for r in collect.records(world.clinic_a) if r.trial_id == decided.pk]
    assert record.allocation is not None
    assert record.allocation.commitment in record.key
    assert record.allocation == sealed_allocation(world, decided)


def test_open_label_figures_are_the_same_with_or_without_the_blinded_trial(
    world: World, decided: Trial
):
    cohort = Registry(world)
    assert cohort.trials
    rows = collect.records(world.clinic_a)
    assert any(r.is_blinded and r.allocation is not None for r in rows)
    everything = collect.summaries_of(rows)
    open_only = collect.summaries_of([r for r in rows if not r.is_blinded])
    assert [s for s in everything if s.design is Design.OPEN_LABEL] == open_only
    assert any(s.design is Design.BLINDED_N_OF_1 and s.has_outcome for s in everything)
    pooled = {a.stratum: a.completers for a in analyse(everything)}
    for analysis in analyse(open_only):
        assert pooled[analysis.stratum] == analysis.completers
