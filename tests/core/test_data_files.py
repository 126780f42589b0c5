"""A bad data file is refused with one line naming the file, the row, the field and the fault.

Each case takes a shipped file, breaks one thing, and expects the whole message.
"""

import copy
from collections.abc import Iterable
from typing import Any

import pytest

from ldntrial import data
from ldntrial.core.conditions import parse_conditions
from ldntrial.core.errors import DataFileError, InvalidValue
from ldntrial.core.evidence.summary import parse_context
from ldntrial.core.screening.catalogue import parse_medicines
from ldntrial.core.screening.rules import parse_rules
from ldntrial.core.sources import Source, Verification
from ldntrial.core.trial.drug import parse_profile
from ldntrial.core.trial.instruments import Metric, parse_instruments
from tests.core.raw_files import raw_file

PARSERS = {
    "conditions.yaml": parse_conditions,
    "evidence_context.yaml": parse_context,
    "instruments.yaml": parse_instruments,
    "ldn_profile.yaml": parse_profile,
    "medicines.yaml": parse_medicines,
    "screening_rules.yaml": parse_rules,
}


# A YAML row, as the loader reads it.
Row = dict[str, Any]


def row(rows: Iterable[Row], key: str, field: str = "key") -> Row:
    return next(r for r in rows if r[field] == key)


def profile_source(raw: dict[str, Any]) -> Row:
    source: Row = raw["values"]["usual_target_mg"]["sources"][0]
    return source


def add_fields(entry: Row) -> None:
    entry.update(zz=1, aa=2)


CASES = [
    (
        "ldn_profile.yaml",
        lambda raw: add_fields(profile_source(raw)),
        "ldn_profile.yaml: usual_target_mg, source 1: unknown field(s) aa, zz",
    ),
    (
        "ldn_profile.yaml",
        lambda raw: raw["values"]["success_relative_fall"].update(value="0.3"),
        "ldn_profile.yaml: success_relative_fall: value must be a number, not '0.3'",
    ),
    (
        "ldn_profile.yaml",
        lambda raw: raw["values"]["capsule_beyond_use_days"].update(value=True),
        "ldn_profile.yaml: capsule_beyond_use_days: value must be a whole number, not True",
    ),
    (
        "ldn_profile.yaml",
        lambda raw: raw["values"]["usual_start_mg"].update(value={"low": 1.5, "high": 0.5}),
        "ldn_profile.yaml: usual_start_mg: dose range 1.5 mg to 0.5 mg runs backwards",
    ),
    (
        "ldn_profile.yaml",
        lambda raw: raw["values"]["oral_liquid_concentrations_mg_per_ml"].update(value=["one"]),
        "ldn_profile.yaml: oral_liquid_concentrations_mg_per_ml: value 1 must be a number, "
        "not 'one'",
    ),
    (
        "ldn_profile.yaml",
        lambda raw: raw["values"]["default_dose_time"].update(value={"night": 1320}),
        'ldn_profile.yaml: default_dose_time: value: expected a time such as "22:00", found 1320',
    ),
    (
        "conditions.yaml",
        lambda raw: raw["source"].update(tag="U"),
        "conditions.yaml, source 1: is tagged U (unverified); unverified facts are not used",
    ),
    (
        "medicines.yaml",
        lambda raw: row(raw["intervals"], "short_acting").update(days=True),
        "medicines.yaml: interval 'short_acting': days must be a whole number, not True",
    ),
    (
        "medicines.yaml",
        lambda raw: row(raw["medicines"], "codeine").update(ingredients=[5]),
        "medicines.yaml: medicine 'codeine': ingredients 1 must be text",
    ),
    (
        "medicines.yaml",
        lambda raw: row(raw["medicines"], "codeine").update(opioid="yes"),
        "medicines.yaml: medicine 'codeine': opioid must be true or false",
    ),
    (
        "medicines.yaml",
        lambda raw: raw["medicines"][0].pop("key"),
        "medicines.yaml: medicine 1: needs key",
    ),
    (
        "medicines.yaml",
        lambda raw: raw["intervals"].append(copy.deepcopy(row(raw["intervals"], "methadone"))),
        "medicines.yaml: interval 'methadone': duplicate key",
    ),
    (
        "screening_rules.yaml",
        lambda raw: row(raw["rules"], "pregnant", "situation").update(severity="meh"),
        "screening_rules.yaml: rule 'pregnant': severity 'meh' is not one of contraindicated, "
        "unrecognised, caution, monitor, info",
    ),
    (
        "instruments.yaml",
        lambda raw: row(raw["metrics"], "sleep_quality").update(anchors={"low": "Worst"}),
        "instruments.yaml: metric 'sleep_quality': anchors: needs high",
    ),
    (
        "instruments.yaml",
        lambda raw: row(raw["metrics"], "mood").update(question="  "),
        "instruments.yaml: metric 'mood': needs question",
    ),
    (
        "evidence_context.yaml",
        lambda raw: raw["side_effects"][0].pop("name"),
        "evidence_context.yaml: side effect 1: needs name",
    ),
    (
        "evidence_context.yaml",
        lambda raw: raw["opioid_warning"].update(text=""),
        "evidence_context.yaml: opioid_warning: needs text",
    ),
]


@pytest.mark.parametrize(("name", "breakage", "message"), CASES)
def test_a_broken_file_is_refused_with_one_line_saying_where_and_what(name, breakage, message):
    raw = raw_file(name)
    breakage(raw)
    with pytest.raises(DataFileError) as refused:
        PARSERS[name](raw)
    assert str(refused.value) == message


def test_a_file_that_is_not_a_mapping_is_refused():
    with pytest.raises(DataFileError) as refused:
        parse_rules(["rules"])
    assert str(refused.value) == "screening_rules.yaml: expected a mapping of fields, found list"


def test_a_protocol_documents_metric_is_refused_as_an_invalid_value():
    pain = data.instruments().get("pain").as_json()
    assert Metric.from_json(pain) == data.instruments().get("pain")
    with pytest.raises(InvalidValue, match=r"^metric: better 'up' is not one of lower, higher$"):
        Metric.from_json({**pain, "better": "up"})


def test_a_clinical_source_cannot_be_made_without_the_url_it_was_read_at():
    assert Source("ldntrial policy", Verification.POLICY).url is None
    with pytest.raises(InvalidValue, match="a clinical source needs the url it was read at"):
        Source("Younger 2013", Verification.VERIFIED)
