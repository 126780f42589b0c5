"""Issuing a prescription for the pharmacy queue: at a trial's start and for each amendment.

One way to issue one (``issue_prescription``), called inside the caller's transaction with its
audit event; the compounding quantities and container labels come from the core and reports.
"""

from __future__ import annotations

from typing import Any

from ldntrial import data
from ldntrial.core.trial.compounding import compounding_order
from ldntrial.core.trial.protocol import Protocol
from ldntrial.core.trial.titration import TitrationSchedule
from ldntrial.reports.prescription import Prescriber, container_labels, prescription_text
from ldntrial.web.accounts.models import User
from ldntrial.web.audit.chain import audited_create, snapshot
from ldntrial.web.clinic.models import Prescription, ProtocolAmendment, Trial


def issue_prescription(
    *,
    by: User,
    trial: Trial,
    protocol: Protocol,
    schedule: TitrationSchedule | None = None,
    amendment: ProtocolAmendment | None = None,
    header: str = "",
    reason: str = "",
) -> Prescription:
    """The prescription of a locked protocol for the pharmacy queue, signed by ``by`` (the
    prescriber: their name and registration are printed on it), needed by the first dose day
    of what it covers: the whole ``protocol`` or, for an amendment, the remaining ``schedule``.
    Called inside the caller's transaction."""
    profile = data.ldn_profile()
    order = compounding_order(
        schedule or protocol.titration,
        protocol.formulation,
        overage_percent=protocol.overage_percent,
    )
    prescriber = Prescriber(by.display_name, by.registration_number.strip())
    return audited_create(
        Prescription,
        by=by,
        reason=reason,
        state=prescription_snapshot,
        clinic=trial.clinic,
        trial=trial,
        amendment=amendment,
        text=header
        + prescription_text(
            protocol, order, profile=profile, patient=trial.patient.label, prescriber=prescriber
        ),
        quantities=_quantities(order),
        labels=container_labels(order, patient=trial.patient.label),
        needed_by=order.schedule.first_day,
        prescribed_by=by,
    )


def _quantities(order: Any) -> list[dict[str, Any]]:
    if order.total_millilitres() is not None:
        need, dispense = order.total_millilitres()
        return [
            {"item": order.formulation.describe(), "needed": str(need), "dispense": str(dispense)}
        ]
    return [
        {"item": f"{strength.text} mg capsules", "needed": need, "dispense": dispense}
        for strength, need, dispense in order.total_capsules()
    ]


def prescription_snapshot(prescription: Prescription) -> dict[str, Any]:
    return snapshot(prescription, exclude=("text", "labels"))
