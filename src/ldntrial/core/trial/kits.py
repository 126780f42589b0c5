"""Kits of a blinded n-of-1 trial: the kit list everyone sees and the pharmacy's preparation sheet.

Every capsule period gets one kit, numbered 1 to 2 x pairs in the order the kits are taken.
The :class:`KitList` (for the clinician, the patient and the dispensing record) holds the same
label, capsule count and instructions for every kit whatever it contains; only its number and
dates differ. The :class:`PreparationSheet` is the pharmacy's alone: it says which kits hold
naltrexone and which hold only filler, and states one capsule specification for both, so that
active and placebo capsules are identical in size, colour, filler and count.

Each capsule of an active kit holds the whole tolerated daily dose (the final dose of the open
titration), one capsule a day; placebo capsules hold the same filler without naltrexone.
Compounded LDN capsules with a microcrystalline-cellulose (Avicel) filler stayed in potency for
360 days (Int J Pharm Compd 2018, shared/facts/ldn-evidence.md §12, [S]); the Canadian trial's
capsules were naltrexone with cellulose ([V], same section). The default specification below
uses that filler; size and colour are the pharmacy's choice and are recorded on the sheet.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

from ldntrial.core.doses import Dose
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.blinded import Arm
from ldntrial.core.trial.protocol import Protocol
from ldntrial.core.trial.randomisation import Allocation
from ldntrial.core.trial.titration import TitrationSchedule

DEFAULT_FILLER = "microcrystalline cellulose"


@dataclass(frozen=True)
class CapsuleSpec:
    """One specification for active and placebo capsules alike."""

    size: str = "0"
    colour: str = "opaque white"
    filler: str = DEFAULT_FILLER

    def __post_init__(self) -> None:
        for name in ("size", "colour", "filler"):
            if not str(getattr(self, name)).strip():
                raise InvalidValue(f"the capsule {name} must be stated")

    def describe(self) -> str:
        return f"size {self.size}, {self.colour} shell, {self.filler} filler"


@dataclass(frozen=True)
class Kit:
    """One kit as everyone sees it: nothing here depends on the arm."""

    number: int
    period: int  # the period it is taken in
    first: dt.date
    last: dt.date
    capsules: int
    label: str


@dataclass(frozen=True)
class KitList:
    protocol_fingerprint: str
    dose: Dose
    kits: tuple[Kit, ...]

    @property
    def capsules(self) -> int:
        return sum(k.capsules for k in self.kits)


def open_titration(protocol: Protocol) -> TitrationSchedule | None:
    """The open-label part of a blinded protocol's dosing: the titration steps before the
    tolerated dose, up to the day before the first blinded period (None when the titration starts
    at the tolerated dose). The blinded periods are supplied as kits, not by this prescription."""
    if protocol.blinded is None:
        raise InvalidValue("only a blinded n-of-1 protocol has an open titration before kits")
    steps = protocol.titration.steps
    if len(steps) < 2:
        return None
    return TitrationSchedule(steps[:-1], end=steps[-1].start - dt.timedelta(days=1))


def _dose_and_timing(protocol: Protocol) -> tuple[Dose, str]:
    final = protocol.titration.steps[-1]
    return final.dose, final.timing.value


def kit_list(protocol: Protocol) -> KitList:
    """The kits of a blinded protocol, without their contents."""
    if protocol.blinded is None:
        raise InvalidValue("only a blinded n-of-1 protocol has kits")
    dose, timing = _dose_and_timing(protocol)
    design = protocol.blinded
    capsule_periods = _capsule_periods(protocol)
    count = math.ceil(design.period_days * (100 + protocol.overage_percent) / 100)
    total = design.kits
    kits = []
    for number, period in enumerate(capsule_periods, start=1):
        when = (
            f"from {period.first.isoformat()} to {period.last.isoformat()}"
            if not design.no_capsule
            else f"for {design.period_days} days from the day you are told (between "
            f"{period.first.isoformat()} and {period.last.isoformat()})"
        )
        label = (
            f"Kit {number} of {total} · blinded n-of-1 trial {protocol.fingerprint[:12]} · "
            f"naltrexone {dose.text} mg or placebo · take one capsule each {timing} {when} · "
            f"{count} capsules"
        )
        kits.append(Kit(number, period.number, period.first, period.last, count, label))
    return KitList(protocol.fingerprint, dose, tuple(kits))


def _capsule_periods(protocol: Protocol) -> list[_PeriodView]:
    """Which periods take capsules does not depend on the allocation without the no-capsule
    arm; with it, the kits are numbered by the order they are taken and dated when the
    pharmacy's sheet is made. The kit list then gives each kit's block, not its dates."""
    periods = protocol.periods()
    design = protocol.blinded
    assert design is not None  # noqa: S101 (checked by the caller)
    if not design.no_capsule:
        return [_PeriodView(p.number, p.first, p.last) for p in periods]
    # Two kits per block; dates are the block's, since which period of it has no capsules is
    # part of the concealed allocation (the patient is told at the start of each period).
    out = []
    for block in range(design.pairs):
        members = [p for p in periods if p.pair == block + 1]
        for _ in range(2):
            out.append(_PeriodView(0, members[0].first, members[-1].last))
    return out


@dataclass(frozen=True)
class _PeriodView:
    number: int  # 0 when only the block is known
    first: dt.date
    last: dt.date


@dataclass(frozen=True)
class PreparationLine:
    kit: int
    arm: Arm
    content: str
    capsules: int
    lot: str | None


@dataclass(frozen=True)
class PreparationSheet:
    """The pharmacy's sheet: the arm and content of each kit (concealed from everyone else)."""

    protocol_fingerprint: str
    allocation_commitment: str
    spec: CapsuleSpec
    lines: tuple[PreparationLine, ...]

    @property
    def statement(self) -> str:
        return (
            f"Active and placebo capsules are identical: {self.spec.describe()}, the same "
            "count in every kit, one capsule a day; active capsules hold the dose named, "
            "placebo capsules the filler only. Labels are identical whatever the content."
        )


def preparation_sheet(
    protocol: Protocol,
    allocation: Allocation,
    *,
    spec: CapsuleSpec | None = None,
    lots: Mapping[int, str] | None = None,
) -> PreparationSheet:
    """What the pharmacy prepares for each kit; ``lots`` records the lot of each kit made."""
    if protocol.blinded is None or allocation.design != protocol.blinded:
        raise InvalidValue("the allocation is not for this protocol's blinded design")
    if (
        protocol.allocation_commitment is not None
        and protocol.allocation_commitment != allocation.commitment
    ):
        raise InvalidValue("the allocation is not the one this protocol commits to")
    kits = kit_list(protocol)
    chosen = dict(lots or {})
    unknown = set(chosen) - {k.number for k in kits.kits}
    if unknown:
        raise InvalidValue(f"no kit {min(unknown)}: kits are 1 to {len(kits.kits)}")
    capsule = spec or CapsuleSpec()
    lines = []
    for kit, arm in zip(kits.kits, allocation.kit_arms(), strict=True):
        content = (
            f"naltrexone {kits.dose.text} mg per capsule in {capsule.filler}"
            if arm is Arm.ACTIVE
            else f"placebo: {capsule.filler} only, no naltrexone"
        )
        lines.append(
            PreparationLine(kit.number, arm, content, kit.capsules, chosen.get(kit.number))
        )
    return PreparationSheet(protocol.fingerprint, allocation.commitment, capsule, tuple(lines))
