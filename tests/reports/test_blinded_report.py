"""The blinded trial's report: every name its template uses is filled, what anyone typed comes
out as text, "unblinded early" is stated with its reason, and the patient's lines."""

import dataclasses
import datetime as dt

import numpy as np
from django.template import Context, Engine
from django.utils.html import escape

from ldntrial.core.analysis.blinded import analyse_blinded
from ldntrial.core.analysis.blinded_safety import Guess
from ldntrial.core.analysis.blinded_validation import (
    LEAD_IN_DAYS,
    blinded_schedule,
    observations_of,
)
from ldntrial.core.analysis.decision import Outcome, decide
from ldntrial.core.analysis.simulation import Noise, Patient, simulate
from ldntrial.core.trial.visit_measures import Pgic
from ldntrial.reports.blinded_report import (
    UnblindingMark,
    blinded_patient_summary_text,
    blinded_report_document,
    build_blinded_report,
)
from ldntrial.reports.rendering import TEMPLATE_DIR
from ldntrial.reports.trial_report import Signature
from tests.core.blinded_builders import blinded_protocol, seeded_allocation
from tests.reports.test_trial_report import PAYLOAD, Elements

PROTOCOL, ALLOCATION = blinded_protocol(), seeded_allocation(seed=4)
PLANNED = UnblindingMark(early=False, on=dt.date(2027, 1, 2), by="dr-ode", reason="")


def bens_rows():
    assert PROTOCOL.blinded is not None
    schedule = blinded_schedule(PROTOCOL.blinded, ALLOCATION.arms, LEAD_IN_DAYS)
    patient = Patient(level=6.5, effect=-2.0, noise=Noise(1.0, 0.4))
    diary = simulate(schedule, patient, np.random.default_rng(2))
    return [
        dataclasses.replace(r, dose_taken=True)
        for r in observations_of(PROTOCOL, diary, "pain", LEAD_IN_DAYS)
    ]


def built(rows=None, unblinding=PLANNED, **options):
    rows = rows or bens_rows()
    analysis = analyse_blinded(PROTOCOL, ALLOCATION, rows, options.pop("guesses", None))
    return build_blinded_report(
        analysis,
        decide(analysis, rows),
        rows,
        ALLOCATION,
        unblinding,
        guesses=options.pop("guesses_shown", {}),
        impressions=options.pop("impressions", {}),
        **options,
    )


def test_every_name_the_blinded_report_template_uses_is_filled():
    signature = Signature("dr-ode", dt.datetime(2027, 3, 1, tzinfo=dt.UTC), Outcome.STOP, "x", True)
    report = built(
        signature=signature,
        guesses_shown={1: Guess.PLACEBO},
        impressions={1: Pgic.NO_CHANGE},
        patient_label="BN-0002",
        condition_name="Fibromyalgia",
    )
    strict = Engine(dirs=[str(TEMPLATE_DIR)], string_if_invalid="MISSING(%s)")
    html = strict.get_template("reports/blinded_report.html").render(Context({"report": report}))
    assert "MISSING(" not in html
    assert html == blinded_report_document(report)
    assert "<td>placebo</td><td>14 / 7</td>" in html
    assert "<td>don&#x27;t know</td>" not in html  # period 1 was guessed: placebo


def test_the_sequence_rows_follow_the_allocation_with_kits():
    report = built()
    assert [(p.number, p.kit, p.arm) for p in report.periods] == [
        ("1", "1", "placebo"),
        ("2", "2", "LDN"),
        ("3", "3", "LDN"),
        ("4", "4", "placebo"),
        ("5", "5", "placebo"),
        ("6", "6", "LDN"),
    ]


def test_an_emergency_unblinding_is_stated_with_its_reason_and_in_cent_14b():
    early = UnblindingMark(early=True, on=dt.date(2026, 12, 1), by="dr-ode", reason="rash")
    report = built(unblinding=early)
    html = blinded_report_document(report)
    assert (
        "Unblinded early (emergency, before the planned end, on 2026-12-01 by dr-ode). "
        "Reason given: rash"
    ) in html
    (ended,) = [i for i in report.cent if i.number == "14b"]
    assert ended.answer.startswith("Unblinded early")


def test_a_script_in_any_text_that_reaches_the_blinded_report_comes_out_as_text():
    fields = ("patient label", "condition", "signer", "reason", "unblinder", "emergency", "effect")
    typed = {f: PAYLOAD.format(f) for f in fields}
    rows = bens_rows()
    rows[-1] = dataclasses.replace(rows[-1], side_effects=frozenset({typed["effect"]}))
    signature = Signature(
        typed["signer"], dt.datetime(2027, 3, 1, tzinfo=dt.UTC), Outcome.STOP, typed["reason"], True
    )
    early = UnblindingMark(
        early=True, on=dt.date(2026, 12, 1), by=typed["unblinder"], reason=typed["emergency"]
    )
    html = blinded_report_document(
        built(
            rows,
            early,
            patient_label=typed["patient label"],
            condition_name=typed["condition"],
            signature=signature,
        )
    )
    for field, text in typed.items():
        assert text not in html, field
        assert escape(text) in html, field
    elements = Elements(html)
    assert "script" not in elements.tags
    assert [a for a in elements.attributes if a.startswith("on") or "alert" in a] == []


def test_the_patient_lines_put_the_blinded_result_before_the_decision():
    rows = bens_rows()
    analysis = analyse_blinded(PROTOCOL, ALLOCATION, rows)
    lines = blinded_patient_summary_text(
        analysis, Outcome.CONTINUE, follow_up_on=dt.date(2027, 2, 1)
    )
    assert lines[0].startswith("Your pain was lower on LDN than on the identical placebo capsules")
    assert "You and your clinician decided to continue LDN." in lines
    assert lines[-2:] == [
        "Your next review: 1 February 2027.",
        "Remember: LDN blocks opioid medicines. Tell every doctor and pharmacist you take it.",
    ]
