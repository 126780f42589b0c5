"""Read models for pages: database rows turned into core types."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import F
from django.utils import timezone

from ldntrial import data
from ldntrial.core.screening.catalogue import Severity
from ldntrial.core.screening.rules import Situation
from ldntrial.core.screening.screen import (
    Finding,
    MedicineLine,
    Resolution,
    ResolutionKind,
    Screening,
    screen,
)
from ldntrial.core.trial.monitoring import DayReport, TrialProgress, trial_status
from ldntrial.core.trial.protocol import Protocol
from ldntrial.reports.charts import Series, daily_chart
from ldntrial.web.clinic.models import DiaryEntry, Medication, Patient, Trial


def today_for(patient: Patient) -> dt.date:
    """Today in the patient's own time zone."""
    return timezone.now().astimezone(ZoneInfo(patient.time_zone)).date()


def current_entries(trial: Trial) -> list[DiaryEntry]:
    return list(DiaryEntry.objects.filter(trial=trial, is_current=True).order_by("day"))


def status_of(
    trial: Trial, protocol: Protocol, *, entries: list[DiaryEntry] | None = None
) -> TrialProgress:
    """``entries``: the trial's current entries by day, when already read (the dashboard reads
    them for every patient in one query)."""
    current = current_entries(trial) if entries is None else entries
    reports = [DayReport(e.day, e.dose_taken, bool(e.side_effects)) for e in current]
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


@dataclass(frozen=True)
class PatientScreening:
    """The screening of a patient and the medicines it read, in the order of its line numbers."""

    screening: Screening
    medications: list[Medication]

    def medication_of(self, finding: Finding) -> Medication | None:
        return None if finding.line is None else self.medications[finding.line]

    @property
    def to_resolve(self) -> list[Medication]:
        return [self.medications[line] for line in sorted(self.screening.lines_to_resolve)]

    @property
    def to_stop(self) -> list[Medication]:
        """Current medicines that rule LDN out: the clinician may record that they stopped."""
        lines = {
            f.line
            for f in self.screening.findings
            if f.severity is Severity.CONTRAINDICATED and f.line is not None
        }
        return [
            self.medications[line]
            for line in sorted(lines)
            if not self.medications[line].is_stopped
        ]


MEDICATION_ORDER = (F("removed_at").asc(nulls_first=True), "added_at", "pk")


def screen_patient(
    patient: Patient, *, medications: list[Medication] | None = None
) -> PatientScreening:
    """The patient's medicines (current, then stopped) and situations, screened by the core.
    ``medications``: already read in :data:`MEDICATION_ORDER` (with ``resolved_by``)."""
    if medications is None:
        medications = list(patient.medications.order_by(*MEDICATION_ORDER))
    lines = [_line(m) for m in medications]
    screening = screen(
        lines,
        matcher=data.matcher(),
        rules=data.screening_rules(),
        situations=[Situation(s) for s in patient.situations],
        surgery_planned=patient.surgery_planned,
        today=today_for(patient),
    )
    return PatientScreening(screening, medications)


def _line(medication: Medication) -> MedicineLine:
    resolution = None
    by = medication.resolved_by.username if medication.resolved_by else ""
    if medication.confirmed_not_opioid:
        resolution = Resolution(ResolutionKind.NOT_AN_OPIOID, by=by)
    elif medication.resolved_medicine:
        resolution = Resolution(
            ResolutionKind.CATALOGUE_ENTRY, medicine_key=medication.resolved_medicine, by=by
        )
    return MedicineLine(
        medication.text,
        resolution,
        stopped=medication.is_stopped,
        last_dose=medication.last_dose_on,
    )


@dataclass(frozen=True)
class DiaryRow:
    """A diary entry as staff read it: metric labels, side-effect labels, the patient's note."""

    entry: DiaryEntry
    scores: list[tuple[str, int]]
    side_effects: list[str]


def diary_rows(entries: list[DiaryEntry]) -> list[DiaryRow]:
    from ldntrial.web.audit.wording import side_effect_labels

    catalogue = data.instruments()
    order = {key: n for n, key in enumerate(catalogue.keys())}
    return [
        DiaryRow(
            e,
            # In the catalogue's order: PostgreSQL's jsonb keeps its own order of the keys.
            [
                (catalogue.label_of(k), int(v))
                for k, v in sorted(e.scores.items(), key=lambda kv: order.get(kv[0], len(order)))
            ],
            side_effect_labels(list(e.side_effects)),
        )
        for e in entries
    ]
