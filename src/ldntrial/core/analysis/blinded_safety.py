"""Side effects by arm, the nocebo ratio, and the blinding check of a blinded n-of-1 trial.

**Side effects.** For each side effect reported in the diary (and for "any side effect"), the
share of diary days on LDN, on placebo and without capsules on which it was reported, with
Clopper-Pearson (exact) 95% intervals (:mod:`ldntrial.core.analysis.proportions`). Every day of
a period counts, run-in days included: side effects of LDN (vivid dreams, insomnia) come early.
Days are not independent (a side effect lasts several days), so these intervals are narrower
than the truth when side effects cluster; the report says so.

**Nocebo ratio** (SAMSON: Howard et al., JACC 2021, shared/facts/nof1-systems.md §6b):
(placebo rate - no-capsule rate) / (LDN rate - no-capsule rate), the share of the side-effect
burden on LDN that also comes with an identical placebo. Its 95% interval is the central
interval of the ratio under independent Jeffreys Beta(k + 1/2, n - k + 1/2) posteriors of the
three rates (20,000 draws from a fixed seed, so the same diary gives the same interval); it is
reported only when LDN's excess over no capsules is positive.

**Blinding check.** At the end of each capsule period the patient says which they think they
took (LDN, placebo, don't know). Guesses of LDN or placebo are right or wrong; the share right
is compared with chance (1/2) by an exact two-sided binomial test, with an exact interval. With
six guesses even perfect guessing gives p = 0.03, so a non-significant result does not prove the
blinding held; the counts are shown as they are.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ldntrial.core.analysis.proportions import exact_interval
from ldntrial.core.analysis.trial import Observation
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.blinded import Arm, BlindedPeriod

ANY = "any side effect"
NOCEBO_DRAWS = 20_000
NOCEBO_SEED = 20261202


class Guess(enum.Enum):
    LDN = "ldn"
    PLACEBO = "placebo"
    DONT_KNOW = "dont_know"

    @classmethod
    def parse(cls, text: str) -> Guess:
        cleaned = text.strip().lower().replace("'", "").replace(" ", "_").replace("-", "_")
        aliases = {"active": cls.LDN, "dunno": cls.DONT_KNOW, "unknown": cls.DONT_KNOW}
        if cleaned in aliases:
            return aliases[cleaned]
        try:
            return cls(cleaned)
        except ValueError:
            raise InvalidValue(
                f"guess {text!r} is not known: use ldn, placebo or dont_know"
            ) from None


@dataclass(frozen=True)
class SideEffectRate:
    name: str
    arm: Arm
    days_with: int
    days_observed: int
    rate: float | None
    interval: tuple[float, float] | None


@dataclass(frozen=True)
class NoceboRatio:
    name: str
    ratio: float | None
    interval: tuple[float, float] | None
    reason: str  # why there is no ratio, or what it means


@dataclass(frozen=True)
class BlindingCheck:
    guesses: int  # capsule periods with a guess of LDN or placebo
    right: int
    dont_know: int
    missing: int  # capsule periods without any answer
    share_right: float | None
    interval: tuple[float, float] | None
    p_value: float | None  # exact two-sided binomial test against 1/2

    @property
    def summary(self) -> str:
        if not self.guesses:
            return "no guesses of LDN or placebo were recorded: the blinding cannot be checked"
        share = self.right / self.guesses
        p = 1.0 if self.p_value is None else self.p_value
        return (
            f"guessed right in {self.right} of {self.guesses} periods ({share:.0%}; "
            f"chance is 50%, exact p = {p:.2f}); {self.dont_know} 'don't know'"
        )


def _arm_by_day(
    rows: Sequence[Observation], periods: Sequence[BlindedPeriod], arms: Mapping[int, Arm]
) -> list[tuple[Observation, Arm]]:
    out = []
    for row in rows:
        for period in periods:
            if period.contains(row.day):
                out.append((row, arms[period.number]))
                break
    return out


def side_effect_rates(
    rows: Sequence[Observation], periods: Sequence[BlindedPeriod], arms: Mapping[int, Arm]
) -> tuple[SideEffectRate, ...]:
    placed = _arm_by_day(rows, periods, arms)
    names = sorted({name for row, _ in placed for name in row.side_effects})
    used = sorted(set(arms.values()), key=lambda a: list(Arm).index(a))
    out = []
    for name in (ANY, *names):
        for arm in used:
            days = [row for row, a in placed if a is arm]
            hits = sum(
                1 for row in days if (row.side_effects if name == ANY else name in row.side_effects)
            )
            n = len(days)
            out.append(
                SideEffectRate(
                    name,
                    arm,
                    hits,
                    n,
                    hits / n if n else None,
                    exact_interval(hits, n) if n else None,
                )
            )
    return tuple(out)


def nocebo_ratios(
    rows: Sequence[Observation], periods: Sequence[BlindedPeriod], arms: Mapping[int, Arm]
) -> tuple[NoceboRatio, ...]:
    rates = side_effect_rates(rows, periods, arms)
    by = {(r.name, r.arm): r for r in rates}
    out = []
    for name in dict.fromkeys(r.name for r in rates):
        cells = [by.get((name, arm)) for arm in (Arm.ACTIVE, Arm.PLACEBO, Arm.NO_CAPSULE)]
        out.append(_ratio(name, cells))
    return tuple(out)


def _ratio(name: str, cells: list[SideEffectRate | None]) -> NoceboRatio:
    if any(c is None or not c.days_observed for c in cells):
        return NoceboRatio(name, None, None, "not every arm has diary days")
    active, placebo, none = (c for c in cells if c is not None)
    rates = [c.days_with / c.days_observed for c in (active, placebo, none)]
    excess = rates[0] - rates[2]
    if excess <= 0:
        return NoceboRatio(
            name,
            None,
            None,
            "no more frequent on LDN than without capsules: no burden to attribute",
        )
    ratio = (rates[1] - rates[2]) / excess
    rng = np.random.default_rng(NOCEBO_SEED)
    draws = [
        rng.beta(c.days_with + 0.5, c.days_observed - c.days_with + 0.5, NOCEBO_DRAWS)
        for c in (active, placebo, none)
    ]
    excess_draws = draws[0] - draws[2]
    keep = excess_draws > 0
    simulated = (draws[1][keep] - draws[2][keep]) / excess_draws[keep]
    low, high = np.quantile(simulated, [0.025, 0.975])
    return NoceboRatio(
        name,
        float(ratio),
        (float(low), float(high)),
        "share of the burden on LDN that also came with the identical placebo",
    )


def blinding_check(guesses: Mapping[int, Guess], arms: Mapping[int, Arm]) -> BlindingCheck:
    """``guesses`` by period number; ``arms`` the unblinded arm of every period."""
    capsule_periods = [n for n, arm in arms.items() if arm.takes_capsules]
    unknown = set(guesses) - set(capsule_periods)
    if unknown:
        raise InvalidValue(
            f"period {min(unknown)} has no capsules to guess about: guesses go with periods "
            f"{', '.join(map(str, sorted(capsule_periods)))}"
        )
    firm = {n: g for n, g in guesses.items() if g is not Guess.DONT_KNOW}
    right = sum(1 for n, g in firm.items() if (g is Guess.LDN) == (arms[n] is Arm.ACTIVE))
    total = len(firm)
    dont_know = sum(1 for g in guesses.values() if g is Guess.DONT_KNOW)
    missing = len(capsule_periods) - len(guesses)
    if not total:
        return BlindingCheck(0, 0, dont_know, missing, None, None, None)
    p = float(stats.binomtest(right, total, 0.5, alternative="two-sided").pvalue)
    return BlindingCheck(
        total, right, dont_know, missing, right / total, exact_interval(right, total), p
    )
