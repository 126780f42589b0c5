"""Screening before LDN on the shipped catalogue: a table of medicine lines as people type them,
then the situation rules, then properties of the screen as a whole."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ldntrial import data
from ldntrial.core.screening.catalogue import Severity
from ldntrial.core.screening.screen import (
    MedicineLine,
    Resolution,
    ResolutionKind,
    screen,
)
from ldntrial.core.screening.rules import Situation

C = Severity.CONTRAINDICATED
U = Severity.UNRECOGNISED
CA = Severity.CAUTION
M = Severity.MONITOR
I = Severity.INFO  # noqa: E741 - the table reads better with one-letter severities

CASES = [
    # (typed, verdict, the product it must name, why)
    ("Tylenol #3 1 tab prn", C, "codeine_paracetamol", "US brand of codeine with acetaminophen"),
    ("Tylenol 3", C, "codeine_paracetamol", "the same, typed without '#'"),
    ("Tylenol w/ codeine", C, "codeine_paracetamol", "'w/' joins a combination"),
    ("Tylenol", I, "paracetamol", "plain Tylenol is acetaminophen only"),
    ("tramadol/apap 37.5/325", C, "tramadol", "combination split into its parts"),
    ("Co-codamol 30/500", C, "codeine_paracetamol", "UK generic name of the combination"),
    ("co codamol 8/500 effervescent", C, "codeine_paracetamol", "spacing and form words"),
    ("CO-CODAMOL 30MG/500MG", C, "codeine_paracetamol", "capitals and units"),
    ("Solpadol", C, "codeine_paracetamol", "UK brand"),
    ("Zapain 30/500", C, "codeine_paracetamol", "UK brand"),
    ("Kapake", C, "codeine_paracetamol", "UK brand"),
    ("Tylex", C, "codeine_paracetamol", "UK brand"),
    ("Solpadeine Max", C, "codeine_paracetamol", "UK over-the-counter brand"),
    ("Nurofen Plus", C, "codeine_ibuprofen", "ibuprofen with codeine"),
    ("Nurofen 200mg", I, "ibuprofen", "plain Nurofen is ibuprofen"),
    ("oxycodon 5mg", C, "oxycodone", "misspelling"),
    ("oxicodone", C, "oxycodone", "misspelling"),
    ("OxyContin 10mg bd", C, "oxycodone", "US/UK brand"),
    ("Targin 10/5", C, "oxycodone_naloxone", "naloxone does not make oxycodone safe"),
    ("Percocet 5/325", C, "oxycodone_paracetamol", "US brand"),
    ("Vicodin", C, "hydrocodone_paracetamol", "US brand"),
    ("Norco 5/325", C, "hydrocodone_paracetamol", "US brand"),
    ("hydrocodone", C, "hydrocodone", "generic"),
    ("Hysingla ER 20mg", C, "hydrocodone", "US brand"),
    ("morphine sulfate 10mg", C, "morphine", "salt"),
    ("morfine", C, "morphine", "misspelling"),
    ("MST Continus 10mg bd", C, "morphine", "UK brand"),
    ("Zomorph", C, "morphine", "UK brand"),
    ("Oramorph 10mg/5ml prn", C, "morphine", "oral solution"),
    ("Sevredol", C, "morphine", "UK brand"),
    ("Dilaudid 2mg", C, "hydromorphone", "US brand"),
    ("Palladone", C, "hydromorphone", "UK brand"),
    ("codeine phosphate 30mg qds", C, "codeine", "salt"),
    ("codiene", C, "codeine", "misspelling"),
    ("dihydrocodeine 30mg", C, "dihydrocodeine", "generic"),
    ("DF118", C, "dihydrocodeine", "UK brand"),
    ("co-dydramol", C, "dihydrocodeine_paracetamol", "UK generic combination"),
    ("tramadol 50mg prn", C, "tramadol", "generic"),
    ("tramadole", C, "tramadol", "misspelling"),
    ("Zydol 50mg", C, "tramadol", "UK brand"),
    ("Tramal", C, "tramadol", "brand"),
    ("Ultram", C, "tramadol", "US brand"),
    ("Ultracet", C, "tramadol_paracetamol", "US combination brand"),
    ("Tramacet", C, "tramadol_paracetamol", "UK combination brand"),
    ("tapentadol", C, "tapentadol", "generic"),
    ("Palexia", C, "tapentadol", "EU/UK brand"),
    ("Nucynta", C, "tapentadol", "US brand"),
    ("fentanyl 25mcg/h patch", C, "fentanyl", "patch"),
    ("Durogesic", C, "fentanyl", "EU brand"),
    ("Duragesic 25mcg/h", C, "fentanyl", "US brand"),
    ("Actiq", C, "fentanyl", "lozenge"),
    ("Butrans 10 mcg/h patch", C, "buprenorphine", "buprenorphine for pain"),
    ("pethidine", C, "pethidine", "UK generic"),
    ("Demerol", C, "pethidine", "US brand"),
    ("Valoron", C, "tilidine", "German brand"),
    ("Talwin", C, "pentazocine", "partial agonist"),
    ("Nubain", C, "nalbuphine", "agonist-antagonist"),
    ("butorphanol nasal", C, "butorphanol", "agonist-antagonist"),
    ("Suboxone film", C, "buprenorphine_naloxone", "opioid-use-disorder treatment"),
    ("Zubsolv", C, "buprenorphine_naloxone", "opioid-use-disorder treatment"),
    ("Subutex 8mg", C, "buprenorphine", "opioid-use-disorder treatment"),
    ("Sublocade", C, "buprenorphine", "monthly injection"),
    ("Buvidal", C, "buprenorphine", "EU depot injection"),
    ("Espranor", C, "buprenorphine", "UK wafer"),
    ("methadone 60 mg daily", C, "methadone", "maintenance"),
    ("Methadose", C, "methadone", "US brand"),
    ("Physeptone", C, "methadone", "UK brand"),
    ("codeine linctus", C, "codeine_linctus", "cough medicine containing codeine"),
    ("pholcodine linctus", CA, "pholcodine", "opioid cough suppressant: blocked by naltrexone"),
    ("Galenphol", CA, "pholcodine", "UK brand"),
    ("Imodium 2mg", CA, "loperamide", "peripheral opioid antidiarrhoeal"),
    ("Lomotil", CA, "diphenoxylate_atropine", "opioid antidiarrhoeal"),
    ("co-phenotrope", CA, "diphenoxylate_atropine", "UK name of Lomotil"),
    ("Viberzi", CA, "eluxadoline", "mixed mu-agonist antidiarrhoeal"),
    ("kratom capsules", C, "kratom", "non-prescription opioid"),
    ("tianeptine", C, "tianeptine", "sold as a supplement; mu-opioid agonist"),
    ("heroin", C, "diamorphine", "illicit use"),
    ("opium", C, "opium", "illicit or traditional use"),
    ("poppy seed tea", C, "poppy_seed_tea", "home-made opioid"),
    ("dextromethorphan", I, "dextromethorphan", "in R05DA but not a mu-agonist"),
    ("Robitussin DM", I, "dextromethorphan", "cough brand without an opioid"),
    ("lofexidine", I, "lofexidine", "in N07BC but not an opioid"),
    ("Lucemyra", I, "lofexidine", "US brand of lofexidine"),
    ("naloxone nasal spray", I, "naloxone", "an antagonist, kept for overdose"),
    ("Narcan", I, "naloxone", "US brand of naloxone"),
    ("gabapentin 300 tds", I, "gabapentin", "gabapentinoid"),
    ("Lyrica 75 bd", I, "pregabalin", "gabapentinoid brand"),
    ("sertraline 50mg", I, "sertraline", "SSRI"),
    ("fluoxetine", I, "fluoxetine", "SSRI"),
    ("Cymbalta 60", I, "duloxetine", "SNRI brand"),
    ("amitriptyline 10mg nocte", I, "amitriptyline", "tricyclic"),
    ("levothyroxine 50mcg", M, "levothyroxine", "thyroid replacement: monitor"),
    ("Eltroxin", M, "levothyroxine", "UK brand"),
    ("paracetamol 1g qds", I, "paracetamol", "non-opioid analgesic"),
    ("acetaminophen", I, "paracetamol", "US name"),
    ("Panadol", I, "paracetamol", "brand"),
    ("Adol", I, "paracetamol", "brand sold in the Middle East"),
    ("Advil", I, "ibuprofen", "US brand"),
    ("naproxen", I, "naproxen", "NSAID"),
    ("Voltaren gel", I, "diclofenac", "NSAID brand"),
    ("aspirin 75mg", I, "aspirin", "NSAID"),
    ("celecoxib", I, "celecoxib", "COX-2 inhibitor"),
    ("???", U, None, "garbage: never treated as safe"),
    ("xyz123", U, None, "garbage"),
    ("metformin 500mg", U, None, "not in the catalogue: the clinician must resolve it"),
    ("omeprazole", U, None, "not in the catalogue"),
    ("Contramal", U, None, "a tramadol brand not yet sourced: unrecognised, not safe"),
    ("tramadol and zzyzxine", C, "tramadol", "the unknown part is kept as unrecognised too"),
]


@pytest.fixture(scope="module")
def matcher():
    return data.matcher()


@pytest.fixture(scope="module")
def rules():
    return data.screening_rules()


def test_the_table_has_at_least_80_cases():
    assert len(CASES) >= 80


@pytest.mark.parametrize(("typed", "verdict", "key", "why"), CASES, ids=[c[0] for c in CASES])
def test_each_line_as_typed(matcher, rules, typed, verdict, key, why):
    result = screen([typed], matcher=matcher, rules=rules)
    assert result.verdict is verdict, why
    keys = [f.medicine_key for f in result.findings]
    if key is None:
        assert keys == [None], why
    else:
        assert key in keys, why
    for finding in result.findings:
        if finding.medicine_key is not None:
            assert finding.sources, f"{finding.subject} has no source"
            assert finding.text == typed


def test_an_unknown_word_beside_a_known_opioid_is_also_reported(matcher, rules):
    result = screen(["tramadol and zzyzxine"], matcher=matcher, rules=rules)
    assert [f.severity for f in result.findings] == [C, U]
    assert result.findings[1].subject == "zzyzxine"


def test_blank_lines_are_not_findings(matcher, rules):
    assert screen(["", "   "], matcher=matcher, rules=rules).findings == ()


def test_a_weak_match_is_unrecognised_with_a_suggestion(matcher, rules):
    (finding,) = screen(["trmdl 50"], matcher=matcher, rules=rules).findings
    assert finding.severity is U
    assert finding.suggestion == "tramadol"


def test_opioid_findings_cite_the_naltrexone_label(matcher, rules):
    (finding,) = screen(["oxycodone"], matcher=matcher, rules=rules).findings
    assert any("drugcentral.org/label" in (s.url or "") for s in finding.sources)
    assert "7-10 days" in finding.action


# Resolutions by the clinician.


def test_a_resolved_line_takes_the_chosen_entry(matcher, rules):
    line = MedicineLine("Contramal 50", Resolution(ResolutionKind.CATALOGUE_ENTRY, "tramadol"))
    (finding,) = screen([line], matcher=matcher, rules=rules).findings
    assert (finding.severity, finding.medicine_key) == (C, "tramadol")


def test_a_line_confirmed_not_an_opioid_is_info_naming_who_confirmed(matcher, rules):
    line = MedicineLine("metformin 500mg", Resolution(ResolutionKind.NOT_AN_OPIOID, by="dr-ode"))
    (finding,) = screen([line], matcher=matcher, rules=rules).findings
    assert finding.severity is I
    assert finding.reason == "confirmed not an opioid by dr-ode"


# Situations.


@pytest.mark.parametrize(
    ("situation", "severity"),
    [
        (Situation.OPIOID_USE_DISORDER_TREATMENT, C),
        (Situation.ACUTE_HEPATITIS, C),
        (Situation.LIVER_FAILURE, C),
        (Situation.NALTREXONE_HYPERSENSITIVITY, C),
        (Situation.PREGNANT, CA),
        (Situation.BREASTFEEDING, CA),
        (Situation.AUTOIMMUNE_THYROIDITIS, M),
    ],
)
def test_each_situation_has_a_sourced_rule(matcher, rules, situation, severity):
    (finding,) = screen([], matcher=matcher, rules=rules, situations=[situation]).findings
    assert finding.severity is severity
    assert finding.sources


def test_a_planned_operation_asks_to_plan_analgesia(matcher, rules):
    result = screen(
        [],
        catalogue=catalogue,
        rules=rules,
        surgery_planned=dt.date(2027, 1, 20),
        today=dt.date(2026, 12, 1),
    )
    (finding,) = result.findings
    assert finding.severity is CA
    assert finding.text == "Planned operation or procedure on 2027-01-20"
    assert "48 hours" in finding.action


def test_the_verdict_is_the_most_severe_finding_and_order_is_deterministic(matcher, rules):
    result = screen(
        ["paracetamol", "levothyroxine", "Imodium", "zzz-unknown", "Zydol"],
        catalogue=catalogue,
        rules=rules,
        situations=[Situation.PREGNANT],
    )
    assert result.verdict is C
    assert [f.severity for f in result.findings] == [C, U, CA, CA, M, I]
    assert [f.line for f in result.findings] == [4, 3, 2, None, 1, 0]
    assert [f.subject for f in result.blocking] == ["tramadol", "zzz unknown"]
    assert result.contraindicated_medicines == ("tramadol",)
    assert result.unrecognised_lines == {3}


# Properties.

known = st.sampled_from([c[0] for c in CASES])
unknown_words = st.text(alphabet="bcdfghjklmnpqrstvwxz", min_size=8, max_size=12)


@settings(max_examples=60, deadline=None)
@given(medicines=st.lists(known, max_size=5), extra=known)
def test_adding_a_medicine_never_lowers_the_verdict(matcher, rules, medicines, extra):
    before = screen(medicines, matcher=matcher, rules=rules).verdict
    after = screen([*medicines, extra], matcher=matcher, rules=rules).verdict
    assert after.rank <= before.rank


@settings(max_examples=60, deadline=None)
@given(word=unknown_words)
def test_text_not_in_the_catalogue_is_unrecognised(matcher, rules, word):
    assert screen([word], matcher=matcher, rules=rules).verdict is U


@settings(max_examples=40, deadline=None)
@given(medicines=st.lists(known, min_size=1, max_size=6), seed=st.randoms())
def test_the_result_does_not_depend_on_the_order_of_the_list(matcher, rules, medicines, seed):
    shuffled = list(medicines)
    seed.shuffle(shuffled)
    a = screen(medicines, matcher=matcher, rules=rules)
    b = screen(shuffled, matcher=matcher, rules=rules)
    assert a.verdict == b.verdict

    def summary(result):
        return sorted((f.severity.value, f.medicine_key or "", f.subject) for f in result.findings)

    assert summary(a) == summary(b)


def test_a_rule_without_a_source_is_refused():
    import copy

    from ldntrial.core.errors import DataFileError
    from ldntrial.core.screening.rules import parse_rules

    raw = copy.deepcopy(data.read_yaml("screening_rules.yaml"))
    del raw["rules"][0]["sources"]
    with pytest.raises(DataFileError, match="has no source"):
        parse_rules(raw)


def test_a_catalogue_entry_without_a_source_is_refused():
    import copy

    from ldntrial.core.errors import DataFileError
    from ldntrial.core.screening.catalogue import parse_medicines

    raw = copy.deepcopy(data.read_yaml("medicines.yaml"))
    raw["medicines"][0]["sources"] = []
    with pytest.raises(DataFileError, match="has no source"):
        parse_medicines(raw)


def test_every_shipped_entry_has_a_source_with_a_url(matcher):
    for medicine in matcher.catalogue.medicines.values():
        assert medicine.sources, medicine.key
        assert all(s.url for s in medicine.sources), medicine.key
