"""Trial protocols: design rules, canonical JSON, the fingerprint and locking."""

import dataclasses
import datetime as dt
import functools
import json
import random
from typing import Any

import pytest

from ldntrial.core.conditions import ConditionCatalogue
from ldntrial.core.doses import Dose
from ldntrial.core.errors import (
    IntegrityFailure,
    InvalidValue,
    LdnTrialError,
    PlanRefused,
    ProtocolLocked,
    WarningsNotAccepted,
)
from ldntrial.core.trial.compounding import Capsules
from ldntrial.core.trial.design import design_protocol, revise_protocol
from ldntrial.core.trial.document import protocol_from_document, protocol_to_document
from ldntrial.core.trial.drug import LdnProfile, Timing
from ldntrial.core.trial.instruments import InstrumentCatalogue
from ldntrial.core.trial.protocol import (
    AnalysisSettings,
    CriterionKind,
    Design,
    PhaseKind,
    Protocol,
    SuccessCriterion,
)
from ldntrial.core.trial.titration import DoseStep, PlanWarning, TitrationPlan, WarningCode
from tests.conftest import ANA_TZ, NOW

START = dt.date(2026, 11, 28)


Designed = tuple[Protocol, tuple[PlanWarning, ...]]


@pytest.fixture
def design(
    profile: LdnProfile, instruments: InstrumentCatalogue, conditions: ConditionCatalogue
) -> functools.partial[Designed]:
    """``design_protocol`` for Ana's fibromyalgia trial; any argument can be given again."""
    return functools.partial(
        design_protocol,
        profile=profile,
        instruments=instruments,
        conditions=conditions,
        condition="fibromyalgia",
        start_date=START,
        time_zone=ANA_TZ,
    )


@pytest.fixture
def ana(design):
    protocol, _ = design()
    return protocol


def reload(
    protocol: Protocol,
    profile: LdnProfile,
    conditions: ConditionCatalogue,
    document: dict[str, Any] | None = None,
) -> Protocol:
    text = json.dumps(document or protocol_to_document(protocol))
    return protocol_from_document(json.loads(text), profile=profile, conditions=conditions)


# Design rules.


def test_anas_default_protocol_has_a_two_week_baseline_then_titration_and_maintenance(ana):
    assert ana.design is Design.OPEN_LABEL
    assert [(p.kind, p.first, p.last) for p in ana.phases()] == [
        (PhaseKind.BASELINE, dt.date(2026, 11, 28), dt.date(2026, 12, 11)),
        (PhaseKind.TITRATION, dt.date(2026, 12, 12), dt.date(2027, 1, 8)),
        (PhaseKind.MAINTENANCE, dt.date(2027, 1, 9), dt.date(2027, 3, 6)),
    ]
    assert ana.reassessment_date == ana.first_dose_date + dt.timedelta(weeks=12)
    assert [m.key for m in ana.metrics] == ["pain", "sleep_quality", "function"]
    assert ana.primary_metric == "pain"
    assert ana.success == SuccessCriterion("pain", CriterionKind.RELATIVE_IMPROVEMENT, 0.30, 0.8)
    assert ana.dose_times == {Timing.NIGHT: dt.time(22, 0), Timing.MORNING: dt.time(8, 0)}
    assert ana.diary_backfill_days == 3


def test_a_baseline_shorter_than_7_days_is_refused(design):
    with pytest.raises(
        PlanRefused,
        match="a baseline of 6 days is too short: it must be at least 7 days without the drug",
    ):
        design(baseline_days=6)


def test_a_seven_day_baseline_is_accepted(design):
    protocol, _ = design(baseline_days=7)
    assert protocol.first_dose_date == START + dt.timedelta(days=7)


def test_reassessment_inside_weeks_8_to_12_needs_no_override(design):
    first = START + dt.timedelta(days=14)
    for weeks in (8, 10, 12):
        protocol, _ = design(reassessment_date=first + dt.timedelta(weeks=weeks))
        assert protocol.weeks_to_reassessment == weeks


