"""The LDN profile is sourced data: the loader refuses anything without a checked source."""

import datetime as dt

import pytest

from ldntrial.core.doses import Dose
from ldntrial.core.errors import DataFileError
from ldntrial.core.sources import Verification
from ldntrial.core.trial.drug import Timing, parse_profile
from tests.core.raw_files import raw_file


@pytest.fixture
def raw():
    return raw_file("ldn_profile.yaml")


def test_the_shipped_profile_holds_the_usual_regimen(profile):
    assert str(profile.usual_start) == "0.5–1.5 mg"
    assert profile.usual_target == Dose(4.5)
    assert profile.highest_studied == Dose(6)
    assert profile.default_timing is Timing.NIGHT
    assert profile.default_dose_time[Timing.MORNING] == dt.time(8, 0)
    assert (profile.reassessment_window_weeks.low, profile.reassessment_window_weeks.high) == (
        8,
        12,
    )
    assert (profile.minimum_baseline_days, profile.default_baseline_days) == (7, 14)
    assert profile.success_relative_fall == 0.30
    assert Dose(1.5) in profile.capsule_strengths
    assert [str(c) for c in profile.oral_liquid_concentrations] == ["1", "5"]


def test_every_shipped_value_has_a_source_and_clinical_ones_are_checked(profile):
    for key, sources in profile.sources.items():
        assert sources, key
        for source in sources:
            assert source.verification in set(Verification)
            if source.verification is not Verification.POLICY:
                assert source.url, key


def test_the_highest_studied_dose_is_sourced_to_a_verified_trial(profile):
    tags = {s.verification for s in profile.sources["highest_studied_mg"]}
    assert tags == {Verification.VERIFIED}
    assert any("NCT04270877" in s.citation for s in profile.sources["highest_studied_mg"])


def test_a_value_without_a_source_is_refused(raw):
    del raw["values"]["usual_target_mg"]["sources"]
    with pytest.raises(DataFileError, match="usual_target_mg: has no source"):
        parse_profile(raw)


def test_an_empty_source_list_is_refused(raw):
    raw["values"]["highest_studied_mg"]["sources"] = []
    with pytest.raises(DataFileError, match="highest_studied_mg: has no source"):
        parse_profile(raw)


def test_an_unverified_source_is_refused(raw):
    raw["values"]["usual_target_mg"]["sources"][0]["tag"] = "U"
    with pytest.raises(DataFileError, match="tagged U"):
        parse_profile(raw)


def test_a_clinical_source_without_its_url_is_refused(raw):
    del raw["values"]["usual_target_mg"]["sources"][0]["url"]
    with pytest.raises(DataFileError, match="needs the url it was read at"):
        parse_profile(raw)


def test_a_source_without_a_citation_is_refused(raw):
    raw["values"]["usual_target_mg"]["sources"][0]["citation"] = " "
    with pytest.raises(DataFileError, match="has no citation"):
        parse_profile(raw)


def test_a_missing_value_is_refused(raw):
    del raw["values"]["highest_studied_mg"]
    with pytest.raises(DataFileError, match="missing value\\(s\\) highest_studied_mg"):
        parse_profile(raw)


def test_an_unknown_value_is_refused(raw):
    raw["values"]["max_dose_guess"] = {"value": 9, "sources": [{"citation": "x", "tag": "policy"}]}
    with pytest.raises(DataFileError, match="unknown value\\(s\\) max_dose_guess"):
        parse_profile(raw)


def test_a_wrong_schema_is_refused(raw):
    raw["schema"] = "something-else/1"
    with pytest.raises(DataFileError, match=r"expected 'ldntrial\.ldn-profile/1'"):
        parse_profile(raw)


def test_an_impossible_dose_in_the_profile_is_refused(raw):
    raw["values"]["usual_target_mg"]["value"] = -4.5
    with pytest.raises(DataFileError, match=r"dose -4\.5 mg is not possible"):
        parse_profile(raw)


def test_values_that_contradict_each_other_are_refused(raw):
    raw["values"]["usual_target_mg"]["value"] = 9
    with pytest.raises(DataFileError, match="out of order"):
        parse_profile(raw)
