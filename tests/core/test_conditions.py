import pytest

from ldntrial.core.conditions import parse_conditions
from ldntrial.core.errors import DataFileError, InvalidValue
from tests.core.raw_files import raw_file


def test_fibromyalgia_carries_its_confirmed_snomed_code(conditions):
    assert conditions.get("fibromyalgia").snomed == "203082005"


def test_a_condition_without_a_confirmed_code_says_so_rather_than_guessing(conditions):
    assert conditions.get("hailey_hailey_disease").snomed is None


def test_an_unknown_condition_names_the_choices(conditions):
    with pytest.raises(InvalidValue, match="unknown condition 'fibro': choose from fibromyalgia"):
        conditions.get("fibro")


def test_a_non_numeric_snomed_code_is_refused():
    raw = raw_file("conditions.yaml")
    raw["conditions"][0]["snomed"] = 203082005
    with pytest.raises(DataFileError, match="SNOMED CT id is digits, quoted as text"):
        parse_conditions(raw)
