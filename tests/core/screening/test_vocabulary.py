"""The vocabulary parser on rows written here, then the shipped vocabulary itself."""

import pytest

from ldntrial import data
from ldntrial.core.errors import DataFileError
from ldntrial.core.screening.text import normalise
from ldntrial.core.screening.vocabulary import (
    HEADER,
    SCHEMA,
    Flag,
    Reading,
    ReadingKind,
    VocabularySource,
    parse_vocabulary,
)

ROWS = [
    "norco\tNORCO\tproduct\tACETAMINOPHEN;HYDROCODONE BITARTRATE\tfda-unii\t",
    "paracetamol\tParacetamol\tsubstance\tACETAMINOPHEN\tdmd-opensafely\t",
    "paracetamol\tPARACETAMOL\tsubstance\tACETAMINOPHEN\tfda-unii\t",
    "suboxone\tSUBOXONE\tproduct\tBUPRENORPHINE\tfda-unii\tpartial",
    "allay\tALLAY\tproduct\tACETAMINOPHEN;HYDROCODONE BITARTRATE\tfda-unii\tordinary-words",
]


def parse(*rows):
    return parse_vocabulary([f"# {SCHEMA}", HEADER, *rows], where="test")


def test_readings_of_a_name():
    vocabulary = parse(*ROWS)
    assert vocabulary.readings("norco") == (
        Reading(
            "NORCO",
            ReadingKind.PRODUCT,
            ("ACETAMINOPHEN", "HYDROCODONE BITARTRATE"),
            VocabularySource.FDA_UNII,
            frozenset(),
        ),
    )


def test_every_reading_of_a_name_is_kept():
    readings = parse(*ROWS).readings("paracetamol")
    assert [r.source for r in readings] == [
        VocabularySource.DMD_OPENSAFELY,
        VocabularySource.FDA_UNII,
    ]


def test_an_unknown_name_has_no_readings_and_is_not_contained():
    vocabulary = parse(*ROWS)
    assert vocabulary.readings("tramadol") == ()
    assert "tramadol" not in vocabulary
    assert "norco" in vocabulary
    assert len(vocabulary) == 4


def test_flags():
    vocabulary = parse(*ROWS)
    assert vocabulary.readings("suboxone")[0].partial
    assert not vocabulary.readings("norco")[0].partial
    assert vocabulary.ordinary_words("allay")
    assert not vocabulary.ordinary_words("norco")
    assert vocabulary.readings("allay")[0].flags == {Flag.ORDINARY_WORDS}


def test_words_and_counts():
    vocabulary = parse(*ROWS)
    assert vocabulary.words == {"norco", "paracetamol", "suboxone", "allay"}
    assert vocabulary.longest_name == 1
    assert vocabulary.rows_by_source == {
        VocabularySource.FDA_UNII: 4,
        VocabularySource.DMD_OPENSAFELY: 1,
        VocabularySource.DRUGBANK_OPEN: 0,
    }
    assert vocabulary.rows_by_kind == {ReadingKind.PRODUCT: 3, ReadingKind.SUBSTANCE: 2}


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["# ldntrial.vocabulary/0", HEADER, ROWS[0]], "first line must be"),
        ([f"# {SCHEMA}", "name\tkind", ROWS[0]], "line 2 must be the header"),
        ([f"# {SCHEMA}", HEADER], "has no names"),
        ([f"# {SCHEMA}", HEADER, "norco\tNORCO\tproduct"], "line 3: a row needs 6"),
        (
            [f"# {SCHEMA}", HEADER, ROWS[0], "\tX\tproduct\tA\tfda-unii\t"],
            "line 4: a name is empty",
        ),
        ([f"# {SCHEMA}", HEADER, "x\tX\tbrand\tA\tfda-unii\t"], "line 3: the kind is not known"),
        ([f"# {SCHEMA}", HEADER, "x\tX\tproduct\tA\trxnorm\t"], "line 3: the source is not known"),
        ([f"# {SCHEMA}", HEADER, "x\tX\tproduct\tA;\tfda-unii\t"], "line 3: a component is empty"),
        ([f"# {SCHEMA}", HEADER, "x\tX\tproduct\tA\tfda-unii\tsafe"], "line 3: bad flags"),
    ],
)
def test_bad_files_are_refused_naming_the_line(lines, message):
    with pytest.raises(DataFileError, match=message):
        parse_vocabulary(lines, where="names.tsv.gz")


# --- the shipped vocabulary ------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    return data.vocabulary()


