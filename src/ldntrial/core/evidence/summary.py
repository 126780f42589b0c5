"""The evidence on LDN for one condition, summarised from the study records and sourced context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ldntrial.core.conditions import Condition, ConditionCatalogue
from ldntrial.core.data_files import NonEmpty, OrEmpty, Text, validate
from ldntrial.core.evidence.grading import Grade, grade
from ldntrial.core.evidence.studies import Direction, Study, StudyDesign, StudyLibrary
from ldntrial.core.sources import Sources

CONTEXT_SCHEMA = "ldntrial.evidence-context/1"


@dataclass(frozen=True)
class Point:
    text: Text
    sources: Sources = ()


@dataclass(frozen=True)
class SideEffect:
    name: str
    frequency: str  # for clinicians, with the numbers
    plain: str  # for patients, in plain words
    sources: Sources = ()


@dataclass(frozen=True, kw_only=True)
class EvidenceContext:
    mechanisms: NonEmpty[tuple[Point, ...]] = ()
    arguments_for: NonEmpty[tuple[Point, ...]] = ()
    arguments_against: NonEmpty[tuple[Point, ...]] = ()
    side_effects: OrEmpty[tuple[SideEffect, ...]] = ()
    opioid_warning: Point
    # For a patient who has stopped LDN (no "tell them you take it"); from the same label.
    opioid_warning_after_stop: Point | None = None


# How messages name a row: "mechanisms 2", "side effect 'Nausea'".
_ROWS = {
    "mechanisms": "mechanisms",
    "arguments_for": "arguments_for",
    "arguments_against": "arguments_against",
    "side_effects": "side effect",
}


def parse_context(raw: object, where: str = "evidence_context.yaml") -> EvidenceContext:
    return validate(EvidenceContext, raw, where=where, schema=CONTEXT_SCHEMA, rows=_ROWS)


@dataclass(frozen=True)
class Summary:
    condition: Condition
    grade: Grade
    trials: tuple[Study, ...]  # randomised trials with results, largest first
    other_studies: tuple[Study, ...]  # observational, uncontrolled, case reports
    reviews: tuple[Study, ...]
    registered: tuple[Study, ...]  # registered trials without results
    context: EvidenceContext

    @property
    def participants_randomised(self) -> int:
        return sum(s.participants or 0 for s in self.trials)

    @property
    def direction(self) -> str:
        """What the randomised trials found, in one phrase."""
        if not self.trials:
            return "no randomised trials"
        found = {s.direction for s in self.trials}
        if found == {Direction.BENEFIT}:
            return "benefit"
        if found <= {Direction.NO_DIFFERENCE, Direction.HARM}:
            return (
                "no benefit over placebo"
                if any(s.placebo_controlled for s in self.trials)
                else "no difference"
            )
        if Direction.BENEFIT in found:
            return "mixed"
        return "unclear"

    @property
    def largest_trial(self) -> Study | None:
        return self.trials[0] if self.trials else None


def summarise(
    condition: str,
    *,
    library: StudyLibrary,
    conditions: ConditionCatalogue,
    context: EvidenceContext,
) -> Summary:
    known = conditions.get(condition)
    studies = library.for_condition(condition)
    trials = sorted(
        (s for s in studies if s.design.randomised_trial),
        key=lambda s: (-(s.participants or 0), s.key),
    )
    return Summary(
        condition=known,
        grade=grade(studies),
        trials=tuple(trials),
        other_studies=tuple(
            sorted(
                (
                    s
                    for s in studies
                    if not s.design.randomised_trial
                    and s.design not in (StudyDesign.SYSTEMATIC_REVIEW, StudyDesign.PROTOCOL)
                ),
                key=lambda s: (-(s.participants or 0), s.key),
            )
        ),
        reviews=tuple(s for s in studies if s.design is StudyDesign.SYSTEMATIC_REVIEW),
        registered=tuple(s for s in studies if s.design is StudyDesign.PROTOCOL),
        context=context,
    )


def summary_json(summary: Summary) -> dict[str, Any]:
    def study(s: Study) -> dict[str, Any]:
        return {
            "key": s.key,
            "name": s.short,
            "design": s.design.value,
            "participants": s.participants,
            "dose": s.dose,
            "primary_outcome": s.primary_outcome,
            "result": s.result,
            "direction": s.direction.value,
            "citation": s.citation.text(),
            "doi": s.citation.doi,
            "registry": s.citation.registry,
            "urls": list(s.urls),
        }

    g = summary.grade
    return {
        "condition": summary.condition.key,
        "name": summary.condition.name,
        "certainty": g.label,
        "certainty_start": g.start.label if g.start else None,
        "certainty_start_reason": g.start_reason,
        "downgrades": [
            {"domain": d.domain.value, "levels": d.levels, "reason": d.reason} for d in g.downgrades
        ],
        "randomised_trials": len(summary.trials),
        "participants_randomised": summary.participants_randomised,
        "direction": summary.direction,
        "trials": [study(s) for s in summary.trials],
        "other_studies": [study(s) for s in summary.other_studies],
        "reviews": [study(s) for s in summary.reviews],
        "registered_without_results": [study(s) for s in summary.registered],
    }
