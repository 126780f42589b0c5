"""The matcher on a small catalogue written here, so each behaviour is visible."""

import pytest

from ldntrial.core.screening.catalogue import parse_medicines
from ldntrial.core.screening.matching import Matcher

SOURCE = [{"citation": "test source", "url": "https://example.org/label", "tag": "V"}]


def entry(
    key,
    generic,
    *names,
    ingredients=None,
    severity="contraindicated",
    opioid=True,
    group="opioid_analgesic",
):
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
        "names": [{"text": n, "kind": "brand", "region": "any"} for n in names],
        "sources": SOURCE,
    }


CATALOGUE = parse_medicines(
    {
        "schema": "ldntrial.medicines/1",
        "medicines": [
            entry("codeine", "codeine", "codeine phosphate"),
            entry(
                "paracetamol",
                "paracetamol",
                "acetaminophen",
                "APAP",
                "Tylenol",
                severity="info",
                opioid=False,
                group="non_opioid",
            ),
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
            entry(
                "buprenorphine_naloxone",
                "buprenorphine and naloxone",
                "Suboxone",
                ingredients=["buprenorphine", "naloxone"],
                group="opioid_use_disorder",
            ),
            entry("buprenorphine", "buprenorphine", group="opioid_use_disorder"),
            entry("naloxone", "naloxone", severity="info", opioid=False, group="non_opioid"),
            entry("codeine_linctus", "codeine linctus", group="cough"),
        ],
    }
)


def matched(text):
    result = Matcher(CATALOGUE).match(text)
    return [(m.key, m.confidence) for m in result.matches], [
        (left.text, left.suggestion) for left in result.leftovers
    ]


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("Tylenol #3 1 tab prn", ["codeine_paracetamol"]),
        ("tylenol 3", ["codeine_paracetamol"]),
        ("Tylenol", ["paracetamol"]),
        ("Tylenol w/ codeine", ["codeine_paracetamol"]),
        ("tramadol/apap 37.5/325", ["tramadol", "paracetamol"]),
        ("Co-codamol 30/500", ["codeine_paracetamol"]),
        ("CO CODAMOL 30mg/500mg tablets", ["codeine_paracetamol"]),
        ("Suboxone film", ["buprenorphine_naloxone"]),
        ("codeine linctus", ["codeine_linctus"]),
        ("codeine phosphate 30 mg qds", ["codeine"]),
        ("Ultram 50mg BID", ["tramadol"]),
    ],
)
def test_lines_as_typed_match_their_products(text, keys):
    found, leftovers = matched(text)
    assert [k for k, _ in found] == keys
    assert leftovers == []


def test_a_small_misspelling_matches_with_a_confidence_below_one():
    found, leftovers = matched("oxycodon 5mg")
    assert found == [("oxycodone", 0.94)]
    assert leftovers == []


def test_a_weak_resemblance_is_left_unrecognised_with_a_suggestion():
    found, leftovers = matched("trmdl 50")
    assert found == []
    assert leftovers == [("trmdl", "tramadol")]


def test_short_words_are_not_guessed_at():
    assert matched("oxy") == ([], [("oxy", None)])


def test_text_that_names_nothing_is_kept_as_a_leftover():
    assert matched("mystery pills from abroad") == ([], [("mystery pills from abroad", None)])


def test_an_unknown_word_next_to_a_known_medicine_is_not_dropped():
    found, leftovers = matched("tramadol and zzyzxine")
    assert [k for k, _ in found] == ["tramadol"]
    assert leftovers == [("zzyzxine", None)]


def test_a_name_that_points_at_two_products_is_refused():
    from ldntrial.core.errors import DataFileError

    with pytest.raises(DataFileError, match="also names"):
        parse_medicines(
            {
                "schema": "ldntrial.medicines/1",
                "medicines": [entry("a", "alpha", "shared"), entry("b", "beta", "Shared")],
            }
        )


def test_an_entry_without_a_source_is_refused():
    from ldntrial.core.errors import DataFileError

    bad = entry("a", "alpha")
    bad["sources"] = []
    with pytest.raises(DataFileError, match="has no source"):
        parse_medicines({"schema": "ldntrial.medicines/1", "medicines": [bad]})