def components(vocabulary, name):
    return {r.components for r in vocabulary.readings(normalise(name))}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # US combination products, from the FDA's "BRAND COMPONENT SUBSTANCE" rows.
        ("Norco", ("ACETAMINOPHEN", "HYDROCODONE BITARTRATE")),
        ("Percocet", ("ACETAMINOPHEN", "OXYCODONE HYDROCHLORIDE")),
        ("Ultracet", ("ACETAMINOPHEN", "TRAMADOL HYDROCHLORIDE")),
        ("Suboxone", ("BUPRENORPHINE HYDROCHLORIDE", "NALOXONE HYDROCHLORIDE")),
        ("Vicoprofen", ("HYDROCODONE BITARTRATE", "IBUPROFEN")),
        ("Percodan", ("ASPIRIN", "OXYCODONE HYDROCHLORIDE")),
        ("Contrave", ("BUPROPION HYDROCHLORIDE", "NALTREXONE HYDROCHLORIDE")),
        # UK products, from dm+d (generic equivalents by BNF code, co- names by BAN).
        ("co-codamol", ("ACETAMINOPHEN", "CODEINE PHOSPHATE")),
        ("Zapain", ("ACETAMINOPHEN", "CODEINE PHOSPHATE")),
        ("Kapake", ("ACETAMINOPHEN", "CODEINE PHOSPHATE")),
        ("Solpadol", ("ACETAMINOPHEN", "CODEINE PHOSPHATE")),
        ("Tramacet", ("ACETAMINOPHEN", "TRAMADOL")),
        ("co-dydramol", ("ACETAMINOPHEN", "DIHYDROCODEINE BITARTRATE")),
        ("co-codaprin", ("ASPIRIN", "CODEINE PHOSPHATE")),
        ("Nurofen Plus", ("CODEINE", "IBUPROFEN")),
        ("Zomorph", ("MORPHINE",)),
    ],
)
def test_combination_and_uk_products_have_their_components(shipped, name, expected):
    assert expected in components(shipped, name)


@pytest.mark.parametrize(
    ("name", "substance"),
    [
        ("metformin", "METFORMIN"),
        ("melatonin", "MELATONIN"),
        ("zolpidem", "ZOLPIDEM"),
        ("trazodone", "TRAZODONE"),
        ("baclofen", "BACLOFEN"),
        ("sertraline", "SERTRALINE"),
        ("atorvastatin", "ATORVASTATIN"),
        ("levothyroxine", "LEVOTHYROXINE"),
        ("levothyroxine sodium", "LEVOTHYROXINE SODIUM"),
        ("omeprazole", "OMEPRAZOLE"),
        ("amlodipine", "AMLODIPINE"),
        ("gabapentin", "GABAPENTIN"),
        ("pregabalin", "PREGABALIN"),
        # INN, BAN and USAN names meet in one substance.
        ("paracetamol", "ACETAMINOPHEN"),
        ("pethidine", "MEPERIDINE"),
        ("dextropropoxyphene", "PROPOXYPHENE"),
        ("salbutamol", "ALBUTEROL"),
        ("adrenaline", "EPINEPHRINE"),
    ],
)
def test_ordinary_medicines_are_substances(shipped, name, substance):
    readings = shipped.readings(normalise(name))
    assert any(
        r.kind is ReadingKind.SUBSTANCE and r.components == (substance,) for r in readings
    ), readings


def test_ambiguity_is_preserved(shipped):
    # The FDA's brand row (one substance, partial) and its components rows (the whole product).
    suboxone = shipped.readings("suboxone")
    assert {r.components for r in suboxone} >= {
        ("BUPRENORPHINE",),
        ("BUPRENORPHINE HYDROCHLORIDE", "NALOXONE HYDROCHLORIDE"),
    }
    assert [r.partial for r in suboxone if r.components == ("BUPRENORPHINE",)] == [True]
    # Two sources for one brand, each with its own reading.
    assert {r.source for r in shipped.readings("mst continus")} == {
        VocabularySource.FDA_UNII,
        VocabularySource.DMD_OPENSAFELY,
    }


def test_every_row_is_normalised_from_its_display_name(shipped):
    # All ~140,000 rows (about two seconds).
    wrong = [
        (name, r.display)
        for name in shipped
        for r in shipped.readings(name)
        if normalise(r.display) != name
    ]
    assert wrong == []


def test_no_name_is_only_one_or_two_letter_words(shipped):
    short = [n for n in shipped if all(len(w) <= 2 for w in n.split())]
    assert short == []


def test_brands_made_of_ordinary_words_are_flagged(shipped):
    assert shipped.ordinary_words("allay")  # a hydrocodone and paracetamol brand
    assert shipped.ordinary_words("triad")
    assert not shipped.ordinary_words("norco")


def test_every_source_contributes(shipped):
    assert all(count > 1000 for count in shipped.rows_by_source.values())
    assert len(shipped) > 100_000


def test_the_shipped_manifest_describes_the_shipped_file(shipped):
    import json
    from importlib import resources

    manifest = json.loads(
        resources.files("ldntrial.data").joinpath("medicine-names/manifest.json").read_text()
    )
    assert manifest["schema"] == SCHEMA
    assert manifest["names"] == len(shipped)
    assert manifest["rows_by_source"] == {s.value: n for s, n in shipped.rows_by_source.items()}
