"""The blinded n-of-1 design: randomised pairs of LDN and identical-placebo periods.

After the open titration to the dose the patient tolerates, the trial runs ``pairs`` blocks;
each block holds one LDN (``active``) period and one identical-placebo period of
``period_days`` days, in an order drawn at random within the block (the draw is the
allocation, :mod:`ldntrial.core.trial.randomisation`; it is never part of the protocol). With
``no_capsule`` each block also holds a period without capsules, placed at random in the block
too, so that side effects on placebo can be told from those that come with no capsule at all
(the nocebo attribution of SAMSON: Howard et al., JACC 2021, shared/facts/nof1-systems.md §6b).

The first ``run_in_days`` days of every period are left out of the analysis: LDN's onset may
take days to weeks and its effect may carry over into the next period. The default of 7 follows
the wash-out rule of the nof1 package's production wrapper (the first 7 daily observations
after each treatment change set to missing; MikeJSeo/nof1 ``R/nof1.wrap.R``,
shared/facts/nof1-systems.md §2a), and shared/facts/statistics.md §1.5 measured that dropping
7 days after each switch removed most of the bias of a 5-day onset. Longer run-ins are a design
choice the simulated power (:mod:`ldntrial.core.analysis.design_power`) helps to weigh.

Only capsule periods get a kit: kits are numbered 1 to 2 x pairs in the order they are taken,
whatever their content, so a kit number says nothing about the arm.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from ldntrial.core.errors import InvalidValue

DEFAULT_PAIRS = 3
DEFAULT_PERIOD_DAYS = 14
DEFAULT_RUN_IN_DAYS = 7
MAX_PAIRS = 8  # product rule: 8 pairs of 4 weeks is already 64 weeks
MIN_ANALYSED_DAYS = 3  # per period, after the run-in


class Arm(enum.Enum):
    ACTIVE = "active"  # LDN at the tolerated dose
    PLACEBO = "placebo"  # identical capsules without naltrexone
    NO_CAPSULE = "no_capsule"  # nothing taken (open: the patient knows)

    @property
    def takes_capsules(self) -> bool:
        return self is not Arm.NO_CAPSULE


@dataclass(frozen=True)
class BlindedDesign:
    """K pairs of L-day periods, R run-in days each, optionally a no-capsule period per block."""

    pairs: int = DEFAULT_PAIRS
    period_days: int = DEFAULT_PERIOD_DAYS
    run_in_days: int = DEFAULT_RUN_IN_DAYS
    no_capsule: bool = False

    def __post_init__(self) -> None:
        for name, low, high in (("pairs", 2, MAX_PAIRS), ("period_days", 7, 56)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InvalidValue(
                    f"blinded {name.replace('_', ' ')} must be a whole number from {low} to "
                    f"{high}, not {value!r}"
                )
        r = self.run_in_days
        if isinstance(r, bool) or not isinstance(r, int) or r < 0:
            raise InvalidValue(f"run-in days must be a whole number of 0 or more, not {r!r}")
        if self.period_days - r < MIN_ANALYSED_DAYS:
            raise InvalidValue(
                f"a run-in of {r} days leaves {self.period_days - r} analysed days in a "
                f"{self.period_days}-day period: keep at least {MIN_ANALYSED_DAYS} (shorten the "
                "run-in or lengthen the periods)"
            )
        if not isinstance(self.no_capsule, bool):
            raise InvalidValue("no capsule must be true or false")

    @property
    def arms(self) -> tuple[Arm, ...]:
        """The arms of one block."""
        if self.no_capsule:
            return (Arm.ACTIVE, Arm.PLACEBO, Arm.NO_CAPSULE)
        return (Arm.ACTIVE, Arm.PLACEBO)

    @property
    def periods(self) -> int:
        return self.pairs * len(self.arms)

    @property
    def kits(self) -> int:
        return 2 * self.pairs

    @property
    def days(self) -> int:
        return self.periods * self.period_days

    @property
    def analysed_days_per_period(self) -> int:
        return self.period_days - self.run_in_days

    def schedule(self, first_day: dt.date) -> tuple[BlindedPeriod, ...]:
        """The periods from ``first_day``, without their arms (the protocol's view)."""
        out = []
        block_size = len(self.arms)
        for index in range(self.periods):
            first = first_day + dt.timedelta(days=index * self.period_days)
            out.append(
                BlindedPeriod(
                    number=index + 1,
                    pair=index // block_size + 1,
                    first=first,
                    last=first + dt.timedelta(days=self.period_days - 1),
                    run_in_days=self.run_in_days,
                )
            )
        return tuple(out)

    def describe(self) -> str:
        arms = "one LDN and one identical placebo period"
        if self.no_capsule:
            arms += " and one period without capsules"
        return (
            f"{self.pairs} blocks of {arms}, each period {self.period_days} days, in an order "
            f"randomised within each block; the first {self.run_in_days} days of every period "
            "are left out of the analysis (onset and carry-over)"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "pairs": self.pairs,
            "period_days": self.period_days,
            "run_in_days": self.run_in_days,
            "no_capsule": self.no_capsule,
        }

    @classmethod
    def from_json(cls, raw: object) -> BlindedDesign:
        if not isinstance(raw, dict):
            raise InvalidValue("the blinded design must be a JSON object")
        known = {"pairs", "period_days", "run_in_days", "no_capsule"}
        if set(raw) != known:
            extra, missing = set(raw) - known, known - set(raw)
            raise InvalidValue(
                "the blinded design needs exactly pairs, period_days, run_in_days and no_capsule"
                + (f" (unknown: {', '.join(sorted(extra))})" if extra else "")
                + (f" (missing: {', '.join(sorted(missing))})" if missing else "")
            )
        return cls(**raw)


@dataclass(frozen=True)
class BlindedPeriod:
    """One period as everyone but the pharmacy sees it: its number, block and dates."""

    number: int
    pair: int  # the block it belongs to (a pair, or a triplet with the no-capsule arm)
    first: dt.date
    last: dt.date
    run_in_days: int

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def first_analysed(self) -> dt.date:
        return self.first + dt.timedelta(days=self.run_in_days)

    def contains(self, day: dt.date) -> bool:
        return self.first <= day <= self.last
