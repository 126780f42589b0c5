"""The patient handout per condition: plain words, natural frequencies; one HTML document
(``reports/handout.html``) for the page and the PDF.

Sentences are kept short (a reading grade of about 8 is checked in a test). Every number comes
from a study record, the LDN profile or the evidence context.
"""

from __future__ import annotations

from ldntrial.core.evidence.grading import Certainty
from ldntrial.core.evidence.studies import Direction, Study
from ldntrial.core.evidence.summary import Summary
from ldntrial.core.trial.drug import LdnProfile
from ldntrial.reports.rendering import render

PLAIN_CERTAINTY = {
    None: "There are no studies of LDN in this condition yet.",
    Certainty.VERY_LOW: "The evidence is very weak. We do not know if LDN helps.",
    Certainty.LOW: "The evidence is weak. We do not know for sure if LDN helps.",
    Certainty.MODERATE: "The evidence is moderate. LDN may help some people.",
    Certainty.HIGH: "The evidence is strong.",
}


def handout_sections(summary: Summary, profile: LdnProfile) -> list[tuple[str, list[str]]]:
    """The handout as (heading, paragraphs) in plain text."""
    low, high = profile.low_dose_range.low.text, profile.low_dose_range.high.text
    start = profile.usual_start.high.text
    target = profile.usual_target.text
    weeks = profile.reassessment_window_weeks
    name = _in_sentence(summary.condition.name)
    sections: list[tuple[str, list[str]]] = [
        (
            "What is LDN?",
            [
                "LDN means low-dose naltrexone. Naltrexone is a medicine.",
                f"LDN uses a very small dose: {low} to {high} mg a day. A pharmacy makes it "
                "for you as capsules or a liquid.",
                f"Doctors use LDN for {name}, but it is not approved for it. "
                "This is called off-label use.",
            ],
        ),
        ("What did the studies find?", _findings(summary)),
        (
            "What your trial of LDN will look like",
            [
                f"First you fill in a short diary each day for {profile.default_baseline_days} "
                "days. You do not take LDN yet. This shows how you are without it.",
                f"Then you start with {start} mg at night. The dose goes up slowly, to about "
                f"{target} mg.",
                f"After {weeks.low} to {weeks.high} weeks on LDN, you and your clinician look at "
                "your diary. You decide together if LDN is worth going on with.",
                "You agree before you start what counts as working.",
            ],
        ),
        (
            "Side effects",
            [f"{e.name}: {e.plain}" for e in summary.context.side_effects]
            + ["Tell your clinic if a side effect is bad or does not go away."],
        ),
        ("Important: opioid medicines", [summary.context.opioid_warning.text]),
        (
            "When to contact your clinic",
            [
                "Contact your clinic if you have a bad side effect.",
                "Contact your clinic before you take any new medicine, most of all for pain, "
                "cough or diarrhoea.",
                "Contact your clinic before any operation or dental work.",
                "Contact your clinic if you become pregnant or plan to.",
            ],
        ),
    ]
    return sections


def _in_sentence(name: str) -> str:
    """'Fibromyalgia' -> 'fibromyalgia'; 'CRPS' and 'ME/CFS' stay as they are."""
    return name[0].lower() + name[1:] if name[1:2].islower() else name


def _findings(summary: Summary) -> list[str]:
    g = summary.grade
    lines = [PLAIN_CERTAINTY[g.certainty]]
    trials = summary.trials
    if not trials:
        others = len(summary.other_studies)
        if others:
            lines.append(
                f"There are no trials that compare LDN with a dummy pill (placebo) in "
                f"{_in_sentence(summary.condition.name)}. There are {others} smaller reports "
                "without a comparison group. These cannot tell us if LDN itself helped."
            )
        return lines
    people = summary.participants_randomised
    lines.append(
        f"There are {len(trials)} trials that compared LDN with another pill. In all, "
        f"{people} people took part."
    )
    largest = trials[0]
    lines.extend(_largest(largest))
    if summary.direction == "mixed":
        lines.append("Some trials found a benefit and others did not.")
    elif summary.direction == "no benefit over placebo":
        lines.append("The trials did not find that LDN worked better than a dummy pill.")
    elif summary.direction == "benefit":
        lines.append("The trials found a benefit, but they were small.")
    lines.append(
        "Many people feel better on any pill, even a dummy pill. That is one reason to test "
        "LDN in a careful way."
    )
    return lines


def _largest(study: Study) -> list[str]:
    lines = []
    n = study.participants
    if n:
        lines.append(f"The largest trial ({study.short}) had {n} people.")
    r = study.responders
    if r is not None:
        ldn, other = r.ldn.natural_frequency(), r.comparator.natural_frequency()
        if ldn and other:
            lines.append(
                f"In that trial, about {ldn[0]} out of {ldn[1]} people on LDN and about "
                f"{other[0]} out of {other[1]} people on a dummy pill had "
                f"{r.outcome.replace('>', 'more than ')}."
            )
    if study.direction is Direction.NO_DIFFERENCE:
        lines.append("On average, people on LDN did not do better than people on the dummy pill.")
    elif study.direction is Direction.BENEFIT:
        lines.append("On average, people on LDN did better than people on the dummy pill.")
    return lines


def handout_html(summary: Summary, profile: LdnProfile, *, patient_label: str | None = None) -> str:
    """The handout as one self-contained HTML document (``reports/handout.html``), for the page
    and the PDF alike."""
    sources = sorted(
        {(s.citation.text(), s.urls[0]) for s in (*summary.trials, *summary.other_studies)}
    )
    return render(
        "reports/handout.html",
        {
            "condition": summary.condition.name,
            "patient_label": patient_label or "",
            "sections": handout_sections(summary, profile),
            "sources": sources,
        },
    )


def handout_css() -> str:
    """The handout's stylesheet exactly as its one ``<style>`` element holds it (the page allows
    that element by its hash)."""
    return render("reports/handout.css", {})


def handout_text(summary: Summary, profile: LdnProfile) -> str:
    """The handout's words only (headings and paragraphs), for reading-level checks."""
    return "\n".join(
        f"{heading}.\n" + "\n".join(paragraphs)
        for heading, paragraphs in handout_sections(summary, profile)
    )
