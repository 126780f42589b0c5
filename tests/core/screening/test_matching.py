"""The matcher on a small catalogue and vocabulary written here, so each behaviour is visible."""

from typing import Any

import pytest

from ldntrial.core.errors import DataFileError
from ldntrial.core.screening.catalogue import parse_medicines
from ldntrial.core.screening.matching import Matcher, MatchKind
from ldntrial.core.screening.vocabulary import HEADER, SCHEMA, parse_vocabulary

SOURCE = [{"citation": "test source", "url": "https://example.org/label", "tag": "V"}]


def entry(
    key: str,
    generic: str,
    *names: str,
    ingredients: list[str] | None = None,
    severity: str = "contraindicated",
    opioid: bool = True,
    group: str = "opioid_analgesic",
    kind: str = "brand",
) -> dict[str, Any]:
    """A catalogue entry as medicines.yaml holds it."""
    return {
        "key": key,
        "generic": generic,
        "ingredients": ingredients or [key],
        "atc": None,
        "group": group,
        "opioid": opioid,
        "severity": severity,
        "meaning": f"{generic} meaning",
        "action": f"{generic} action",
        "names": [{"text": n, "kind": kind, "region": "any"} for n in names],
        "sources": SOURCE,
    }


def non_opioid(key: str, generic: str, *names: str, kind: str = "brand") -> dict[str, Any]:
    return entry(key, generic, *names, severity="info", opioid=False, group="non_opioid", kind=kind)


CATALOGUE = parse_medicines(
    {
        "schema": "ldntrial.medicines/1",
        "medicines": [
            entry("codeine", "codeine", "codeine phosphate", kind="salt"),
            non_opioid("paracetamol", "paracetamol", "acetaminophen", "Tylenol"),
            {
                **non_opioid("paracetamol_abbreviation", "paracetamol (APAP)"),
                "ingredients": ["paracetamol"],
                "names": [{"text": "APAP", "kind": "abbreviation", "region": "US"}],
            },
            entry(
                "codeine_paracetamol",
                "codeine and paracetamol",
                "co-codamol",
                "Tylenol #3",
                "Tylenol with codeine",
                ingredients=["codeine", "paracetamol"],
            ),
            entry("tramadol", "tramadol", "Ultram"),
            entry("oxycodone", "oxycodone"),
            {
                **entry("opium", "opium"),
                "names": [{"text": "tar", "kind": "street", "region": "US"}],
            },
            non_opioid("dextromethorphan", "dextromethorphan", "Robitussin DM"),
            {
                **non_opioid("dextromethorphan_abbreviation", "dextromethorphan (DM)"),
                "ingredients": ["dextromethorphan"],
                "names": [{"text": "DM", "kind": "abbreviation", "region": "US"}],
            },
        ],
    }
)


# A vocabulary of a few vendored names, in the vendored file's format.
VOCABULARY = parse_vocabulary(
    [
        f"# {SCHEMA}",
        HEADER,
        "robitussin\tROBITUSSIN\tproduct\tGUAIFENESIN\tfda-unii\tpartial",
        "coal tar\tCOAL TAR\tsubstance\tCOAL TAR\tfda-unii\tordinary-words",
        "norco\tNORCO\tproduct\tACETAMINOPHEN;HYDROCODONE BITARTRATE\tfda-unii\t",
        "metformin\tMETFORMIN\tsubstance\tMETFORMIN\tfda-unii\t",
        "dac\tDAC\tsubstance\tDECITABINE\tfda-unii\t",
    ]
)

MATCHER = Matcher(CATALOGUE, VOCABULARY)


def matched(
    text: str,
) -> tuple[list[tuple[str, MatchKind, list[str]]], list[tuple[str, str | None]]]:
    """The line's matches (words, how, products or names read) and leftovers (words, the brand
    they follow)."""
    result = MATCHER.match(text)
    return [
        (m.text, m.how, sorted(r.product or r.display for r in m.readings)) for m in result.matches
    ], [(left.text, left.after) for left in result.leftovers]


@pytest.mark.parametrize(
    ("text", "products"),
    [
        ("Tylenol #3 1 tab prn", ["codeine_paracetamol"]),
        ("tylenol 3", ["codeine_paracetamol"]),
        ("Tylenol", ["paracetamol"]),
        ("Tylenol w/ codeine", ["codeine_paracetamol"]),
        ("Co-codamol 30/500", ["codeine_paracetamol"]),
        ("CO CODAMOL 30mg/500mg tablets", ["codeine_paracetamol"]),
        ("codeine phosphate 30 mg qds", ["codeine"]),
        ("Ultram 50mg BID", ["tramadol"]),
        ("Norco 5/325", ["NORCO"]),
    ],
)
def test_a_line_naming_one_product_matches_it_whole(text, products):
    found, leftovers = matched(text)
    assert [p for _, _, p in found] == [products]
    assert leftovers == []


