"""Screening before LDN on the shipped catalogue and vocabulary: the case table of medicine lines
as people type them, 150 common medicines, stopped opioids and their intervals, the situation
rules, then properties of the screen as a whole."""

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ldntrial import data
from ldntrial.core.errors import PlanRefused
from ldntrial.core.screening.catalogue import Severity
from ldntrial.core.screening.intervals import check_first_dose
from ldntrial.core.screening.matching import Matcher, MatchKind
from ldntrial.core.screening.rules import Rules, Situation
from ldntrial.core.screening.screen import (
    MedicineLine,
    Resolution,
    ResolutionKind,
    Screening,
    screen,
)
from tests.core.raw_files import raw_file
from tests.core.screening.cases import CA, CASES, QUALIFIED, TRAP_QUALIFIERS, C, I, M, U

COMMON = yaml.safe_load((Path(__file__).parent / "common_medicines.yaml").read_text())
TODAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return data.matcher()


@pytest.fixture(scope="module")
def rules() -> Rules:
    return data.screening_rules()


def run(
    lines: Sequence[MedicineLine | str],
    matcher: Matcher,
    rules: Rules,
    *,
    situations: Iterable[Situation] = (),
    surgery_planned: dt.date | None = None,
    today: dt.date | None = None,
) -> Screening:
    return screen(
        lines,
        matcher=matcher,
        rules=rules,
        situations=situations,
        surgery_planned=surgery_planned,
        today=today,
    )


def test_the_table_has_at_least_300_cases():
    assert len(CASES) + len(QUALIFIED) + len(COMMON["medicines"]) >= 300


@pytest.mark.parametrize(("typed", "verdict", "key", "why"), CASES, ids=[c[0] for c in CASES])
def test_each_line_as_typed(matcher, rules, typed, verdict, key, why):
    result = run([typed], matcher, rules)
    assert result.verdict is verdict, why
    if key is not None:
        assert key in [f.medicine_key for f in result.findings], why
    for finding in result.findings:
        assert finding.text == typed
        if finding.severity is not Severity.UNRECOGNISED:
            assert finding.sources, f"{finding.subject} has no source"
            assert finding.how is not None, f"{finding.subject} does not say how it matched"


@pytest.mark.parametrize(("typed", "_", "__", "why"), QUALIFIED, ids=[q[0] for q in QUALIFIED])
def test_a_brand_with_a_qualifier_is_cleared_only_as_a_whole_known_product(
    matcher, rules, typed, _, __, why
):
    result = run([typed], matcher, rules)
    if not result.verdict.blocks_start:
        (finding,) = result.findings
        assert finding.how in (MatchKind.EXACT, MatchKind.NORMALISED), why


def _common_names() -> Iterator[tuple[str, str, str]]:
    for medicine in COMMON["medicines"]:
        yield medicine["id"], "generic", medicine["generic_us"]
        for brand in medicine.get("brands") or []:
            yield medicine["id"], "brand", brand["name"]
        for variant in medicine.get("typed_variants") or []:
            yield medicine["id"], "typed", variant["text"]


# The few names of common medicines that are not cleared, and why that is right.
NOT_CLEARED = {
    "mixed amphetamine salts (dextroamphetamine/amphetamine)": "a description: 'mixed' names "
    "nothing, so the line cannot be cleared (amfetamine and Adderall are)",
    "thyroid (desiccated)": "'desiccated' names nothing known",
    "K-Tab": "a one-letter name (K) is never matched",
    "Elyxyb": "the FDA brand row names only celecoxib, which Seglentis combines with tramadol",
}


@pytest.mark.parametrize(("medicine", "kind", "name"), list(_common_names()))
def test_the_most_prescribed_non_opioids_are_recognised_and_cleared(
    matcher, rules, medicine, kind, name
):
    result = run([name], matcher, rules)
    if name in NOT_CLEARED:
        assert result.verdict is U, NOT_CLEARED[name]
        return
    assert not result.verdict.blocks_start, f"{name} ({kind} of {medicine}) was not cleared"
    assert all(f.how is not None for f in result.findings)


def test_at_least_98_percent_of_the_common_names_are_cleared(matcher, rules):
    names = [name for _, _, name in _common_names()]
    cleared = [n for n in names if not run([n], matcher, rules).verdict.blocks_start]
    assert len(cleared) / len(names) >= 0.98