@pytest.mark.parametrize("weeks", [6, 13])
def test_reassessment_outside_weeks_8_to_12_needs_an_override_reason(design, weeks):
    first = START + dt.timedelta(days=14)
    with pytest.raises(
        PlanRefused,
        match=r"must fall in weeks 8–12 \(2027-02-06 to 2027-03-06\), "
        "or give an override reason",
    ):
        design(reassessment_date=first + dt.timedelta(weeks=weeks))
    protocol, warnings = design(
        reassessment_date=first + dt.timedelta(weeks=weeks),
        reassessment_override="patient travels in week 12",
    )
    assert protocol.reassessment_override == "patient travels in week 12"
    assert WarningCode.REASSESSMENT_OUTSIDE_WINDOW in {w.code for w in warnings}


def test_an_override_needs_a_real_reason(design):
    first = START + dt.timedelta(days=14)
    with pytest.raises(InvalidValue, match="needs a reason"):
        design(reassessment_date=first + dt.timedelta(weeks=6), reassessment_override="  ")


def test_plan_warnings_must_be_accepted_when_designing(design):
    high = TitrationPlan.of(start=3, step=1.5, interval_days=14, target=6, timing="night")
    with pytest.raises(WarningsNotAccepted) as refused:
        design(plan=high)
    assert refused.value.codes == ["start-above-usual", "target-above-usual"]
    protocol, warnings = design(
        plan=high, accept=[WarningCode.START_ABOVE_USUAL, WarningCode.TARGET_ABOVE_USUAL]
    )
    assert protocol.accepted_warnings == (
        WarningCode.START_ABOVE_USUAL,
        WarningCode.TARGET_ABOVE_USUAL,
    )
    assert len(warnings) == 2


def test_a_custom_schedule_must_start_the_day_after_baseline(design):
    with pytest.raises(InvalidValue, match="must start on the first dose day, 2026-12-12"):
        design(custom_steps=[DoseStep(dt.date(2026, 12, 1), Dose(1), Timing.NIGHT)])


def test_the_primary_metric_is_always_recorded(design):
    protocol, _ = design(
        metrics=["sleep_quality"],
        primary_metric="fatigue",
        success=SuccessCriterion("fatigue", CriterionKind.ABSOLUTE_IMPROVEMENT, 2, 0.9),
    )
    assert [m.key for m in protocol.metrics] == ["fatigue", "sleep_quality"]
    assert "Fatigue should fall at least 2 points" in protocol.success.describe(protocol.primary)


@pytest.mark.parametrize(
    ("kind", "threshold", "probability", "message"),
    [
        (CriterionKind.RELATIVE_IMPROVEMENT, 30, 0.8, "0.30 means 30%"),
        (CriterionKind.RELATIVE_IMPROVEMENT, 0, 0.8, "above 0 and at most 1"),
        (CriterionKind.ABSOLUTE_IMPROVEMENT, 12, 0.8, "at most 10"),
        (CriterionKind.RELATIVE_IMPROVEMENT, 0.3, 0.4, "at least 0.5 and below 1"),
        (CriterionKind.RELATIVE_IMPROVEMENT, 0.3, 1.0, "at least 0.5 and below 1"),
    ],
)
def test_success_criteria_refuse_meaningless_thresholds(kind, threshold, probability, message):
    with pytest.raises(InvalidValue, match=message):
        SuccessCriterion("pain", kind, threshold, probability)


def test_the_success_criterion_is_judged_on_the_primary_metric(design):
    with pytest.raises(InvalidValue, match="judged on the primary metric"):
        design(success=SuccessCriterion("mood", CriterionKind.RELATIVE_IMPROVEMENT, 0.3, 0.8))