def test_an_exact_name_is_matched_as_exact_and_a_normalised_one_as_normalised():
    assert matched("Norco")[0][0][1] is MatchKind.EXACT
    assert matched("Norco 10/325 tabs")[0][0][1] is MatchKind.NORMALISED


def test_a_combination_typed_as_parts_matches_each_part_as_a_component():
    found, leftovers = matched("tramadol/apap 37.5/325")
    assert [(text, how) for text, how, _ in found] == [
        ("tramadol", MatchKind.COMPONENT),
        ("apap", MatchKind.COMPONENT),
    ]
    assert leftovers == []


def test_a_name_with_two_readings_keeps_both():
    (_, _, products), *_ = matched("Robitussin")[0]
    assert products == ["ROBITUSSIN"]


@pytest.mark.parametrize("qualifier", ["AC", "DAC", "CF", "Plus", "Forte", "Max", "#4", "Extra"])
def test_a_qualifier_after_a_known_brand_is_left_over_and_names_the_brand(qualifier):
    found, leftovers = matched(f"Robitussin {qualifier}")
    assert [text for text, _, _ in found] == ["robitussin"]
    assert len(leftovers) == 1
    assert leftovers[0][1] == "robitussin"


def test_a_misspelling_is_never_corrected_into_a_match():
    found, leftovers = matched("oxycodon 5mg")
    assert found == []
    assert leftovers == [("oxycodon", None)]


def test_a_misspelling_that_resembles_an_opioid_is_flagged_as_that_opioid():
    assert MATCHER.resembles_opioid("oxycodon") == ("oxycodone", 0.94)
    assert MATCHER.resembles_opioid("metformn") is None


def test_a_qualifier_is_never_matched_as_a_medicine_of_its_own():
    found, leftovers = matched("Tylenol DAC")  # DAC is also a name of decitabine
    assert [text for text, _, _ in found] == ["tylenol"]
    assert leftovers == [("dac", "tylenol")]


def test_a_misspelling_of_another_name_carries_a_suggestion_only():
    (leftover,) = MATCHER.match("metformn 500").leftovers
    assert leftover.suggestion == "metformin"


@pytest.mark.parametrize(
    ("text", "leftover"),
    [
        ("coal tar shampoo", None),  # "tar" is opium only on its own
        ("tar", None),
        ("DM type 2", "dm type no2"),  # "DM" is dextromethorphan only beside medicines
    ],
)
def test_street_names_and_abbreviations_count_only_when_the_line_is_all_medicines(text, leftover):
    found, leftovers = matched(text)
    if text == "tar":
        assert [p for _, _, p in found] == [["opium"]]
    elif text == "coal tar shampoo":
        assert [p for _, _, p in found] == [["COAL TAR"]]
    else:
        assert found == []
        assert [t for t, _ in leftovers] == [leftover]


def test_text_that_names_nothing_is_kept_as_a_leftover():
    assert matched("mystery pills from abroad") == ([], [("mystery pills from abroad", None)])


def test_an_unknown_word_next_to_a_known_medicine_is_not_dropped():
    found, leftovers = matched("tramadol and zzyzxine")
    assert [p for _, _, p in found] == [["tramadol"]]
    assert leftovers == [("zzyzxine", None)]


def test_a_line_that_says_the_medicine_was_stopped_is_marked():
    result = MATCHER.match("tramadol (stopped 2022)")
    assert result.says_stopped
    assert [m.text for m in result.matches] == ["tramadol"]
    assert result.leftovers == ()


def test_a_name_that_points_at_two_products_is_refused():
    with pytest.raises(DataFileError, match="also names"):
        parse_medicines(
            {
                "schema": "ldntrial.medicines/1",
                "medicines": [entry("a", "alpha", "shared"), entry("b", "beta", "Shared")],
            }
        )


def test_an_entry_without_a_source_is_refused():
    bad = entry("a", "alpha")
    bad["sources"] = []
    with pytest.raises(DataFileError, match="has no source"):
        parse_medicines({"schema": "ldntrial.medicines/1", "medicines": [bad]})


def test_a_product_rated_below_its_ingredient_is_refused():
    with pytest.raises(DataFileError, match="at least as severe as each of its ingredients"):
        parse_medicines(
            {
                "schema": "ldntrial.medicines/1",
                "medicines": [
                    entry("codeine", "codeine"),
                    {**non_opioid("cough", "cough mixture"), "ingredients": ["codeine"]},
                ],
            }
        )
