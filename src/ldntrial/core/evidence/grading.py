"""Certainty of the evidence per condition, computed from the study records (GRADE-inspired).

The algorithm (docs/decisions/0007-certainty-grading.md):

* The body of evidence is every study with results (registered trials without results and
  systematic reviews are shown but not graded). When randomised trials exist, only they are
  graded and certainty starts HIGH; otherwise it starts LOW (observational or uncontrolled).
* Each downgrade lowers certainty by one level (two for very serious imprecision), never below
  VERY LOW, and names its reason:
  - design: no study has a comparison group (case reports, case series, single-arm studies);
  - risk of bias: trials that are open label, single blind or of unstated blinding, or
    crossovers stated to have no washout, contribute at least half of the participants;
  - imprecision: fewer than 400 participants in all (GRADE's rule of thumb for an optimal
    information size), very serious below 100;
  - inconsistency: randomised trials point different ways (benefit, none, harm or unclear);
  - indirectness: no trial compares LDN with placebo.

These thresholds are product rules modelled on GRADE, not clinical facts.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from ldntrial.core.evidence.studies import Direction, Study, StudyDesign

OPTIMAL_INFORMATION_SIZE = 400
VERY_SERIOUS_IMPRECISION_BELOW = 100
NO_COMPARISON = {
    StudyDesign.CASE_REPORT,
    StudyDesign.CASE_SERIES,
    StudyDesign.SINGLE_ARM,
    StudyDesign.RETROSPECTIVE,
    StudyDesign.REGISTRY_STUDY,
    StudyDesign.DOSE_FINDING,
}


class Certainty(enum.IntEnum):
    VERY_LOW = 1
    LOW = 2
    MODERATE = 3
    HIGH = 4

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", " ")


class Domain(enum.Enum):
    DESIGN = "design"
    RISK_OF_BIAS = "risk of bias"
    IMPRECISION = "imprecision"
    INCONSISTENCY = "inconsistency"
    INDIRECTNESS = "indirectness"


@dataclass(frozen=True)
class Downgrade:
    domain: Domain
    levels: int
    reason: str


@dataclass(frozen=True)
class Grade:
    certainty: Certainty | None  # None: no study with results
    start: Certainty | None
    start_reason: str
    downgrades: tuple[Downgrade, ...]
    graded: tuple[Study, ...]
    participants: int

    @property
    def label(self) -> str:
        return "no evidence" if self.certainty is None else self.certainty.label


def grade(studies: Iterable[Study]) -> Grade:
    body = [
        s for s in studies if s.design not in (StudyDesign.PROTOCOL, StudyDesign.SYSTEMATIC_REVIEW)
    ]
    if not body:
        return Grade(None, None, "no study with results", (), (), 0)
    trials = [s for s in body if s.design.randomised_trial]
    graded = trials or body
    participants = sum(s.participants or 0 for s in graded)
    downgrades: list[Downgrade] = []
    if trials:
        start, start_reason = Certainty.HIGH, f"{len(trials)} randomised trial(s)"
        downgrades += _risk_of_bias(trials, participants)
    else:
        start, start_reason = Certainty.LOW, "no randomised trial: observational or uncontrolled"
        if all(s.design in NO_COMPARISON for s in body):
            kinds = sorted({s.design.label for s in body})
            downgrades.append(
                Downgrade(
                    Domain.DESIGN, 1, f"no comparison group in any study ({', '.join(kinds)})"
                )
            )
    downgrades += _imprecision(participants)
    if trials:
        downgrades += _inconsistency(trials) + _indirectness(trials)
    lowered = start - sum(d.levels for d in downgrades)
    certainty = Certainty(max(Certainty.VERY_LOW, lowered))
    return Grade(certainty, start, start_reason, tuple(downgrades), tuple(graded), participants)


def _risk_of_bias(trials: list[Study], participants: int) -> list[Downgrade]:
    at_risk = []
    for s in trials:
        why = None
        if s.blinding in (None, "open", "single"):
            why = f"{s.short}: {s.blinding or 'blinding not stated'}"
        elif s.design is StudyDesign.RCT_CROSSOVER and s.crossover_washout is False:
            why = f"{s.short}: crossover without washout"
        if why:
            at_risk.append((s, why))
    share = sum(s.participants or 0 for s, _ in at_risk)
    if at_risk and participants and share * 2 >= participants:
        reasons = "; ".join(why for _, why in at_risk)
        return [
            Downgrade(
                Domain.RISK_OF_BIAS,
                1,
                f"trials at risk of bias hold {share} of {participants} participants ({reasons})",
            )
        ]
    return []


def _imprecision(participants: int) -> list[Downgrade]:
    if participants < VERY_SERIOUS_IMPRECISION_BELOW:
        return [
            Downgrade(
                Domain.IMPRECISION,
                2,
                f"very few participants in all ({participants}; fewer than "
                f"{VERY_SERIOUS_IMPRECISION_BELOW})",
            )
        ]
    if participants < OPTIMAL_INFORMATION_SIZE:
        return [
            Downgrade(
                Domain.IMPRECISION,
                1,
                f"few participants in all ({participants}; fewer than {OPTIMAL_INFORMATION_SIZE})",
            )
        ]
    return []


def _inconsistency(trials: list[Study]) -> list[Downgrade]:
    by_direction: dict[Direction, list[str]] = {}
    for s in trials:
        by_direction.setdefault(s.direction, []).append(s.short)
    if len(by_direction) < 2:
        return []
    words = {
        Direction.BENEFIT: "benefit in",
        Direction.NO_DIFFERENCE: "no benefit in",
        Direction.HARM: "harm in",
        Direction.UNCLEAR: "unclear in",
    }
    parts = [f"{words[d]} {', '.join(by_direction[d])}" for d in Direction if d in by_direction]
    return [Downgrade(Domain.INCONSISTENCY, 1, "trials point different ways: " + "; ".join(parts))]


def _indirectness(trials: list[Study]) -> list[Downgrade]:
    if not any(s.placebo_controlled for s in trials):
        return [
            Downgrade(
                Domain.INDIRECTNESS,
                1,
                "no trial compares LDN with placebo (active comparators only)",
            )
        ]
    return []
