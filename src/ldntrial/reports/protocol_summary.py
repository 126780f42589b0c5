"""A protocol as readable terminal output (rich renderables)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ldntrial.core.conditions import ConditionCatalogue
from ldntrial.core.trial.drug import Timing
from ldntrial.core.trial.protocol import Protocol
from ldntrial.core.trial.titration import PlanWarning


def protocol_summary(
    protocol: Protocol,
    *,
    conditions: ConditionCatalogue,
    warnings: tuple[PlanWarning, ...] = (),
    verified: bool = False,
) -> RenderableType:
    condition = conditions.get(protocol.condition)
    status = "LOCKED" if protocol.is_locked else "DRAFT (not locked)"
    head = Text()
    head.append(f"LDN trial protocol - {condition.name}\n", style="bold")
    head.append(f"Design: {protocol.design.value.replace('_', ' ')}    Status: {status}\n")
    if protocol.locked_at is not None:
        head.append(f"Locked at: {protocol.locked_at.isoformat().replace('+00:00', 'Z')}\n")
    head.append(f"Fingerprint: {protocol.fingerprint}")
    if verified:
        head.append("  (verified)", style="green")
    times = protocol.dose_times
    head.append(
        f"\nTime zone: {protocol.time_zone}    Reminders: night doses "
        f"{times[Timing.NIGHT]:%H:%M}, morning doses {times[Timing.MORNING]:%H:%M}\n"
    )

    phases = Table(title="Phases", title_justify="left", show_edge=False)
    for column in ("Phase", "From", "To", "Days"):
        phases.add_column(column)
    for phase in protocol.phases():
        phases.add_row(
            phase.kind.value, phase.first.isoformat(), phase.last.isoformat(), str(phase.days)
        )
    phases.add_row(
        "reassessment",
        protocol.reassessment_date.isoformat(),
        f"{protocol.weeks_to_reassessment:.1f} weeks after the first dose",
        "",
    )

    schedule = Table(title="Dosing schedule", title_justify="left", show_edge=False)
    for column in ("From", "To", "Days", "Dose", "Timing", "Step"):
        schedule.add_column(column, justify="right" if column in ("Days", "Dose") else "left")
    for period in protocol.titration.periods():
        schedule.add_row(
            period.first.isoformat(),
            period.last.isoformat(),
            str(period.days),
            str(period.step.dose),
            period.step.timing.value,
            period.step.reason.value.replace("_", " "),
        )

    metrics = Table(title="Daily metrics (0-10)", title_justify="left", show_edge=False)
    for column in ("Metric", "Better", "Code"):
        metrics.add_column(column)
    for metric in protocol.metrics:
        label = metric.label + (" (primary)" if metric.key == protocol.primary_metric else "")
        metrics.add_row(
            label, metric.better.value, f"{metric.coding.code} ({metric.coding.system})"
        )

    tail = Text()
    tail.append("Success, fixed in advance: ", style="bold")
    tail.append(protocol.success.describe(protocol.primary, blinded=protocol.is_blinded) + "\n")
    tail.append("Analysis, fixed in advance: ", style="bold")
    tail.append(_analysis_text(protocol) + "\n")
    if protocol.is_blinded:
        tail.append("Blinded result: LDN against an identical placebo in randomised periods.\n")
    else:
        tail.append(
            "Open-label result: change from baseline, which includes placebo response, "
            "natural fluctuation and regression to the mean.\n"
        )
    if protocol.reassessment_override:
        tail.append(f"Reassessment window overridden: {protocol.reassessment_override}\n")
    for warning in warnings:
        tail.append(f"Accepted warning ({warning.code.value}): {warning.message}\n", style="yellow")
    if protocol.accepted_warnings and not warnings:
        codes = ", ".join(code.value for code in protocol.accepted_warnings)
        tail.append(f"Accepted warnings: {codes}\n", style="yellow")
    return Group(head, phases, Text(), schedule, Text(), metrics, Text(), tail)


def _analysis_text(protocol: Protocol) -> str:
    if protocol.blinded is not None:
        return (
            "LDN minus placebo inside each randomised block, the first "
            f"{protocol.blinded.run_in_days} days of each period left out; baseline and "
            "titration days not used"
        )
    if protocol.has_analysis:
        return protocol.analysis_settings.describe()
    return (
        "not fixed in this protocol (written before analysis settings were part of a "
        f"protocol); the default is used: {protocol.analysis_settings.describe()}"
    )
