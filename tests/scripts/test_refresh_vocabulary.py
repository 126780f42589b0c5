"""The refresh script rebuilds the vocabulary from a small fixture of each source's real format.

The fixtures in tests/fixtures/vocabulary/ are rows copied from the real files (FDA UNII names,
the DrugBank open vocabulary, OpenSAFELY dm+d codelists in their three layouts), a two-row BAN
table and a tiny word list; expected_names.tsv is the output, checked row by row by hand.
"""

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from scripts import refresh_vocabulary as refresh

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "vocabulary"
DMD = [
    FIXTURES / "user-anschaf-opioids-for-analgesia-dmd.csv",  # code,term,dmd_id,dmd_type,bnf_code
    FIXTURES / "opensafely-calcium-channel-blockers.csv",  # code,term,id,type,bnf_code
    FIXTURES / "user-kate-mansfield-bnf-subcat-0407-analgesics-dmd.csv",  # code,term,dmd_id
]


def run(out: Path) -> None:
    refresh.main(
        [
            "--unii",
            str(FIXTURES / "UNII_Names.txt"),
            "--drugbank",
            str(FIXTURES / "drugbank vocabulary.csv"),
            "--dmd",
            *map(str, DMD),
            "--ban",
            str(FIXTURES / "ban_combinations.tsv"),
            "--words",
            str(FIXTURES / "words.txt"),
            "--out",
            str(out),
        ]
    )


@pytest.fixture
def built(tmp_path):
    run(tmp_path)
    return tmp_path


def rows(out: Path) -> list[list[str]]:
    text = gzip.decompress((out / "names.tsv.gz").read_bytes()).decode("utf-8")
    return [line.split("\t") for line in text.splitlines()[2:]]


def test_rebuilds_the_fixture_exactly(built):
    text = gzip.decompress((built / "names.tsv.gz").read_bytes()).decode("utf-8")
    assert text == (FIXTURES / "expected_names.tsv").read_text(encoding="utf-8")


def test_the_output_is_byte_for_byte_reproducible(built, tmp_path_factory):
    again = tmp_path_factory.mktemp("again")
    run(again)
    for name in ("names.tsv.gz", "manifest.json"):
        assert (built / name).read_bytes() == (again / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "readings"),
    [
        # Components rows give the whole combination.
        (
            "norco",
            {("product", "ACETAMINOPHEN;HYDROCODONE BITARTRATE", "fda-unii", "ordinary-words")},
        ),
        # A brand row names one substance: kept, marked partial, beside the components reading.
        (
            "suboxone",
            {
                ("product", "BUPRENORPHINE", "fda-unii", "partial"),
                ("product", "BUPRENORPHINE HYDROCHLORIDE;NALOXONE HYDROCHLORIDE", "fda-unii", ""),
            },
        ),
        # dm+d brand -> its generic product by BNF code -> the BAN table -> UNII display names.
        ("zapain", {("product", "ACETAMINOPHEN;CODEINE PHOSPHATE", "dmd-opensafely", "")}),
        # No exact generic equivalent: the BNF chemical substance gives one reading.
        ("kapake insts", {("product", "ACETAMINOPHEN;CODEINE PHOSPHATE", "dmd-opensafely", "")}),
        # The supplier is cut from the older layout's AMP terms; both sources' readings kept.
        (
            "istin",
            {
                ("product", "AMLODIPINE", "dmd-opensafely", ""),
                ("product", "AMLODIPINE BESYLATE", "fda-unii", "partial"),
            },
        ),
        # An INN resolves to the UNII display name (paracetamol = ACETAMINOPHEN).
        (
            "paracetamol",
            {
                ("substance", "ACETAMINOPHEN", "fda-unii", ""),
                ("substance", "ACETAMINOPHEN", "drugbank-open", ""),
            },
        ),
    ],
)
def test_readings(built, name, readings):
    found = {(r[2], r[3], r[4], r[5]) for r in rows(built) if r[0] == name}
    assert found == readings


@pytest.mark.parametrize(
    ("normalised", "why"),
    [
        ("dv", "a brand of one or two letters"),
        ("roundup", "a one-word brand that is an ordinary word, tied to one substance"),
        ("zydol", "an untyped dm+d brand: its generic is not known for certain"),
        ("generic alka seltzer xs", "no substance of that name"),
        ("vmp subsequent to", "a dm+d placeholder term"),
        ("hydroxyacetanilide", "a systematic name"),
        ("nsc", "a code"),
        ("eprinomectin component b1a", "a chemical constituent, not a product"),
        ("eprinomectin b1a", "only named by that constituent row"),
        ("haemagglutinin strain b", "a DrugBank entry without a UNII"),
    ],
)
def test_left_out(built, normalised, why):
    assert normalised not in {r[0] for r in rows(built)}, why