def test_a_typical_chronic_pain_list_as_typed_needs_no_resolution(matcher, rules):
    typed = [
        "Lyrica 75mg bd",
        "amitriptyline 10mg nocte",
        "Cymbalta 60",
        "naproxen 500 prn",
        "paracetamol 1g qds",
        "omeprazole 20mg",
        "vitamin D 1000 IU",
        "melatonin 3mg",
        "zolpidem 5mg",
        "baclofen 10mg tds",
        "levothyroxine 50mcg",
        "metformin 500mg bd",
    ]
    result = run(typed, matcher, rules)
    assert not result.blocking
    assert result.lines_to_resolve == frozenset()


# How each line was matched, and from which source.


def test_a_finding_says_how_it_matched_and_from_which_source(matcher, rules):
    (norco,) = run(["Norco"], matcher, rules).findings
    assert norco.how is MatchKind.EXACT
    assert norco.components == ("hydrocodone", "paracetamol")
    (metformin,) = run(["metformin 500mg"], matcher, rules).findings
    assert metformin.how is MatchKind.NORMALISED
    assert {"fda-unii", "dmd", "drugbank"} == {
        key
        for s in metformin.sources
        for key, word in (("fda-unii", "UNII"), ("dmd", "dm+d"), ("drugbank", "DrugBank"))
        if word in s.citation
    }
    tramadol, apap = run(["tramadol/apap"], matcher, rules).findings
    assert (tramadol.how, apap.how) == (MatchKind.COMPONENT, MatchKind.COMPONENT)


def test_a_misspelt_opioid_is_flagged_as_a_fuzzy_match_to_resolve(matcher, rules):
    result = run(["oxycodne 5mg"], matcher, rules)
    (finding,) = result.findings
    assert (finding.severity, finding.how, finding.medicine_key) == (
        C,
        MatchKind.FUZZY,
        "oxycodone",
    )
    assert finding.confidence is not None
    assert finding.confidence < 1
    assert result.lines_to_resolve == {0}


def test_a_misspelt_non_opioid_stays_unrecognised_with_a_suggestion_only(matcher, rules):
    (finding,) = run(["sertralin 50mg"], matcher, rules).findings
    assert finding.severity is U
    assert finding.suggestion is not None
    assert finding.suggestion.startswith("sertralin")
    assert finding.medicine_key is None


def test_an_unknown_word_beside_a_known_opioid_is_also_reported(matcher, rules):
    result = run(["tramadol and zzyzxine"], matcher, rules)
    assert [f.severity for f in result.findings] == [C, U]
    assert result.findings[1].subject == "zzyzxine"


def test_a_brand_row_naming_one_substance_does_not_clear_a_possible_combination(matcher, rules):
    (finding,) = run(["Elyxyb"], matcher, rules).findings
    assert finding.severity is U
    assert "not whether that is all it contains" in finding.reason


def test_blank_lines_are_not_findings(matcher, rules):
    assert run(["", "   "], matcher, rules).findings == ()


def test_opioid_findings_cite_the_naltrexone_label_and_name_the_interval(matcher, rules):
    (finding,) = run(["oxycodone"], matcher, rules).findings
    assert any("drugcentral.org/label" in (s.url or "") for s in finding.sources)
    assert "14 days" in finding.action


def test_a_line_that_says_stopped_asks_for_the_last_dose(matcher, rules):
    (finding,) = run(["tramadol (stopped 2022)"], matcher, rules).findings
    assert finding.severity is C
    assert "record it as stopped with the day of the last dose" in finding.action


# Resolutions by the clinician.


def test_a_resolved_line_takes_the_chosen_entry(matcher, rules):
    line = MedicineLine("Contramal 50", Resolution(ResolutionKind.CATALOGUE_ENTRY, "tramadol"))
    (finding,) = run([line], matcher, rules).findings
    assert (finding.severity, finding.medicine_key) == (C, "tramadol")


def test_a_line_confirmed_not_an_opioid_is_info_naming_who_confirmed(matcher, rules):
    line = MedicineLine("Zzzquil 500mg", Resolution(ResolutionKind.NOT_AN_OPIOID, by="dr-ode"))
    (finding,) = run([line], matcher, rules).findings
    assert finding.severity is I
    assert finding.reason == "confirmed not an opioid by dr-ode"


# Stopped medicines and the opioid-free interval.


