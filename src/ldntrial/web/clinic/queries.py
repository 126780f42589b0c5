"""Read models for pages: database rows turned into core types."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import timezone

from ldntrial import data
from ldntrial.core.monitoring import DayReport, TrialStatus, trial_status
from ldntrial.core.protocol import Protocol
from ldntrial.core.screening.screen import (
    MedicineLine,
    Resolution,
    ResolutionKind,
    Screening,
    Situation,
    screen,
)
from ldntrial.reports.charts import Series, daily_chart
from ldntrial.web.clinic.models import DiaryEntry, Patient, Trial


def today_for(patient: Patient) -> dt.date:
    """Today in the patient's own time zone."""
    return timezone.now().astimezone(ZoneInfo(patient.time_zone)).date()


def current_entries(trial: Trial) -> list[DiaryEntry]:
    return list(DiaryEntry.objects.filter(trial=trial, is_current=True).order_by("day"))


def status_of(trial: Trial, protocol: Protocol) -> TrialStatus:
    reports = [DayReport(e.day, e.dose_taken, bool(e.side_effects)) for e in current_entries(trial)]
    return trial_status(protocol, reports, today=today_for(trial.patient))


@dataclass(frozen=True)
class Chart:
    label: str
    svg: str


def charts(trial: Trial, protocol: Protocol) -> list[Chart]:
    entries = current_entries(trial)
    last = min(max(today_for(trial.patient), protocol.start_date), protocol.reassessment_date)
    result = []
    for metric in protocol.metrics:
        points = [(e.day, int(e.scores[metric.key])) for e in entries if metric.key in e.scores]
        svg = daily_chart(
            Series(metric.label, points),
            first=protocol.start_date,
            last=max(last, protocol.start_date + dt.timedelta(days=1)),
            phases=protocol.phases(),
            better=metric.better.value,
        )
        result.append(Chart(metric.label, svg))
    return result


def screen_patient(patient: Patient) -> Screening:
    """The patient's current medicine list and situations, screened by the core."""
    lines = []
    for medication in patient.medications.filter(removed_at=None).order_by("added_at", "pk"):
        resolution = None
        by = medication.resolved_by.username if medication.resolved_by else ""
        if medication.confirmed_not_opioid:
            resolution = Resolution(ResolutionKind.NOT_AN_OPIOID, by=by)
        elif medication.resolved_medicine:
            resolution = Resolution(
                ResolutionKind.CATALOGUE_ENTRY, medicine_key=medication.resolved_medicine, by=by
            )
        lines.append(MedicineLine(medication.text, resolution))
    return screen(
        lines,
        catalogue=data.medicines(),
        rules=data.screening_rules(),
        situations=[Situation(s) for s in patient.situations],
        surgery_planned=patient.surgery_planned,
    )