def test_an_unknown_time_zone_is_refused(design):
    with pytest.raises(InvalidValue, match="time zone 'Mars/Olympus' is not known"):
        design(time_zone="Mars/Olympus")


def test_blinded_trials_are_not_offered_until_they_are_built(ana):
    with pytest.raises(PlanRefused, match="blinded_n_of_1 is not supported yet"):
        dataclasses.replace(ana, design=Design.BLINDED_N_OF_1)


# The fingerprint.


def test_the_fingerprint_is_sha256_of_the_canonical_json(ana):
    import hashlib

    assert ana.fingerprint == hashlib.sha256(ana.canonical_json()).hexdigest()
    assert len(ana.fingerprint) == 64
    assert ana.canonical_json().startswith(b'{"accepted_warnings":[],"analysis":{"min_baseline')


def test_the_fingerprint_is_stable_across_runs(design, ana):
    again, _ = design()
    assert again.fingerprint == ana.fingerprint
    # Pinned: a change to this value means the canonical form changed, which breaks every
    # fingerprint already issued. Change the format version if that is ever intended.
    # Changed once on purpose (issue 10): the default analysis now leaves titration days out
    # and estimates a weekly cycle, so a default protocol's content reads "titration":
    # "exclude" (it was "model") and "weekly": true.
    assert ana.fingerprint == "b8aa57c8257df88589273acfb9fb76a1ac52b2d2daea68d9f47edd9f61d4049a"


def test_the_fingerprint_ignores_key_order_in_the_file(ana, profile, conditions):
    document = protocol_to_document(ana)
    content = document["protocol"]
    keys = list(content)
    random.Random(7).shuffle(keys)
    shuffled = {**document, "protocol": {key: content[key] for key in reversed(keys)}}
    assert list(shuffled["protocol"]) != list(content)
    assert reload(ana, profile, conditions, shuffled).fingerprint == ana.fingerprint


@pytest.mark.parametrize(
    "change",
    [
        {"condition": "crps"},
        {"start_date": START + dt.timedelta(days=1)},
        {"primary_metric": "sleep_quality"},
        {"success": SuccessCriterion("pain", CriterionKind.RELATIVE_IMPROVEMENT, 0.5, 0.8)},
        {"success": SuccessCriterion("pain", CriterionKind.RELATIVE_IMPROVEMENT, 0.3, 0.9)},
        {"overage_percent": 15},
        {"time_zone": "Europe/Paris"},
        {"dose_times": {Timing.NIGHT: dt.time(21, 30), Timing.MORNING: dt.time(8, 0)}},
        {"diary_backfill_days": 2},
        {"formulation": Capsules((Dose(1.5), Dose(3), Dose(4.5)), 180)},
        {"accepted_warnings": (WarningCode.STEPS_TOO_CLOSE,)},
    ],
    ids=lambda change: next(iter(change)),
)
def test_the_fingerprint_changes_when_any_field_changes(ana, change):
    if "primary_metric" in change:
        change = {**change, "success": dataclasses.replace(ana.success, metric="sleep_quality")}
    if "start_date" in change:
        change = {**change, "baseline_days": 13}
    assert dataclasses.replace(ana, **change).fingerprint != ana.fingerprint


def test_the_fingerprint_changes_with_the_schedule_and_the_metrics(ana):
    held = ana.titration.hold(dt.date(2026, 12, 20), 3)
    assert dataclasses.replace(ana, titration=held).fingerprint != ana.fingerprint
    assert dataclasses.replace(ana, metrics=ana.metrics[:2]).fingerprint != ana.fingerprint
    retimed = ana.titration.switch_timing(dt.date(2026, 12, 20), Timing.MORNING)
    assert dataclasses.replace(ana, titration=retimed).fingerprint != ana.fingerprint


def test_locking_does_not_change_the_fingerprint(ana):
    assert ana.lock(at=NOW).fingerprint == ana.fingerprint


# Locking.


