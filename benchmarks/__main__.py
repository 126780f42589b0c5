"""Run the benchmarks and print each one as a ratio to its reference.

A ratio compares two things measured in the same process on the same machine, so it means the
same on a laptop and in CI; absolute times are printed only for context.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from decimal import Decimal

from icalendar import Calendar, Event

from benchmarks.blinded import BLINDED_BENCHES
from benchmarks.pooling import POOLING_BENCHES
from benchmarks.registry import bench_registry
from benchmarks.screening import bench_screen, bench_vocabulary
from benchmarks.timing import best
from ldntrial import data
from ldntrial.core.canonical import canonical_json
from ldntrial.core.doses import Dose
from ldntrial.core.trial.compounding import compounding_order, default_capsules, fewest_capsules
from ldntrial.core.trial.design import design_protocol
from ldntrial.core.trial.protocol import Protocol
from ldntrial.interop.ics import dosing_calendar

NOW = dt.datetime(2026, 11, 27, 21, 15, tzinfo=dt.UTC)


def design() -> Protocol:
    protocol, _ = design_protocol(
        condition="fibromyalgia",
        start_date=dt.date(2026, 11, 28),
        profile=data.ldn_profile(),
        instruments=data.instruments(),
        conditions=data.conditions(),
        time_zone="Europe/London",
    )
    return protocol


def bench_protocol() -> tuple[str, float, float]:
    """Designing and fingerprinting a protocol vs hashing its canonical JSON alone."""
    protocol = design()
    content = protocol.content()

    def ours() -> object:
        return design().fingerprint

    def reference() -> object:
        return hashlib.sha256(canonical_json(json.loads(json.dumps(content)))).hexdigest()

    return (
        "design + validate + fingerprint a protocol / hash its JSON",
        best(ours, 200),
        best(reference, 200),
    )


def bench_calendar() -> tuple[str, float, float]:
    """The dosing calendar vs serialising an equivalent pre-built icalendar object."""
    protocol = design()
    schedule = protocol.titration
    formulation = default_capsules(data.ldn_profile())
    prebuilt = Calendar()
    for period in schedule.periods():
        event = Event()
        event.add("summary", "Take your capsule")
        event.add("dtstart", dt.datetime.combine(period.first, dt.time(22, 0), tzinfo=dt.UTC))
        event.add("rrule", {"freq": "daily", "count": period.days})
        prebuilt.add_component(event)

    def ours() -> object:
        return dosing_calendar(
            schedule,
            formulation=formulation,
            time_zone="Europe/London",
            dose_times=protocol.dose_times,
            calendar_id="bench",
            created=NOW,
        )

    return (
        "dosing calendar (.ics) / serialise a bare calendar",
        best(ours, 50),
        best(prebuilt.to_ical, 50),
    )


def brute_force(dose: Dose, strengths: tuple[Dose, ...]) -> int:
    """Reference: try every multiset of capsules, smallest first."""
    for count in range(1, 13):
        for combo in itertools.combinations_with_replacement(strengths, count):
            if sum((s.mg for s in combo), Decimal(0)) == dose.mg:
                return count
    raise ValueError(dose)


def bench_capsules() -> tuple[str, float, float]:
    """Fewest capsules for every dose 0.5-6 mg in 0.5 mg steps vs brute-force search."""
    strengths = tuple(Dose(s) for s in ("0.5", "1", "1.5", "2", "3"))
    doses = [Dose(Decimal(n) / 2) for n in range(1, 13)]
    for dose in doses:  # the two must agree before their speed means anything
        assert sum(n for _, n in fewest_capsules(dose, strengths)) == brute_force(dose, strengths)

    def ours() -> object:
        return [fewest_capsules(d, strengths) for d in doses]

    def reference() -> object:
        return [brute_force(d, strengths) for d in doses]

    return "fewest capsules (dynamic programming) / brute force", best(ours, 5), best(reference, 5)


def bench_order() -> tuple[str, float, float]:
    """A whole compounding order vs the day-by-day walk of the schedule it needs."""
    protocol = design()
    schedule = protocol.titration
    formulation = default_capsules(data.ldn_profile())

    def ours() -> object:
        return compounding_order(schedule, formulation, overage_percent=10)

    def reference() -> object:
        return list(schedule.daily())

    return "compounding order / walk the schedule day by day", best(ours, 100), best(reference, 100)


def bench_analysis() -> tuple[str, float, float]:
    """The grid-Bayes AR(1) fit (99 rho values) vs statsmodels' iterative GLSAR on one series."""
    import numpy as np
    import statsmodels.api as sm

    from ldntrial.core.analysis.ar1 import fit

    rng = np.random.default_rng(0)
    n = 98
    phase = np.array([0] * 14 + [1] * 28 + [2] * 56)
    x = np.column_stack([np.ones(n), phase == 2, phase == 1]).astype(float)
    u = np.zeros(n)
    for t in range(1, n):
        u[t] = 0.5 * u[t - 1] + rng.normal()
    y = 6 - 2 * x[:, 1] - x[:, 2] + u
    days = np.arange(n, dtype=float)

    def ours() -> object:
        return fit(days, y, x).posterior_mean(1)

    def reference() -> object:
        return sm.GLSAR(y, x, rho=1).iterative_fit(maxiter=10).params[1]

    return (
        "AR(1) grid-Bayes fit / statsmodels GLSAR iterative fit",
        best(ours, 50),
        best(reference, 50),
    )


def main() -> None:
    from benchmarks.analysis import (
        bench_many_patients,
        bench_reassessment_page,
        bench_trial_vs_nuts,
    )

    rows = [b() for b in (bench_protocol, bench_calendar, bench_capsules, bench_order)]
    rows.append(bench_analysis())
    rows.append(bench_trial_vs_nuts())
    rows.append(bench_many_patients())
    rows.extend(bench_reassessment_page())
    rows.extend(b() for b in (bench_vocabulary, bench_screen, *POOLING_BENCHES))
    rows.extend(b() for b in BLINDED_BENCHES)
    rows.extend(bench_registry())  # child processes: SQLite, then PostgreSQL when installed
    print(f"{'benchmark':<72} {'ours':>11} {'reference':>11} {'ratio':>9}")
    for name, ours, reference in rows:
        print(f"{name:<72} {_time(ours):>11} {_time(reference):>11} {ours / reference:>9.3g}")


def _time(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms" if seconds < 1 else f"{seconds:.2f} s"


if __name__ == "__main__":
    main()
