"""PEG and PGIC as values, and when each is asked."""

import dataclasses
import datetime as dt

import pytest

from ldntrial import data
from ldntrial.core.errors import DataFileError, FieldErrors, InvalidValue
from ldntrial.core.trial.visit_instruments import TermsStatus, parse_visit_instruments
from ldntrial.core.trial.visit_measures import PegScore, Pgic, VisitKind, VisitRecord, VisitSummary
from ldntrial.core.trial.visits import open_visits, validate_visit
from tests.core.raw_files import raw_file


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1, Pgic.VERY_MUCH_IMPROVED),
        ("2", Pgic.MUCH_IMPROVED),
        ("no_change", Pgic.NO_CHANGE),
        (" 7 ", Pgic.VERY_MUCH_WORSE),
    ],
)
def test_the_pgic_is_read_by_number_or_name(raw, expected):
    assert Pgic.parse(raw) is expected


@pytest.mark.parametrize("raw", [0, 8, "better", True, None, 2.5])
def test_a_pgic_outside_the_seven_categories_is_refused(raw):
    with pytest.raises(InvalidValue, match="is not a global impression of change: choose 1"):
        Pgic.parse(raw)


def test_pgic_categories_are_ordered_best_first():
    assert Pgic.VERY_MUCH_IMPROVED.at_least(Pgic.MUCH_IMPROVED)
    assert Pgic.MUCH_IMPROVED.at_least(Pgic.MUCH_IMPROVED)
    assert not Pgic.MINIMALLY_IMPROVED.at_least(Pgic.MUCH_IMPROVED)
    assert [p.rank for p in Pgic] == [1, 2, 3, 4, 5, 6, 7]


def test_the_peg_score_is_the_mean_of_its_three_items():
    assert PegScore(6, 7, 8).score == pytest.approx(7.0)


def test_every_wrong_peg_item_is_reported_at_once():
    with pytest.raises(FieldErrors) as caught:
        PegScore.parse({"pain": "11", "enjoyment": "", "activity": "x", "sleep": "3"})
    assert caught.value.errors == {
        "pain": "PEG pain: choose a whole number from 0 to 10",
        "enjoyment": "PEG enjoyment of life: choose a whole number from 0 to 10",
        "activity": "PEG general activity: choose a whole number from 0 to 10",
        "sleep": "'sleep' is not a PEG item (pain, enjoyment, activity)",
    }
    with pytest.raises(FieldErrors, match="PEG pain: choose a whole number from 0 to 10"):
        PegScore(-1, 2, 3)


def test_the_baseline_asks_the_peg_and_never_the_pgic(protocol):
    day = protocol.start_date + dt.timedelta(days=3)
    record = validate_visit(
        protocol,
        kind=VisitKind.BASELINE,
        day=day,
        today=day,
        peg={"pain": 6, "enjoyment": 5, "activity": 4},
        pgic=None,
    )
    assert record.peg == PegScore(6, 5, 4)
    with pytest.raises(FieldErrors) as caught:
        validate_visit(protocol, kind=VisitKind.BASELINE, day=day, today=day, peg=None, pgic=2)
    assert caught.value.errors == {
        "peg": "answer the three PEG questions (0 to 10 each)",
        "pgic": "the impression of change is asked at reassessment, not at baseline: there is "
        "nothing yet to compare with",
    }


def test_the_reassessment_asks_both_in_its_window(protocol):
    last = protocol.reassessment_date
    record = validate_visit(
        protocol,
        kind=VisitKind.REASSESSMENT,
        day=last,
        today=last,
        peg={"pain": 3, "enjoyment": 3, "activity": 2},
        pgic="much_improved",
    )
    assert record.pgic is Pgic.MUCH_IMPROVED
    early = last - dt.timedelta(days=8)
    with pytest.raises(FieldErrors, match="from a week before to two weeks after"):
        validate_visit(
            protocol,
            kind=VisitKind.REASSESSMENT,
            day=early,
            today=last,
            peg={"pain": 3, "enjoyment": 3, "activity": 2},
            pgic=2,
        )
    with pytest.raises(FieldErrors, match="has not happened yet"):
        validate_visit(
            protocol,
            kind=VisitKind.REASSESSMENT,
            day=last,
            today=early,
            peg={"pain": 3, "enjoyment": 3, "activity": 2},
            pgic=2,
        )


def test_period_ends_are_refused_while_no_protocol_has_periods(protocol):
    with pytest.raises(FieldErrors, match="this protocol has no periods"):
        validate_visit(
            protocol,
            kind=VisitKind.PERIOD_END,
            day=protocol.reassessment_date,
            today=protocol.reassessment_date,
            peg=None,
            pgic=2,
            period=1,
        )


def test_open_visits_follow_the_calendar(protocol):
    assert open_visits(protocol, today=protocol.start_date) == (VisitKind.BASELINE,)
    assert open_visits(protocol, today=protocol.first_dose_date) == ()
    assert open_visits(protocol, today=protocol.reassessment_date) == (VisitKind.REASSESSMENT,)


def test_the_summary_uses_the_latest_record_of_each_visit(protocol):
    day = protocol.start_date
    summary = VisitSummary.of(
        [
            VisitRecord(VisitKind.BASELINE, day, PegScore(8, 8, 8), None),
            VisitRecord(VisitKind.BASELINE, day, PegScore(6, 6, 6), None),
            VisitRecord(VisitKind.REASSESSMENT, day, PegScore(3, 3, 3), Pgic.MUCH_IMPROVED),
        ]
    )
    assert summary.peg_change == pytest.approx(-3.0)
    assert summary.pgic is Pgic.MUCH_IMPROVED


# The sourced data file.


def test_the_shipped_wording_has_sources_and_states_what_is_known_of_the_terms():
    shipped = data.visit_instruments()
    assert [i.key for i in shipped.peg.items] == ["pain", "enjoyment", "activity"]
    assert shipped.peg.items[0].high_anchor == "Pain as bad as you can imagine"
    assert "10.1007/s11606-009-0981-1" in shipped.peg.sources[0].citation
    assert shipped.peg.terms.status is TermsStatus.UNVERIFIED
    assert "applies to the BPI and all its derivatives" in shipped.peg.terms.note
    assert shipped.pgic.labels[Pgic.NO_CHANGE] == "No change"
    assert shipped.pgic.terms.status is TermsStatus.PUBLIC_DOMAIN
    assert shipped.pgic.coding.system == "urn:ldntrial:codesystem:visit-instruments"


def test_a_data_file_that_misses_a_pgic_category_is_refused():
    raw = raw_file("visit_instruments.yaml")
    raw["pgic"]["categories"] = raw["pgic"]["categories"][:6]
    with pytest.raises(DataFileError, match="needs its seven categories"):
        parse_visit_instruments(raw)


def test_a_data_file_with_a_renumbered_category_is_refused():
    raw = raw_file("visit_instruments.yaml")
    raw["pgic"]["categories"][0] = {**raw["pgic"]["categories"][0], "rank": 2}
    with pytest.raises(DataFileError, match="very_much_improved must have rank 1"):
        parse_visit_instruments(raw)


def test_peg_items_out_of_order_are_refused():
    raw = raw_file("visit_instruments.yaml")
    raw["peg"]["items"] = list(reversed(raw["peg"]["items"]))
    with pytest.raises(DataFileError, match="must be pain, enjoyment, activity, in order"):
        parse_visit_instruments(raw)


def test_visit_records_are_values(protocol):
    record = VisitRecord(VisitKind.BASELINE, protocol.start_date, PegScore(1, 2, 3), None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.peg = None  # type: ignore[misc]