def test_a_draft_can_be_revised_and_is_checked_again(ana, profile):
    revised = revise_protocol(ana, profile=profile, diary_backfill_days=1)
    assert revised.diary_backfill_days == 1
    with pytest.raises(PlanRefused, match="too short"):
        revise_protocol(
            ana, profile=profile, baseline_days=3, start_date=START + dt.timedelta(days=11)
        )


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Protocol)])
def test_a_locked_protocol_refuses_every_edit(ana, profile, name):
    locked = ana.lock(at=NOW)
    with pytest.raises(ProtocolLocked, match=r"is locked .* and cannot be changed"):
        revise_protocol(locked, profile=profile, **{name: getattr(ana, name)})
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(locked, name, getattr(ana, name))


@pytest.mark.parametrize(
    "change",
    [
        {"overage_percent": 20},
        {"condition": "crps"},
        {"time_zone": "Europe/Paris"},
        {"success": SuccessCriterion("pain", CriterionKind.RELATIVE_IMPROVEMENT, 0.1, 0.8)},
    ],
    ids=lambda change: next(iter(change)),
)
def test_a_locked_protocol_cannot_be_edited_even_behind_its_back(ana, change):
    locked = ana.lock(at=NOW)
    with pytest.raises(
        ProtocolLocked, match="was locked at 2026-11-27T21:15:00Z and cannot be changed"
    ):
        dataclasses.replace(locked, **change)
    with pytest.raises(TypeError):
        locked.dose_times[Timing.NIGHT] = dt.time(3, 0)


def test_a_locked_protocol_cannot_be_locked_again(ana):
    locked = ana.lock(at=NOW)
    with pytest.raises(ProtocolLocked, match="already locked at 2026-11-27T21:15:00Z"):
        locked.lock(at=NOW + dt.timedelta(hours=1))


def test_the_lock_time_must_carry_a_time_zone(ana):
    with pytest.raises(InvalidValue, match="time zone"):
        ana.lock(at=dt.datetime(2026, 11, 27, 21, 15))  # noqa: DTZ001 - the naive time is the point


# The document.


def test_a_draft_reads_back_as_the_same_protocol(ana, profile, conditions):
    assert reload(ana, profile, conditions) == ana


def test_a_locked_protocol_reads_back_locked_with_its_fingerprint(ana, profile, conditions):
    locked = ana.lock(at=NOW)
    back = reload(locked, profile, conditions)
    assert back.is_locked
    assert back.locked_at == NOW
    assert back.fingerprint == ana.fingerprint


def test_a_locked_protocol_changed_after_locking_is_detected(ana, profile, conditions):
    document = protocol_to_document(ana.lock(at=NOW))
    document["protocol"]["success"]["threshold"] = 0.2
    with pytest.raises(
        IntegrityFailure,
        match="fingerprint mismatch: the locked protocol was changed after locking",
    ):
        reload(ana, profile, conditions, document)


def test_a_locked_protocol_without_a_fingerprint_is_detected(ana, profile, conditions):
    document = protocol_to_document(ana.lock(at=NOW))
    del document["fingerprint"]
    with pytest.raises(IntegrityFailure, match="carries no fingerprint"):
        reload(ana, profile, conditions, document)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(format="other/1"), "not an ldntrial protocol"),
        (lambda d: d["protocol"].pop("metrics"), "missing protocol field\\(s\\): metrics"),
        (lambda d: d["protocol"].update(colour="blue"), "unknown protocol field\\(s\\): colour"),
        (
            lambda d: d["protocol"].update(start_date="28/11/2026"),
            "start date '28/11/2026' is not a date: use YYYY-MM-DD",
        ),
        (
            lambda d: d["protocol"]["titration"]["steps"][0].update(dose_mg=-1),
            "dose step 1: dose -1 mg is not possible",
        ),
        (
            lambda d: d["protocol"]["titration"]["steps"][1].update(dose_mg=9),
            "above the highest daily dose studied",
        ),
        (lambda d: d["protocol"].update(baseline_days="14"), "baseline days must be a whole"),
        (lambda d: d["protocol"].update(design="crossover"), "design 'crossover' is not known"),
        (lambda d: d["protocol"]["formulation"].update(kind="patch"), "formulation 'patch'"),
        (
            lambda d: d["protocol"].update(accepted_warnings=["be-careful"]),
            "unknown warning 'be-careful'",
        ),
        (lambda d: d.update(locked_at="yesterday"), "locked_at 'yesterday' is not a timestamp"),
    ],
)
def test_a_bad_document_is_refused_with_the_field_named(ana, profile, conditions, edit, message):
    document = json.loads(json.dumps(protocol_to_document(ana)))
    edit(document)
    with pytest.raises(LdnTrialError, match=message):
        reload(ana, profile, conditions, document)