@pytest.mark.parametrize(
    ("typed", "days"),
    [
        ("codeine 30mg", 10),  # short-acting: the label's 7-10 days, counted as 10
        ("OxyContin 20mg", 14),  # modified release: no label figure, ldntrial counts 14
        ("methadone 40mg", 14),
        ("Subutex 8mg", 14),
        ("Butrans patch", 14),
        ("Sublocade", 365),
        ("Brixadi", 120),
        ("Buvidal", 120),
        ("Probuphine", 14),
    ],
)
def test_a_stopped_opioid_sets_the_earliest_first_dose_from_its_interval(
    matcher, rules, typed, days
):
    last = dt.date(2026, 11, 20)
    result = run([MedicineLine(typed, stopped=True, last_dose=last)], matcher, rules, today=TODAY)
    limit = result.earliest_first_dose
    assert limit is not None
    assert limit.interval.days == days
    assert limit.earliest == last + dt.timedelta(days=days + 1)
    assert not result.blocking  # the date, not the finding, holds the start back


def test_the_first_dose_is_refused_inside_the_interval_and_allowed_after(matcher, rules):
    last = dt.date(2026, 11, 20)
    result = run([MedicineLine("codeine", stopped=True, last_dose=last)], matcher, rules)
    with pytest.raises(PlanRefused, match=r"on or after 2026-12-01"):
        check_first_dose(result.limits, dt.date(2026, 11, 30))
    check_first_dose(result.limits, dt.date(2026, 12, 1))


def test_the_latest_interval_of_several_stopped_opioids_wins(matcher, rules):
    lines = [
        MedicineLine("codeine", stopped=True, last_dose=dt.date(2026, 11, 25)),
        MedicineLine("methadone", stopped=True, last_dose=dt.date(2026, 11, 20)),
    ]
    limit = run(lines, matcher, rules, today=TODAY).earliest_first_dose
    assert limit is not None
    assert (limit.medicine, limit.earliest) == ("codeine", dt.date(2026, 12, 6))


def test_an_opioid_stopped_without_a_last_dose_stays_contraindicated(matcher, rules):
    (finding,) = run([MedicineLine("tramadol", stopped=True)], matcher, rules).findings
    assert finding.severity is C
    assert "Record the day of the last dose" in finding.action


def test_once_the_interval_has_passed_a_stopped_opioid_is_info(matcher, rules):
    line = MedicineLine("tramadol", stopped=True, last_dose=dt.date(2026, 1, 2))
    (finding,) = run([line], matcher, rules, today=TODAY).findings
    assert finding.severity is I


def test_unknown_text_stopped_longer_ago_than_any_interval_no_longer_matters(matcher, rules):
    old = MedicineLine("mystery pills", stopped=True, last_dose=dt.date(2024, 1, 2))
    recent = MedicineLine("mystery pills", stopped=True, last_dose=dt.date(2026, 11, 2))
    assert run([old], matcher, rules, today=TODAY).verdict is I
    assert run([recent], matcher, rules, today=TODAY).verdict is U


def test_a_stopped_non_opioid_is_info(matcher, rules):
    line = MedicineLine("sertraline", stopped=True, last_dose=dt.date(2026, 11, 2))
    (finding,) = run([line], matcher, rules, today=TODAY).findings
    assert finding.severity is I
    assert finding.reason.startswith("no longer taken")


# Situations and standing advice.


@pytest.mark.parametrize(
    ("situation", "severity"),
    [
        (Situation.OPIOID_USE_DISORDER_TREATMENT, C),
        (Situation.ACUTE_HEPATITIS, C),
        (Situation.LIVER_FAILURE, C),
        (Situation.NALTREXONE_HYPERSENSITIVITY, C),
        (Situation.ACUTE_OPIOID_WITHDRAWAL, C),
        (Situation.POSITIVE_URINE_OPIOID_SCREEN, C),
        (Situation.FAILED_NALOXONE_CHALLENGE, C),
        (Situation.SEVERE_HEPATIC_IMPAIRMENT, C),
        (Situation.SEVERE_RENAL_IMPAIRMENT, C),
        (Situation.PREGNANT, CA),
        (Situation.BREASTFEEDING, CA),
        (Situation.AUTOIMMUNE_THYROIDITIS, M),
    ],
)
def test_each_situation_has_a_sourced_rule(matcher, rules, situation, severity):
    (finding,) = run([], matcher, rules, situations=[situation]).findings
    assert finding.severity is severity
    assert finding.sources


def test_every_situation_a_clinician_can_record_has_a_rule(rules):
    assert set(rules.rules) == set(Situation)


def test_the_standing_advice_warns_of_opioid_sensitivity_after_stopping(matcher, rules):
    advice = {a.key: a for a in run([], matcher, rules).advice}
    assert {"liver_tests", "sensitivity_after_stopping", "emergency_advice"} <= set(advice)
    assert "5 mg dose of oxycodone" in advice["sensitivity_after_stopping"].text
    assert all(a.sources for a in advice.values())


