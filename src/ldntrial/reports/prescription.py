"""The compounding order as a prescription a pharmacist can read (plain text)."""

from __future__ import annotations

from dataclasses import dataclass

from ldntrial.core.doses import plain_number
from ldntrial.core.trial.compounding import CompoundingOrder, OralLiquid
from ldntrial.core.trial.drug import LdnProfile
from ldntrial.core.trial.protocol import Protocol
from ldntrial.interop.ics import dose_instruction


@dataclass(frozen=True)
class Prescriber:
    """Who prescribes: a name and a professional registration ("" when not recorded)."""

    name: str
    registration: str = ""

    @property
    def line(self) -> str:
        return f"{self.name} (registration: {self.registration or 'not recorded'})"


BLANK_PRESCRIBER = "________________________"


def prescription_text(
    protocol: Protocol,
    order: CompoundingOrder,
    *,
    profile: LdnProfile,
    patient: str | None,
    prescriber: Prescriber | None = None,
) -> str:
    f = order.formulation
    liquid = isinstance(f, OralLiquid)
    lines = [
        "PRESCRIPTION - compounded low-dose naltrexone",
        "",
        f"Patient:       {patient or '________________________'}",
        f"Prescriber:    {prescriber.line if prescriber else BLANK_PRESCRIBER}",
        "Signature:     ____________   Date: ____________",
        f"Needed by:     {order.schedule.first_day.isoformat()} (the first dose)",
        f"Medicine:      naltrexone, {_medicine(order)}",
        f"Course:        {order.schedule.first_day.isoformat()} to "
        f"{order.schedule.end.isoformat()} ({order.schedule.days} days), once daily",
        f"Protocol:      {protocol.fingerprint[:16]} "
        f"({'locked' if protocol.is_locked else 'draft'})",
        "",
        "Directions (one dose a day):",
    ]
    for supply in order.steps:
        p = supply.period
        lines.append(
            f"  {p.first.isoformat()} to {p.last.isoformat()}  ({p.days:>2} days)  "
            f"{dose_instruction(p.step, f)}, {p.step.timing.phrase}"
        )
    lines += [
        "",
        f"Quantities (each fill covers its days plus {order.overage_percent}% overage, "
        "rounded up):",
    ]
    for number, fill in enumerate(order.fills, start=1):
        head = (
            f"  Fill {number}: {fill.first.isoformat()} to {fill.last.isoformat()} "
            f"({fill.days} days)"
        )
        if fill.millilitres is not None:
            ml_needed, ml_dispensed = fill.millilitres
            lines.append(f"{head}: {plain_number(ml_needed)} mL needed, dispense {ml_dispensed} mL")
        else:
            lines.append(head + ":")
            for strength, need, dispense in fill.capsules:
                lines.append(
                    f"      {strength.text:>5} mg capsules: {need} needed, dispense {dispense}"
                )
    if not liquid:
        lines.append("  Total dispensed over the course:")
        for strength, need, dispense in order.total_capsules():
            lines.append(f"      {strength.text:>5} mg capsules: {dispense} (needed {need})")
    else:
        totals = order.total_millilitres()
        if totals:
            lines.append(f"  Total dispensed over the course: {totals[1]} mL")
    lines += ["", "Storage and beyond-use:"]
    if liquid:
        lines.append(
            f"  Oral liquid: {profile.oral_liquid_beyond_use_days_refrigerated} days refrigerated "
            f"or {profile.oral_liquid_beyond_use_days_room_temperature} days at room temperature; "
            "protect from light. Fills are split so that none outlasts "
            f"{f.beyond_use_days} days."
        )
        for source in profile.sources["oral_liquid_beyond_use_days"]:
            lines.append(f"  Source: {source}")
    else:
        lines.append(f"  Capsules: beyond-use {f.beyond_use_days} days; protect from light.")
        for source in profile.sources["capsule_beyond_use_days"]:
            lines.append(f"  Source: {source}")
    lines += [
        "",
        f"Safety: {profile.pharmacy_safety_note}",
        *(f"Source: {source}" for source in profile.sources["pharmacy_safety_note"]),
        "",
    ]
    return "\n".join(lines)


def _medicine(order: CompoundingOrder) -> str:
    formulation = order.formulation
    if isinstance(formulation, OralLiquid):
        return formulation.describe()
    used = ", ".join(strength.text for strength, _, _ in order.total_capsules())
    return f"capsules, strengths {used} mg"


def container_labels(order: CompoundingOrder, *, patient: str) -> list[str]:
    """One label per container: each fill's capsules of one strength, or each fill of liquid.

    Lot number and use-by date are left blank: the pharmacy writes them when it compounds.
    """
    labels = []
    periods = [s.period for s in order.steps]
    formulation = order.formulation
    for number, fill in enumerate(order.fills, start=1):
        inside = [p for p in periods if p.first <= fill.last and p.last >= fill.first]
        if isinstance(formulation, OralLiquid) and fill.millilitres is not None:
            directions = [
                f"{max(p.first, fill.first).isoformat()} to {min(p.last, fill.last).isoformat()}: "
                f"{plain_number(formulation.millilitres(p.step.dose))} mL ({p.step.dose}) "
                f"{p.step.timing.phrase}"
                for p in inside
            ]
            labels.append(
                _label(
                    patient,
                    f"naltrexone oral liquid "
                    f"{plain_number(formulation.concentration_mg_per_ml)} mg/mL",
                    f"{fill.millilitres[1]} mL",
                    number,
                    directions,
                )
            )
            continue
        for strength, _, dispense in fill.capsules:
            directions = []
            for supply in order.steps:
                p = supply.period
                count = dict(supply.daily_capsules).get(strength)
                if count and p.first <= fill.last and p.last >= fill.first:
                    directions.append(
                        f"{max(p.first, fill.first).isoformat()} to "
                        f"{min(p.last, fill.last).isoformat()}: {count} capsule"
                        f"{'s' if count > 1 else ''} {p.step.timing.phrase}"
                    )
            labels.append(
                _label(
                    patient,
                    f"naltrexone {strength} capsules",
                    f"{dispense} capsules",
                    number,
                    directions,
                )
            )
    return labels


LOT_BLANK = "Lot: __________   Use by: __________"


def label_with_lot(label: str, lots: list[dict[str, str | None]]) -> str:
    """A container label with the lot and use-by date of its item filled in, once dispensed.

    ``lots`` are a dispensing's lots (``item``, ``lot_number``, ``use_by``); a label is matched
    to its item by its first line, which ends with "naltrexone <item>"."""
    first = label.splitlines()[0] if label else ""
    for lot in lots:
        if first.endswith(f"naltrexone {lot['item']}"):
            use_by = lot.get("use_by") or "not recorded"
            return label.replace(LOT_BLANK, f"Lot: {lot['lot_number']}   Use by: {use_by}")
    return label


def _label(patient: str, item: str, quantity: str, fill: int, directions: list[str]) -> str:
    return "\n".join(
        [
            f"{patient} - {item}",
            f"Quantity: {quantity} (fill {fill})",
            *directions,
            LOT_BLANK,
            "Keep out of reach of children. Protect from light.",
        ]
    )