def test_every_row_is_normalised_from_its_display_name(built):
    from ldntrial.core.screening.text import normalise

    assert all(r[0] == normalise(r[1]) for r in rows(built))


def test_the_manifest_records_every_input_and_the_counts(built):
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    digests = {entry["file"]: entry["sha256"] for entry in manifest["inputs"]}
    for path in [FIXTURES / "UNII_Names.txt", FIXTURES / "drugbank vocabulary.csv", *DMD]:
        assert digests[path.name] == hashlib.sha256(path.read_bytes()).hexdigest()
    found = rows(built)
    assert manifest["rows"] == len(found)
    assert manifest["names"] == len({r[0] for r in found})
    assert sum(manifest["rows_by_source"].values()) == len(found)
    assert manifest["left_out"]["fda-unii: sys name (code or systematic)"] == 1


def test_refuses_a_file_of_the_wrong_format(tmp_path):
    with pytest.raises(SystemExit, match="not a UNII names file"):
        refresh.main(["--unii", str(FIXTURES / "words.txt"), "--out", str(tmp_path)])


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("PARACETAMOL [INN]", "PARACETAMOL"),
        ("OXYCODONE HYDROCHLORIDE CII [USP-RS]", "OXYCODONE HYDROCHLORIDE CII"),
        ("ACETAMINOPHEN [USP MONOGRAPH] [VANDF]", "ACETAMINOPHEN"),
        ("TYLENOL", "TYLENOL"),
    ],
)
def test_unii_list_tags_are_cut(raw, clean):
    assert refresh.clean_unii_name(raw) == clean


@pytest.mark.parametrize(
    ("name", "chemical"),
    [
        ("4'-HYDROXYACETANILIDE", True),
        ("MORPHINAN-6-ONE, 4,5-EPOXY-3-METHOXY-17-METHYL-", True),
        ("HYDROCODONE HYDROGEN TARTRATE 2.5-HYDRATE", True),
        ("4,5.ALPHA.-EPOXY-14-HYDROXY-3-METHOXY", True),
        ("VITAMIN B12", False),
        ("N-ACETYL-P-AMINOPHENOL", False),
        ("OXYCODONE HCL", False),
    ],
)
def test_systematic_names_are_recognised(name, chemical):
    assert refresh.looks_chemical(name) is chemical


@pytest.mark.parametrize(
    ("normal", "kept"),
    [("", False), ("k", False), ("dm", False), ("b", False), ("no3", False), ("ac dm", False)],
)
def test_names_of_only_one_or_two_letter_words_are_left_out(normal, kept):
    assert (refresh.usable(normal) is None) is kept


@pytest.mark.parametrize(
    ("term", "name"),
    [
        ("Zapain 30mg/500mg tablets", "Zapain"),
        ("Co-codamol 30mg/500mg effervescent tablets", "Co-codamol"),
        (
            "Morphine tartrate 10mg/1ml / Cyclizine tartrate 50mg/1ml solution for injection",
            "Morphine tartrate / Cyclizine tartrate",
        ),
        ("Fultium-D3 800unit capsules", "Fultium-D3"),
        ("Migraleve Yellow tablets", "Migraleve Yellow tablets"),
    ],
)
def test_the_name_of_a_dmd_term_stops_at_its_strength(term, name):
    assert refresh.name_part(term) == name


@pytest.mark.parametrize(
    ("term", "stripped"),
    [
        ("Istin 5mg tablets (Upjohn UK Ltd)", "Istin 5mg tablets"),
        (
            "Amlodipine 5mg tablets (Alliance Healthcare (Distribution) Ltd)",
            "Amlodipine 5mg tablets",
        ),
        ("Amlodipine 5mg tablets", "Amlodipine 5mg tablets"),
    ],
)
def test_the_supplier_is_cut_from_older_amp_terms(term, stripped):
    assert refresh.strip_supplier(term) == stripped


def test_a_name_of_two_substances_resolves_to_neither():
    unii = refresh.Unii(
        display={"A": "PINE TAR", "B": "TRACE AMINE-ASSOCIATED RECEPTOR 8", "C": "TRAMADOL"},
        names={"A": [("cn", "TAR")], "B": [("cn", "TAR")], "C": [("of", "TRAMADOL")]},
    )
    substances = refresh.Substances(unii, [])
    assert substances.get("Tar") is None
    assert substances.get("Tramadol") == "TRAMADOL"
    assert substances.get("pine tar") == "PINE TAR"
