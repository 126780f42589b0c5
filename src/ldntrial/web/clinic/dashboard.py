"""The clinician's dashboard: every patient of the clinic with their trial's progress and alerts,
searched, filtered, sorted and paginated.

The rows are read in a fixed number of queries whatever the number of patients (patients, their
active trials, those trials' current diary entries, their medicines): progress and screening are
computed by the core from what was read, never by a query per patient.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet

from ldntrial.core import bounds
from ldntrial.core.trial.monitoring import Stage, TrialProgress
from ldntrial.web.clinic import queries
from ldntrial.web.clinic.models import DiaryEntry, Medication, Patient, Trial, TrialStatus

PER_PAGE = 25


class Show(enum.Enum):
    ALL = "all"
    ACTIVE = "active"
    DUE = "due"
    ALERTS = "alerts"
    NO_TRIAL = "no_trial"

    @property
    def label(self) -> str:
        return {
            Show.ALL: "All patients",
            Show.ACTIVE: "With an active trial",
            Show.DUE: "Due for reassessment",
            Show.ALERTS: "With alerts",
            Show.NO_TRIAL: "Without an active trial",
        }[self]


class Sort(enum.Enum):
    LABEL = "label"
    STATUS = "status"
    ALERTS = "alerts"

    @property
    def label(self) -> str:
        return {
            Sort.LABEL: "Label",
            Sort.STATUS: "Phase (due first)",
            Sort.ALERTS: "Alerts (most first)",
        }[self]


class DashboardForm(forms.Form):
    """A plain GET form; a value that does not fit is shown as an error and the default used."""

    q = forms.CharField(required=False, max_length=40, label="Search label")
    show = forms.ChoiceField(
        required=False, choices=[(s.value, s.label) for s in Show], label="Show"
    )
    sort = forms.ChoiceField(
        required=False, choices=[(s.value, s.label) for s in Sort], label="Sort by"
    )
    page = forms.IntegerField(
        required=False,
        min_value=bounds.PAGE_NUMBER.low,
        max_value=bounds.PAGE_NUMBER.high,
        widget=forms.HiddenInput,
    )

    def choice(self) -> tuple[str, Show, Sort, int]:
        c = self.cleaned_data if self.is_valid() else {}
        return (
            (c.get("q") or "").strip(),  # Django's CharField already refuses NUL characters
            Show(c.get("show") or Show.ALL.value),
            Sort(c.get("sort") or Sort.LABEL.value),
            c.get("page") or 1,
        )


@dataclass(frozen=True)
class Row:
    patient: Patient
    trial: Trial | None
    status: TrialProgress | None
    opioids: tuple[str, ...]
    latest_note: DiaryEntry | None

    @property
    def alert_count(self) -> int:
        return len(self.opioids) + (len(self.status.alerts) if self.status else 0)


# Due first, then the later phases (closest to a decision), then no active trial.
_STAGE_ORDER = {
    Stage.DUE_FOR_REASSESSMENT: 0,
    Stage.MAINTENANCE: 1,
    Stage.TITRATION: 2,
    Stage.BASELINE: 3,
    Stage.NOT_STARTED: 4,
}


def _patients(clinic_id: int, query: str) -> QuerySet[Patient]:
    patients = Patient.objects.filter(clinic_id=clinic_id)
    if query:
        patients = patients.filter(label__icontains=query)
    current = DiaryEntry.objects.filter(is_current=True).order_by("day")
    active = (
        Trial.objects.filter(status=TrialStatus.ACTIVE)
        .order_by("-started_at")
        .prefetch_related(Prefetch("diary", queryset=current, to_attr="current_diary"))
    )
    medications = Medication.objects.select_related("resolved_by").order_by(
        *queries.MEDICATION_ORDER
    )
    return patients.order_by("label").prefetch_related(
        Prefetch("trials", queryset=active, to_attr="active_trials"),
        Prefetch("medications", queryset=medications, to_attr="ordered_medications"),
    )


def _row(patient: Any) -> Row:
    trial = patient.active_trials[0] if patient.active_trials else None
    if trial is None:
        return Row(patient, None, None, (), None)
    trial.patient = patient  # already read: today_for needs the patient's zone
    entries = trial.current_diary
    status = queries.status_of(trial, trial.protocol(), entries=entries)
    # An opioid added to the list of a patient on LDN is flagged at once.
    screening = queries.screen_patient(patient, medications=patient.ordered_medications).screening
    noted = [e for e in entries if e.note]
    return Row(
        patient, trial, status, screening.contraindicated_medicines, noted[-1] if noted else None
    )


def _shown(row: Row, show: Show) -> bool:
    return {
        Show.ALL: True,
        Show.ACTIVE: row.trial is not None,
        Show.DUE: row.status is not None and row.status.stage is Stage.DUE_FOR_REASSESSMENT,
        Show.ALERTS: row.alert_count > 0,
        Show.NO_TRIAL: row.trial is None,
    }[show]


def _key(sort: Sort) -> Any:
    if sort is Sort.STATUS:
        return lambda r: (_STAGE_ORDER[r.status.stage] if r.status else 9, r.patient.label)
    if sort is Sort.ALERTS:
        return lambda r: (-r.alert_count, r.patient.label)
    return lambda r: r.patient.label


def dashboard_page(clinic_id: int, form: DashboardForm) -> tuple[Page[Row], int]:
    """The requested page of rows, and how many patients match."""
    query, show, sort, page = form.choice()
    rows = [r for r in map(_row, _patients(clinic_id, query)) if _shown(r, show)]
    rows.sort(key=_key(sort))
    return Paginator(rows, PER_PAGE).get_page(page), len(rows)
