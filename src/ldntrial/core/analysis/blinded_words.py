"""The result of a blinded n-of-1 trial in plain words, for the patient.

Rules (product rules for the patient's result page; the clinician's report has the numbers):

- Say what the diary showed on the primary metric: lower or higher on LDN than on the identical
  placebo capsules, by about how many points (one decimal), or about the same (under 0.05).
- Say how sure that is in words tied to the posterior probability that LDN did better than
  placebo, never as a certainty: at least 95% "very probably", at least 80% "probably", at most
  20% "probably not", at most 5% "very probably not", otherwise "not clear". Probabilities are
  shown to whole percents, and never as 0% or 100% ("less than 1%", "more than 99%"): a finite
  diary cannot rule anything out.
- Give the 95% credible interval as the range of differences that fit the diary, and the chance
  that LDN did better by the worthwhile difference fixed in advance (the protocol's MCID).
- Say why a blinded comparison answers "is it the drug?" (both capsules carry the same
  expectations), and weaken that when the patient often guessed right (the blinding check's
  exact test below 0.05 with more right than wrong) or when the trial was unblinded early.
"""

from __future__ import annotations

from ldntrial.core.analysis.blinded import BlindedAnalysis
from ldntrial.core.trial.instruments import Direction
from ldntrial.core.trial.protocol import CriterionKind

VERY_PROBABLY = 0.95
PROBABLY = 0.80
PROBABLY_NOT = 0.20
VERY_PROBABLY_NOT = 0.05
SAME_BELOW = 0.05  # points: "about the same"
GUESSED_BELOW = 0.05  # the blinding check's p-value below which guessing is called out


def chance(p: float) -> str:
    """A probability for a patient: whole percents, never 0% or 100%."""
    if p > 0.99:
        return "more than 99%"
    if p < 0.01:
        return "less than 1%"
    return f"{p:.0%}"


def _points(x: float) -> str:
    value = f"{abs(x):.1f}"
    return f"{value} point" if value == "1.0" else f"{value} points"


def _side(x: float) -> str:
    if abs(x) < SAME_BELOW:
        return "no difference"
    return f"{_points(x)} {'lower' if x < 0 else 'higher'}"


def certainty(p_better: float) -> str:
    """How sure it is that LDN did better than placebo, in words."""
    if p_better >= VERY_PROBABLY:
        return (
            f"LDN very probably did better than the placebo for you (a chance of about "
            f"{chance(p_better)}), though no test can make this certain."
        )
    if p_better >= PROBABLY:
        return (
            f"LDN probably did better than the placebo for you (a chance of about "
            f"{chance(p_better)}), but this is not certain."
        )
    if p_better > PROBABLY_NOT:
        return (
            f"It is not clear whether LDN did better than the placebo for you (a chance of "
            f"about {chance(p_better)}): a difference like this can come from the ordinary ups "
            "and downs of your symptoms."
        )
    if p_better > VERY_PROBABLY_NOT:
        return (
            f"LDN probably did not do better than the placebo for you (the chance that it did "
            f"is about {chance(p_better)})."
        )
    return (
        f"LDN very probably did not do better than the placebo for you (the chance that it did "
        f"is {chance(p_better)})."
    )


def plain_result(analysis: BlindedAnalysis, *, unblinded_early: bool = False) -> tuple[str, ...]:
    """The patient's result of a blinded trial, one sentence a line."""
    r = analysis.primary
    label = r.metric.label.lower()
    protocol = analysis.protocol
    lines: list[str] = []
    if r.effect_mean is None or r.interval is None or r.p_better is None:
        lines.append(
            "There were not enough diary days in the capsule periods to compare LDN with the "
            f"placebo: this trial cannot say whether LDN changed your {label}."
        )
    else:
        if abs(r.effect_mean) < SAME_BELOW:
            lines.append(f"Your {label} was about the same on LDN as on the placebo capsules.")
        else:
            way = "lower" if r.effect_mean < 0 else "higher"
            lines.append(
                f"Your {label} was {way} on LDN than on the identical placebo capsules, by about "
                f"{_points(r.effect_mean)} out of 10."
            )
        lines.append(certainty(r.p_better))
        low, high = r.interval
        lines.append(
            "Allowing for the ups and downs from day to day, the real difference could be "
            f"anything from {_side(low)} to {_side(high)} on LDN."
        )
        criterion = protocol.success
        if r.p_better_than_mcid is not None and criterion.metric == r.metric.key:
            side = "lower" if r.metric.better is Direction.LOWER else "higher"
            amount = (
                f"{criterion.threshold:.0%} of your {label} on the placebo"
                if criterion.kind is CriterionKind.RELATIVE_IMPROVEMENT
                else _points(criterion.threshold)
            )
            lines.append(
                f"Before the trial, you and your clinician agreed that a difference worth having "
                f"was {side} by at least {amount}: the chance that LDN did that well is about "
                f"{chance(r.p_better_than_mcid)}."
            )
    lines.append(
        "Neither you nor your clinician knew which capsules held LDN until the trial was "
        "unblinded, so expecting to feel better cannot by itself explain a difference between "
        "them."
    )
    check = analysis.blinding
    if (
        check.p_value is not None
        and check.p_value < GUESSED_BELOW
        and check.right * 2 > check.guesses
    ):
        lines.append(
            f"But you guessed which capsules you had in {check.right} of {check.guesses} "
            "periods, so what you expected may still have played a part."
        )
    if unblinded_early:
        lines.append(
            "Your trial was unblinded before its planned end, so this rests on fewer periods "
            "than planned."
        )
    return tuple(lines)