def test_a_planned_operation_asks_to_plan_analgesia(matcher, rules):
    result = run(
        [],
        matcher,
        rules,
        surgery_planned=dt.date(2027, 1, 20),
        today=dt.date(2026, 12, 1),
    )
    (finding,) = result.findings
    assert finding.severity is CA
    assert finding.text == "Planned operation or procedure on 2027-01-20"
    assert "48 hours" in finding.action


def test_the_verdict_is_the_most_severe_finding_and_order_is_deterministic(matcher, rules):
    result = run(
        ["paracetamol", "levothyroxine", "Imodium", "zzz-unknown", "Zydol"],
        matcher,
        rules,
        situations=[Situation.PREGNANT],
    )
    assert result.verdict is C
    assert [f.severity for f in result.findings] == [C, U, CA, CA, M, I]
    assert [f.line for f in result.findings] == [4, 3, 2, None, 1, 0]
    assert [f.subject for f in result.blocking] == ["tramadol", "zzz unknown"]
    assert result.contraindicated_medicines == ("tramadol",)
    assert result.lines_to_resolve == {3}


# Properties.

known = st.sampled_from([c[0] for c in CASES])
unknown_words = st.text(alphabet="bcdfghjklmnpqrstvwxz", min_size=8, max_size=12)
non_opioid_brands = st.sampled_from(
    [c[0] for c in CASES if c[1] is I and " " not in c[0] and c[0][0].isupper()]
)


@settings(max_examples=60, deadline=None)
@given(medicines=st.lists(known, max_size=5), extra=known)
def test_adding_a_medicine_never_lowers_the_verdict(matcher, rules, medicines, extra):
    before = run(medicines, matcher, rules).verdict
    after = run([*medicines, extra], matcher, rules).verdict
    assert after.rank <= before.rank


@settings(max_examples=60, deadline=None)
@given(word=unknown_words)
def test_text_not_in_the_vocabulary_is_never_cleared(matcher, rules, word):
    assert run([word], matcher, rules).verdict.blocks_start


@settings(max_examples=80, deadline=None)
@given(line=known, noise=unknown_words)
def test_no_partial_match_lowers_a_line_below_unrecognised(matcher, rules, line, noise):
    assert run([f"{line} {noise}"], matcher, rules).verdict.rank <= U.rank


@settings(max_examples=80, deadline=None)
@given(brand=non_opioid_brands, qualifier=st.sampled_from(TRAP_QUALIFIERS))
def test_a_qualifier_after_a_known_non_opioid_brand_never_clears_unless_known_whole(
    matcher, rules, brand, qualifier
):
    result = run([f"{brand} {qualifier}"], matcher, rules)
    if not result.verdict.blocks_start:
        assert [f.how for f in result.findings] in (
            [MatchKind.EXACT],
            [MatchKind.NORMALISED],
        )


@settings(max_examples=40, deadline=None)
@given(medicines=st.lists(known, min_size=1, max_size=6), seed=st.randoms())
def test_the_result_does_not_depend_on_the_order_of_the_list(matcher, rules, medicines, seed):
    shuffled = list(medicines)
    seed.shuffle(shuffled)
    a = run(medicines, matcher, rules)
    b = run(shuffled, matcher, rules)
    assert a.verdict == b.verdict

    def summary(result: Screening) -> list[tuple[str, str, str]]:
        return sorted((f.severity.value, f.medicine_key or "", f.subject) for f in result.findings)

    assert summary(a) == summary(b)


# The data files.


def test_a_rule_without_a_source_is_refused():
    from ldntrial.core.errors import DataFileError
    from ldntrial.core.screening.rules import parse_rules

    raw = raw_file("screening_rules.yaml")
    del raw["rules"][0]["sources"]
    with pytest.raises(DataFileError, match="has no source"):
        parse_rules(raw)


def test_a_catalogue_entry_without_a_source_is_refused():
    from ldntrial.core.errors import DataFileError
    from ldntrial.core.screening.catalogue import parse_medicines

    raw = raw_file("medicines.yaml")
    raw["medicines"][0]["sources"] = []
    with pytest.raises(DataFileError, match="has no source"):
        parse_medicines(raw)


def test_every_shipped_entry_has_a_source_and_every_opioid_an_interval(matcher):
    for medicine in matcher.catalogue.medicines.values():
        assert medicine.sources, medicine.key
        assert all(s.url or s.verification.value == "policy" for s in medicine.sources)
        if medicine.opioid and medicine.severity is C:
            assert medicine.interval is not None, medicine.key


def test_every_interval_has_a_source(matcher):
    for interval in matcher.catalogue.intervals.values():
        assert interval.sources, interval.key
