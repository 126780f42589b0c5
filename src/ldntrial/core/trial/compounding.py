"""Compounding quantities: what a pharmacy prepares to cover a titration schedule.

Capsules: each day's dose is made from the fewest capsules of the strengths on offer (one capsule
when a strength equals the dose). Oral liquid: millilitres at a stated concentration. Quantities
cover every day of the schedule plus a stated overage, split into fills that each stay inside the
preparation's beyond-use period.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from ldntrial.core.doses import Dose, plain_number
from ldntrial.core.errors import InvalidValue, PlanRefused
from ldntrial.core.trial.drug import LdnProfile
from ldntrial.core.trial.titration import StepPeriod, TitrationSchedule

MICROGRAMS_PER_MG = 1000


class FormulationKind(enum.Enum):
    CAPSULES = "capsules"
    ORAL_LIQUID = "oral_liquid"

    @property
    def label(self) -> str:
        return "Capsules" if self is FormulationKind.CAPSULES else "Oral liquid"


@dataclass(frozen=True)
class Capsules:
    strengths: tuple[Dose, ...]
    beyond_use_days: int
    kind: FormulationKind = FormulationKind.CAPSULES

    def __post_init__(self) -> None:
        if not self.strengths:
            raise InvalidValue("capsules need at least one strength")
        object.__setattr__(self, "strengths", tuple(sorted(set(self.strengths))))
        _require_days(self.beyond_use_days)

    def describe(self) -> str:
        return "capsules (" + ", ".join(s.text for s in self.strengths) + " mg)"


@dataclass(frozen=True)
class OralLiquid:
    concentration_mg_per_ml: Decimal
    beyond_use_days: int
    kind: FormulationKind = FormulationKind.ORAL_LIQUID

    def __post_init__(self) -> None:
        c = self.concentration_mg_per_ml
        if not c.is_finite() or c <= 0 or c > 50:
            raise InvalidValue(
                f"liquid concentration {c} mg/mL is not possible: use more than 0 and at most "
                "50 mg/mL"
            )
        _require_days(self.beyond_use_days)

    def describe(self) -> str:
        return f"oral liquid {plain_number(self.concentration_mg_per_ml)} mg/mL"

    def millilitres(self, dose: Dose) -> Decimal:
        return dose.mg / self.concentration_mg_per_ml


Formulation = Capsules | OralLiquid


def default_capsules(profile: LdnProfile) -> Capsules:
    return Capsules(profile.capsule_strengths, profile.capsule_beyond_use_days)


def oral_liquid(concentration: Decimal, profile: LdnProfile) -> OralLiquid:
    """An oral liquid at ``concentration``, kept refrigerated (the longer beyond-use period)."""
    return OralLiquid(concentration, profile.oral_liquid_beyond_use_days_refrigerated)


def _require_days(days: int) -> None:
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise InvalidValue(f"a beyond-use period is a whole number of days, at least 1: {days!r}")


@dataclass(frozen=True)
class StepSupply:
    """What one dose step needs: the daily units and the total for its days."""

    period: StepPeriod
    daily_capsules: tuple[tuple[Dose, int], ...]  # (strength, count per day); empty for liquid
    daily_millilitres: Decimal | None  # None for capsules

    def total_capsules(self) -> Counter[Dose]:
        return Counter({s: n * self.period.days for s, n in self.daily_capsules})


@dataclass(frozen=True)
class Fill:
    """One dispensing: the days it covers and what to dispense, overage included."""

    first: dt.date
    last: dt.date
    capsules: tuple[tuple[Dose, int, int], ...]  # (strength, needed, dispense)
    millilitres: tuple[Decimal, Decimal] | None  # (needed, dispense)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class CompoundingOrder:
    schedule: TitrationSchedule
    formulation: Formulation
    overage_percent: int
    steps: tuple[StepSupply, ...]
    fills: tuple[Fill, ...]

    def total_capsules(self) -> tuple[tuple[Dose, int, int], ...]:
        needed: Counter[Dose] = Counter()
        dispensed: Counter[Dose] = Counter()
        for fill in self.fills:
            for strength, need, dispense in fill.capsules:
                needed[strength] += need
                dispensed[strength] += dispense
        return tuple((s, needed[s], dispensed[s]) for s in sorted(needed))

    def total_millilitres(self) -> tuple[Decimal, Decimal] | None:
        if not isinstance(self.formulation, OralLiquid):
            return None
        parts = [fill.millilitres for fill in self.fills if fill.millilitres]
        return (sum((p[0] for p in parts), Decimal(0)), sum((p[1] for p in parts), Decimal(0)))


def compounding_order(
    schedule: TitrationSchedule, formulation: Formulation, *, overage_percent: int
) -> CompoundingOrder:
    """The quantities that cover ``schedule`` in ``formulation`` plus ``overage_percent``."""
    if isinstance(overage_percent, bool) or not isinstance(overage_percent, int):
        raise InvalidValue(f"overage must be a whole percentage, not {overage_percent!r}")
    if not 0 <= overage_percent <= 100:
        raise InvalidValue(f"overage {overage_percent}% is not accepted: use 0 to 100%")
    steps = tuple(_supply(period, formulation) for period in schedule.periods())
    fills = tuple(
        _fill(first, last, schedule, formulation, overage_percent)
        for first, last in _fill_windows(schedule, formulation.beyond_use_days)
    )
    return CompoundingOrder(schedule, formulation, overage_percent, steps, fills)


def _supply(period: StepPeriod, formulation: Formulation) -> StepSupply:
    if isinstance(formulation, OralLiquid):
        return StepSupply(period, (), formulation.millilitres(period.step.dose))
    return StepSupply(period, fewest_capsules(period.step.dose, formulation.strengths), None)


def fewest_capsules(dose: Dose, strengths: tuple[Dose, ...]) -> tuple[tuple[Dose, int], ...]:
    """The fewest capsules of ``strengths`` that add up to ``dose`` exactly, largest first."""
    # Count in the largest amount that divides the dose and every strength (0.5 mg for the
    # usual strengths), so the table below has a few entries rather than one per microgram.
    grain = math.gcd(_micrograms(dose), *(_micrograms(s) for s in strengths))
    target = _micrograms(dose) // grain
    units = sorted({_micrograms(s) // grain for s in strengths}, reverse=True)
    unreachable = target + 1
    # fewest[x]: the fewest capsules summing to x micrograms; last[x]: the capsule added last.
    fewest = [0] + [unreachable] * target
    last = [0] * (target + 1)
    for amount in range(1, target + 1):
        for unit in units:
            if unit <= amount and fewest[amount - unit] + 1 < fewest[amount]:
                fewest[amount] = fewest[amount - unit] + 1
                last[amount] = unit
    if fewest[target] >= unreachable:
        offered = ", ".join(s.text for s in sorted(strengths))
        raise PlanRefused(
            f"{dose} cannot be made from the capsule strengths offered ({offered} mg): "
            f"add a {dose.text} mg strength or change the dose"
        )
    counts: Counter[int] = Counter()
    amount = target
    while amount:
        counts[last[amount]] += 1
        amount -= last[amount]
    return tuple(
        (Dose(Decimal(u * grain) / MICROGRAMS_PER_MG), counts[u])
        for u in sorted(counts, reverse=True)
    )


def _micrograms(dose: Dose) -> int:
    return int(dose.mg * MICROGRAMS_PER_MG)


def _fill_windows(
    schedule: TitrationSchedule, beyond_use_days: int
) -> list[tuple[dt.date, dt.date]]:
    windows = []
    first = schedule.first_day
    while first <= schedule.end:
        last = min(first + dt.timedelta(days=beyond_use_days - 1), schedule.end)
        windows.append((first, last))
        first = last + dt.timedelta(days=1)
    return windows


def _fill(
    first: dt.date,
    last: dt.date,
    schedule: TitrationSchedule,
    formulation: Formulation,
    overage_percent: int,
) -> Fill:
    if isinstance(formulation, OralLiquid):
        needed = sum(
            (
                formulation.millilitres(step.dose)
                for day, step in schedule.daily()
                if first <= day <= last
            ),
            Decimal(0),
        )
        dispense = (needed * (100 + overage_percent) / 100).quantize(Decimal(1), ROUND_CEILING)
        return Fill(first, last, (), (needed, dispense))
    counts: Counter[Dose] = Counter()
    per_dose = {s.dose: fewest_capsules(s.dose, formulation.strengths) for s in schedule.steps}
    for day, step in schedule.daily():
        if first <= day <= last:
            for strength, n in per_dose[step.dose]:
                counts[strength] += n
    capsules = tuple(
        (s, counts[s], math.ceil(counts[s] * (100 + overage_percent) / 100)) for s in sorted(counts)
    )
    return Fill(first, last, capsules, None)
