"""The CENT 2015 checklist items that apply to one blinded n-of-1 trial, as the report answers them.

Source: Vohra S, Shamseer L, Sampson M, et al. CONSORT extension for reporting N-of-1 trials
(CENT) 2015 Statement. BMJ 2015;350:h1738 (doi:10.1136/bmj.h1738), with Shamseer L et al., CENT
2015: explanation and elaboration, BMJ 2015;350:h1793 (doi:10.1136/bmj.h1793);
shared/facts/nof1-systems.md §6c. CENT extends 14 of the 25 CONSORT 2010 items (44 sub-items in
all). Items only for a series of n-of-1 trials (participant flow of many patients, pooled
synthesis, heterogeneity) and items a clinic's own care does not have (trial registration,
funding of a research study) are left out or said not to apply. Topics are paraphrased, not
quoted: the checklist's wording is in the source.

Each item is answered from the trial's own record (its locked protocol, allocation, diary and
unblinding), not from a fixed text, so that a reader can check it against the trial.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ldntrial.core.analysis.blinded import BlindedAnalysis
from ldntrial.core.analysis.blinded_periods import PeriodSummary
from ldntrial.core.trial.protocol import Protocol

CENT_SOURCE = (
    "CENT 2015: Vohra S et al., CONSORT extension for reporting N-of-1 trials (CENT) 2015 "
    "Statement, BMJ 2015;350:h1738; Shamseer L et al., explanation and elaboration, BMJ "
    "2015;350:h1793."
)


@dataclass(frozen=True)
class CentItem:
    number: str
    topic: str
    answer: str


@dataclass(frozen=True)
class TrialFacts:
    """What the checklist answers need beyond the protocol and the analysis."""

    condition: str
    dose: str  # the tolerated dose taken in the LDN periods, e.g. "4.5 mg at night"
    periods: Sequence[PeriodSummary]
    amendments: int
    unblinding: str  # e.g. "planned, on 2026-11-20 by dr-ode"
    ended: str  # why the blinded part ended: planned end, or early with the reason
    decision: str


def cent_items(protocol: Protocol, analysis: BlindedAnalysis, facts: TrialFacts) -> list[CentItem]:
    design = protocol.blinded
    assert design is not None  # noqa: S101 (a blinded analysis has a blinded protocol)
    primary = analysis.primary
    periods = facts.periods
    first, last = protocol.periods()[0], protocol.periods()[-1]
    done = sum(1 for s in periods if s.analysed_days)
    metrics = ", ".join(m.label for m in protocol.metrics)
    analysed = ", ".join(
        f"{m.metric.label} {m.active_days}/{m.placebo_days}" for m in analysis.metrics
    )
    return [
        CentItem("1a", "Identified as an n-of-1 trial", "The title of this report."),
        CentItem(
            "2a",
            "Background and the rationale for an n-of-1 trial",
            f"LDN is used off label in {facts.condition} with mixed controlled evidence, and "
            "placebo response is the usual worry; only a blinded comparison within this patient "
            "can tell its effect from "
            "that response.",
        ),
        CentItem("2b", "Objectives", f"Success fixed in advance: {_success(protocol)}."),
        CentItem(
            "3a",
            "Design, number and length of periods, run-in and wash-out",
            f"{design.describe()}. No wash-out between periods: the run-in days are left out "
            "instead. Before the periods, an open titration to the tolerated dose.",
        ),
        CentItem(
            "3b",
            "Changes to the methods after the start",
            (
                f"{facts.amendments} protocol amendment(s), listed above"
                if facts.amendments
                else "No protocol amendment"
            )
            + f"; {facts.ended}.",
        ),
        CentItem(
            "4a",
            "Diagnosis and concurrent therapies",
            f"{facts.condition}; concurrent medicines and their screening against LDN are in "
            "the clinic record, not in this report.",
        ),
        CentItem(
            "4c",
            "Research study or clinical care",
            "Clinical care in the clinic: a time-limited trial of an off-label treatment; no "
            "research ethics approval is recorded here.",
        ),
        CentItem(
            "5",
            "Interventions in each period",
            f"LDN periods: naltrexone {facts.dose}, one capsule a day; placebo periods: "
            "identical capsules without naltrexone"
            + ("; periods without capsules: none taken" if design.no_capsule else "")
            + ". One numbered kit per capsule period.",
        ),
        CentItem(
            "6a",
            "Outcomes, how and when measured",
            f"Daily diary, 0-10 each: {metrics}; primary: {primary.metric.label}. Side effects "
            "daily; at the end of each period, the patient's guess and global impression.",
        ),
        CentItem(
            "6b",
            "Changes to the outcomes",
            "None: the outcomes are part of the locked protocol and its fingerprint.",
        ),
        CentItem(
            "7a",
            "How the number of periods was chosen",
            f"{design.pairs} pairs of {design.period_days} days, fixed in the locked protocol "
            "before the first period.",
        ),
        CentItem(
            "8a",
            "Sequence generation",
            "The order within each block was drawn at random by the operating system's "
            "cryptographically secure generator when the trial started.",
        ),
        CentItem(
            "8b",
            "Type of randomisation",
            f"Blocked: each of the {design.pairs} blocks holds every arm once, in a random "
            "order (the first block included).",
        ),
        CentItem(
            "9",
            "Allocation concealment",
            "The sequence was sealed (encrypted, key outside the database) and committed to in "
            "the locked protocol; only the pharmacy could read it; kits were numbered and "
            "labelled identically whatever they held.",
        ),
        CentItem(
            "10",
            "Who generated, enrolled and assigned",
            "ldntrial drew the sequence at the trial's start; the clinician enrolled the "
            "patient; the pharmacy prepared the kits from the sealed sequence.",
        ),
        CentItem(
            "11a",
            "Blinding",
            "The patient (who scored the outcomes) and the clinician were blinded until the "
            f"unblinding ({facts.unblinding}); the pharmacy was not. Blinding check below.",
        ),
        CentItem(
            "11b",
            "Similarity of the interventions",
            "Active and placebo capsules identical in size, colour, filler and count.",
        ),
        CentItem(
            "12a",
            "Statistical methods, carry-over, period effects, autocorrelation",
            f"{analysis.methods} Block levels absorb period effects; the autocorrelation is "
            "estimated (reported per metric).",
        ),
        CentItem(
            "12b",
            "Additional analyses",
            "Side effects by arm with exact intervals"
            + (", the nocebo ratio" if design.no_capsule else "")
            + ", the blinding check, and a descriptive look at carry-over in the run-in days.",
        ),
        CentItem(
            "13a",
            "Periods completed and analysed",
            f"{done} of {len(periods)} periods have analysed diary days.",
        ),
        CentItem(
            "14a",
            "Dates",
            f"Trial from {protocol.start_date.isoformat()}; blinded periods "
            f"{first.first.isoformat()} to {last.last.isoformat()}; unblinding "
            f"{facts.unblinding}.",
        ),
        CentItem("14b", "Why the trial ended", f"{facts.ended}."),
        CentItem(
            "16",
            "Numbers analysed",
            f"Analysed days on LDN/placebo: {analysed}.",
        ),
        CentItem(
            "17a",
            "Results per period, effect and precision",
            "The sequence table gives each period's mean; each metric's LDN minus placebo with "
            "its 95% credible interval is above.",
        ),
        CentItem(
            "18",
            "Other analyses: carry-over, period effects, autocorrelation",
            "The carry-over check and the autocorrelation per metric above; the blinding check.",
        ),
        CentItem(
            "19",
            "Harms",
            "Side effects in every period, as rates on LDN and on placebo"
            + (" and without capsules" if design.no_capsule else "")
            + ".",
        ),
        CentItem(
            "20",
            "Limitations",
            "One patient and a few periods; daily scores are autocorrelated (modelled); "
            "side-effect intervals treat days as independent; the run-in assumes onset and "
            "carry-over fit inside it.",
        ),
        CentItem(
            "21",
            "Generalisability",
            "The result applies to this patient, at this dose, over these weeks.",
        ),
        CentItem("22", "Interpretation", facts.decision),
        CentItem(
            "24",
            "Where the protocol is",
            f"In the clinic record; its fingerprint is {protocol.fingerprint}.",
        ),
    ]


def _success(protocol: Protocol) -> str:
    return protocol.success.describe(protocol.primary, blinded=True)
