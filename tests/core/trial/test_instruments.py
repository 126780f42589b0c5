import pytest

from ldntrial.core.errors import DataFileError, InvalidValue
from ldntrial.core.trial.instruments import Direction, parse_instruments
from tests.core.raw_files import raw_file


def test_pain_is_coded_with_loinc_72514_3_and_lower_is_better(instruments):
    pain = instruments.get("pain")
    assert (pain.coding.system, pain.coding.code) == ("http://loinc.org", "72514-3")
    assert pain.better is Direction.LOWER


@pytest.mark.parametrize(
    ("key", "better"),
    [
        ("sleep_quality", Direction.HIGHER),
        ("function", Direction.HIGHER),
        ("fatigue", Direction.LOWER),
        ("mood", Direction.HIGHER),
    ],
)
def test_the_other_daily_items_use_project_codes_with_their_direction(instruments, key, better):
    metric = instruments.get(key)
    assert metric.better is better
    assert metric.coding.system == "urn:ldntrial:codesystem:diary-metrics"
    assert metric.sources


def test_an_unknown_metric_names_the_choices(instruments):
    with pytest.raises(InvalidValue, match="unknown metric 'stiffness': choose from pain, "):
        instruments.get("stiffness")


def test_a_metric_without_a_source_is_refused():
    raw = raw_file("instruments.yaml")
    del raw["metrics"][0]["sources"]
    with pytest.raises(DataFileError, match="'pain': has no source"):
        parse_instruments(raw)


def test_a_metric_with_an_undeclared_code_system_is_refused():
    raw = raw_file("instruments.yaml")
    raw["metrics"][0]["code"]["system"] = "snomed"
    with pytest.raises(DataFileError, match="code system 'snomed' is not declared"):
        parse_instruments(raw)


def test_a_metric_with_an_unknown_direction_is_refused():
    raw = raw_file("instruments.yaml")
    raw["metrics"][1]["better"] = "sideways"
    with pytest.raises(DataFileError, match="'sleep_quality'"):
        parse_instruments(raw)
