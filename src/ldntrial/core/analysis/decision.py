"""The decision at reassessment, from the locked protocol and the analysis.

Rules, applied in this order (product rules, docs/decisions/0008; the clinician accepts or
overrides with a reason):

1. ``insufficient_data`` -> adjust (extend): the primary metric lacks the days the protocol asks.
2. ``low_adherence`` -> adjust: fewer than 80% of reported doses were taken (at least 7 reported).
3. When the probability that the pre-set criterion is met reaches the protocol's threshold:
   - if the protocol also asks for a global impression of change (PGIC) of at least some level:
     ``pgic_missing`` -> adjust (record it) when there is none, ``pgic_not_met`` -> adjust
     (discuss) when it is below that level;
   - otherwise ``success_criterion_met`` -> continue.
4. ``tolerability`` -> adjust (dose or timing): side effects still reported in the last 14 days.
5. ``partial_response`` -> adjust (dose, timing or a longer trial): probably better than
   baseline (P >= 0.8) but the criterion is not met.
6. ``inconclusive`` -> adjust (extend): the criterion is neither likely nor unlikely, its
   probability between 1 - threshold and the threshold (0.2-0.8 by default).
7. ``criterion_not_met`` -> stop: the criterion is unlikely (probability at most 1 - threshold).

The same rules decide a blinded n-of-1 trial (:class:`~ldntrial.core.analysis.blinded.
BlindedAnalysis`), where the primary result is LDN minus the identical placebo: the probabilities
are then of being better than placebo, not than baseline, and the explanations say so (an
extension there means further pairs of periods). Adherence and side-effect courses are read from
the whole diary in both designs.

Stop needs evidence against the pre-set benefit, not only the absence of evidence for it: with
stop after any miss, 5% of simulated patients whose pain truly fell by 40% were told to stop
(docs/decisions/0017).

The operating characteristics of these rules on simulated diaries (how often each outcome
follows a true change of 0-50%) are in docs/validation.md.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from ldntrial.core.analysis.blinded import BlindedAnalysis
from ldntrial.core.analysis.trial import Observation, Sufficiency, TrialAnalysis
from ldntrial.core.trial.blinded import Arm
from ldntrial.core.trial.visit_measures import VisitSummary

MIN_ADHERENCE = 0.8
MIN_DOSES_FOR_ADHERENCE = 7
SETTLED_AFTER_DAYS = 14
PARTIAL_RESPONSE = 0.8


class Outcome(enum.Enum):
    CONTINUE = "continue"
    ADJUST = "adjust"
    STOP = "stop"


class Rule(enum.Enum):
    INSUFFICIENT_DATA = "insufficient_data"
    LOW_ADHERENCE = "low_adherence"
    SUCCESS_CRITERION_MET = "success_criterion_met"
    PGIC_MISSING = "pgic_missing"
    PGIC_NOT_MET = "pgic_not_met"
    TOLERABILITY = "tolerability"
    PARTIAL_RESPONSE = "partial_response"
    INCONCLUSIVE = "inconclusive"
    CRITERION_NOT_MET = "criterion_not_met"


@dataclass(frozen=True)
class SideEffectCourse:
    name: str
    days_reported: int
    first: dt.date
    last: dt.date
    settled: bool


@dataclass(frozen=True)
class Adherence:
    taken: int
    reported: int

    @property
    def share(self) -> float | None:
        return self.taken / self.reported if self.reported else None


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    rule: Rule
    explanation: str
    adherence: Adherence
    side_effects: tuple[SideEffectCourse, ...]
    probability_met: float | None
    visits: VisitSummary = field(default_factory=VisitSummary)


def adherence_of(observations: Iterable[Observation]) -> Adherence:
    reported = [o for o in observations if o.dose_taken is not None]
    return Adherence(sum(1 for o in reported if o.dose_taken), len(reported))


def side_effect_courses(observations: Iterable[Observation]) -> tuple[SideEffectCourse, ...]:
    rows = sorted(observations, key=lambda o: o.day)
    if not rows:
        return ()
    end = rows[-1].day
    days: dict[str, list[dt.date]] = {}
    for row in rows:
        for name in row.side_effects:
            days.setdefault(name, []).append(row.day)
    return tuple(
        SideEffectCourse(
            name, len(seen), seen[0], seen[-1], (end - seen[-1]).days > SETTLED_AFTER_DAYS
        )
        for name, seen in sorted(days.items())
    )


@dataclass(frozen=True)
class _Words:
    """What the explanations compare with: baseline (open label) or placebo (blinded)."""

    met: str  # how the success criterion is named when met
    taken: str
    them: str
    works: str
    extend: str
    longer: str
    improvement: str
    effects: str


_OPEN_LABEL = _Words(
    met="The diary meets the success criterion fixed in advance",
    taken="Doses were taken",
    them="it",
    works="whether LDN works",
    extend="extend the trial and keep the diary going",
    longer="a longer trial",
    improvement="a probable improvement",
    effects="consider a lower dose or morning dosing",
)


def _blinded_words(mcid: str) -> _Words:
    return _Words(
        met=f"The diary meets the success criterion fixed in advance (LDN better than the "
        f"identical placebo by {mcid})",
        taken="Capsules were taken",
        them="them",
        works="whether LDN does better than placebo",
        extend="extend the trial by further pairs of periods and keep the diary going",
        longer="further pairs of periods",
        improvement="a probable improvement over placebo",
        effects="compare how often they came on LDN and on placebo, and consider a lower dose "
        "or morning dosing",
    )


def _capsule_days(
    analysis: TrialAnalysis | BlindedAnalysis, rows: list[Observation]
) -> list[Observation]:
    """The days on which a dose was due: in a blinded trial with periods without capsules, the
    days of those periods (known once unblinded) ask for no dose, so a "not taken" there is not
    a missed dose."""
    if not isinstance(analysis, BlindedAnalysis) or Arm.NO_CAPSULE not in analysis.sequence:
        return rows
    empty = [
        p
        for p, arm in zip(analysis.protocol.periods(), analysis.sequence, strict=True)
        if arm is Arm.NO_CAPSULE
    ]
    return [o for o in rows if not any(p.contains(o.day) for p in empty)]


def decide(
    analysis: TrialAnalysis | BlindedAnalysis,
    observations: Iterable[Observation],
    visits: VisitSummary | None = None,
) -> Decision:
    """The suggested decision for an open-label analysis (change from baseline) or a blinded one
    (LDN minus placebo); ``observations`` are the whole diary (adherence, side effects)."""
    rows = list(observations)
    seen = visits or VisitSummary()
    adherence = adherence_of(_capsule_days(analysis, rows))
    effects = side_effect_courses(rows)
    primary = analysis.primary
    criterion = analysis.protocol.success
    threshold = criterion.probability
    p_met = primary.p_better_than_mcid
    blinded = analysis.protocol.is_blinded
    words = _blinded_words(primary.mcid_text) if blinded else _OPEN_LABEL
    comparator = "placebo" if blinded else "baseline"

    def made(outcome: Outcome, rule: Rule, text: str) -> Decision:
        return Decision(outcome, rule, text, adherence, effects, p_met, seen)

    if primary.sufficiency is Sufficiency.INSUFFICIENT or p_met is None:
        return made(
            Outcome.ADJUST,
            Rule.INSUFFICIENT_DATA,
            f"Not enough diary data to judge{' LDN against placebo' if blinded else ''} "
            f"({primary.sufficiency_reason}): {words.extend}.",
        )
    share = adherence.share
    if (
        share is not None
        and adherence.reported >= MIN_DOSES_FOR_ADHERENCE
        and share < MIN_ADHERENCE
    ):
        return made(
            Outcome.ADJUST,
            Rule.LOW_ADHERENCE,
            f"{words.taken} on {adherence.taken} of {adherence.reported} reported days "
            f"({share:.0%}, below {MIN_ADHERENCE:.0%}): the result cannot show {words.works}; "
            f"agree a plan for taking {words.them} and extend.",
        )
    if p_met >= threshold:
        met = f"{words.met} with probability {p_met:.0%} (threshold {threshold:.0%})"
        wanted = criterion.pgic_at_least
        if wanted is not None and seen.pgic is None:
            return made(
                Outcome.ADJUST,
                Rule.PGIC_MISSING,
                f"{met}, but the protocol also asks for the patient's global impression of "
                f"change ({wanted.value.replace('_', ' ')} or better) and none is recorded: "
                "record it before deciding.",
            )
        if wanted is not None and seen.pgic is not None and not seen.pgic.at_least(wanted):
            return made(
                Outcome.ADJUST,
                Rule.PGIC_NOT_MET,
                f"{met}, but the patient's global impression of change is "
                f"'{seen.pgic.value.replace('_', ' ')}', below the "
                f"'{wanted.value.replace('_', ' ')}' the protocol also asks: discuss it with "
                f"the patient; consider {words.longer} or an adjustment.",
            )
        also = (
            f"; the patient's global impression of change is '{seen.pgic.value.replace('_', ' ')}'"
            if wanted is not None and seen.pgic is not None
            else ""
        )
        return made(Outcome.CONTINUE, Rule.SUCCESS_CRITERION_MET, f"{met}{also}.")
    ongoing = [e.name for e in effects if not e.settled]
    if ongoing:
        return made(
            Outcome.ADJUST,
            Rule.TOLERABILITY,
            f"The criterion is not met (probability {p_met:.0%}) and side effects are still "
            f"reported ({', '.join(ongoing)}): {words.effects}.",
        )
    if primary.p_better is not None and primary.p_better >= PARTIAL_RESPONSE:
        return made(
            Outcome.ADJUST,
            Rule.PARTIAL_RESPONSE,
            f"Probably better than {comparator} (probability {primary.p_better:.0%}) but the "
            f"criterion is not met (probability {p_met:.0%}): consider adjusting the dose or "
            f"{words.longer}, or stop.",
        )
    if p_met > 1 - threshold:
        return made(
            Outcome.ADJUST,
            Rule.INCONCLUSIVE,
            f"Inconclusive: the success criterion is met with probability {p_met:.0%}, neither "
            f"likely (at least {threshold:.0%}) nor unlikely (at most {1 - threshold:.0%}): "
            f"consider {words.longer} before deciding.",
        )
    return made(
        Outcome.STOP,
        Rule.CRITERION_NOT_MET,
        f"The success criterion fixed in advance is not met: its probability is {p_met:.0%} "
        f"(at most {1 - threshold:.0%}), and the diary does not show {words.improvement}.",
    )