# Documents written before protocols held their analysis settings, and the import graph.


def legacy_document(protocol: Protocol) -> dict[str, Any]:
    """A locked document as written before the analysis block existed (its fingerprint then
    covered the content without it)."""
    import hashlib

    from ldntrial.core.canonical import canonical_json

    content = {k: v for k, v in protocol.content().items() if k != "analysis"}
    return {
        "format": "ldntrial.protocol/1",
        "protocol": content,
        "locked_at": "2026-11-27T21:15:00Z",
        "fingerprint": hashlib.sha256(canonical_json(content)).hexdigest(),
    }


def test_a_locked_document_without_an_analysis_block_still_reads_and_verifies(
    ana, profile, conditions
):
    document = legacy_document(ana)
    protocol = reload(ana, profile, conditions, document)
    assert protocol.is_locked
    assert protocol.fingerprint == document["fingerprint"]
    assert protocol.analysis is None
    assert not protocol.has_analysis
    assert protocol.analysis_settings == AnalysisSettings()  # analysed with the defaults
    assert protocol_to_document(protocol) == json.loads(json.dumps(document))


def test_the_report_says_when_the_analysis_was_not_fixed_in_the_protocol(ana, profile, conditions):
    from ldntrial.core.analysis.trial import analyse_trial

    protocol = reload(ana, profile, conditions, legacy_document(ana))
    assert "written before analysis settings were part of the protocol" in (
        analyse_trial(protocol, []).methods
    )


def test_a_partial_analysis_block_is_refused(ana, profile, conditions):
    document = protocol_to_document(ana)
    del document["protocol"]["analysis"]["titration"]
    with pytest.raises(InvalidValue, match="missing analysis setting"):
        reload(ana, profile, conditions, document)


def test_the_protocol_module_imports_neither_design_nor_document():
    # core.trial.protocol holds the value type; design and the file format build on it, never the
    # other way round (issue 10 cut the cycle through Protocol.revise).
    import ast
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("ldntrial.core.trial.protocol")
    assert spec is not None
    assert spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not {"ldntrial.core.trial.design", "ldntrial.core.trial.document"} & imported


def test_an_analysis_block_from_before_the_weekly_cycle_reads_and_verifies(
    ana, profile, conditions
):
    import hashlib

    from ldntrial.core.canonical import canonical_json

    content = ana.content()
    content["analysis"] = {k: v for k, v in content["analysis"].items() if k != "weekly"}
    content["analysis"]["titration"] = "model"
    document = {
        "format": "ldntrial.protocol/1",
        "protocol": content,
        "locked_at": "2026-11-27T21:15:00Z",
        "fingerprint": hashlib.sha256(canonical_json(content)).hexdigest(),
    }
    protocol = reload(ana, profile, conditions, document)
    assert protocol.fingerprint == document["fingerprint"]
    assert protocol.analysis_settings.weekly is None  # analysed as it was locked: no cycle
    assert "titration days modelled as a level of their own; no weekly cycle" in (
        protocol.analysis_settings.describe()
    )
