"""The full validation of the blinded analysis and the design-power figures of the default design.

    .venv/bin/python scripts/validate_blinded.py [--trials 2000] [--seed 20261202]

Prints the per-stratum table of docs/validation-blinded.md (coverage, bias, RMSE and width of
the model beside the difference of arm means) and the simulated power of a few designs. About a
minute on the project machine; `make test` runs the same strata with 200 trials.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from ldntrial import data
from ldntrial.core.analysis.blinded_validation import validate_blinded
from ldntrial.core.analysis.design_power import design_power
from ldntrial.core.analysis.validation import COVERAGE_BAND, MAX_ABS_BIAS
from ldntrial.core.trial.blinded import BlindedDesign
from ldntrial.core.trial.design import design_protocol

DESIGNS = (
    BlindedDesign(),
    BlindedDesign(pairs=2),
    BlindedDesign(pairs=4),
    BlindedDesign(period_days=21),
    BlindedDesign(pairs=3, period_days=14, run_in_days=3),
    BlindedDesign(no_capsule=True),
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--power-trials", type=int, default=2000)
    args = parser.parse_args()
    protocol, _ = design_protocol(
        condition="fibromyalgia",
        start_date=dt.date(2027, 1, 4),
        profile=data.ldn_profile(),
        instruments=data.instruments(),
        conditions=data.conditions(),
        blinded=BlindedDesign(),
    )
    started = time.perf_counter()
    print(
        "| stratum | trials | coverage | bias | RMSE | width | naive coverage | naive bias "
        "| naive RMSE | naive width | not analysed | bars |"
    )
    print("|---" * 12 + "|")
    low, high = COVERAGE_BAND
    for r in validate_blinded(protocol, trials=args.trials, seed=args.seed):
        bars = "ok" if low <= r.coverage <= high and abs(r.bias) < MAX_ABS_BIAS else "MISSED"
        print(
            f"| {r.name} | {r.trials} | {r.coverage:.3f} | {r.bias:+.3f} | {r.rmse:.3f} "
            f"| {r.width:.2f} | {r.naive_coverage:.3f} | {r.naive_bias:+.3f} "
            f"| {r.naive_rmse:.3f} | {r.naive_width:.2f} | {r.not_analysed} | {bars} |",
            flush=True,
        )
    print(f"\nvalidation: {time.perf_counter() - started:.0f} s\n")
    print("| design | weeks | false positives | 1 point | 2 points |")
    print("|---|---|---|---|---|")
    for design in DESIGNS:
        power = design_power(design, trials=args.power_trials, seed=args.seed)
        name = f"{design.pairs} pairs x {design.period_days} d, run-in {design.run_in_days}" + (
            ", no-capsule arm" if design.no_capsule else ""
        )
        print(
            f"| {name} | {design.days / 7:g} | {power.false_positive.detected:.3f} "
            f"| {power.power_at(1.0):.3f} | {power.power_at(2.0):.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
