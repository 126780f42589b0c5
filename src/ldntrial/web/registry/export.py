"""The de-identified research export: two tables, as CSV or Parquet (docs/decisions/0029).

``summaries``: one row per started trial and metric (the patient summary the registry pools).
``diary``: one row per current diary day.

What makes them de-identified:

- patients appear only as their pseudonym (a keyed hash, ``registry.pseudonyms``); no label,
  name, contact, account, record number, birth year, sex, time zone or protocol fingerprint (a
  fingerprint is unique to one patient's protocol and is shown to their clinician);
- every date is shifted by the patient's own offset (1 to 182 days either way, from the keyed
  hash), so intervals within a patient are kept; the study day (0 = first baseline day) is
  exact. Times of day (dose times, submission times) are left out;
- free text is removed: diary notes, "other" side-effect text, correction reasons; side effects
  are the checklist's codes only;
- small cells: a stratum (condition and design) with fewer than k patients is left out, and
  within a stratum a dose, timing or stop reason shared by fewer than k patients is blanked
  (the row's ``suppressed`` column names what was blanked).

The columns are fixed (``SUMMARY_COLUMNS``, ``DIARY_COLUMNS``): a test scans every cell.
"""

from __future__ import annotations

import csv
import enum
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ldntrial import data
from ldntrial.core.registry.summaries import PatientSummary
from ldntrial.core.trial.diary import SideEffect
from ldntrial.core.trial.protocol import Design
from ldntrial.web.accounts.models import Clinic
from ldntrial.web.registry.collect import TrialRecord, records, summaries_of
from ldntrial.web.registry.pseudonyms import date_shift


class Table(enum.Enum):
    SUMMARIES = "summaries"
    DIARY = "diary"


class Format(enum.Enum):
    CSV = "csv"
    PARQUET = "parquet"

    @property
    def content_type(self) -> str:
        return "text/csv; charset=utf-8" if self is Format.CSV else "application/vnd.apache.parquet"


METRIC_KEYS = data.instruments().keys()  # one column per diary metric, every trial alike

SUMMARY_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("patient", pa.string()),
    ("condition", pa.string()),
    ("design", pa.string()),
    ("metric", pa.string()),
    ("better", pa.string()),
    ("mcid_points", pa.float64()),
    ("status", pa.string()),
    ("stop_reason", pa.string()),
    ("effect", pa.float64()),
    ("effect_sd", pa.float64()),
    ("dose_mg", pa.float64()),
    ("timing", pa.string()),
    ("diary_days", pa.int64()),
    *((f"days_{e.value}", pa.int64()) for e in SideEffect),
    ("suppressed", pa.string()),
)

DIARY_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("patient", pa.string()),
    ("condition", pa.string()),
    ("design", pa.string()),
    ("date_shifted", pa.date32()),
    ("study_day", pa.int64()),
    ("phase", pa.string()),
    *((m, pa.float64()) for m in METRIC_KEYS),
    ("dose_taken", pa.bool_()),
    ("side_effects", pa.string()),
)

QUASI = ("dose_mg", "timing", "stop_reason")


@dataclass(frozen=True)
class Export:
    table: Table
    rows: list[dict[str, Any]]
    dropped_strata: int  # strata left out for having fewer than k patients

    @property
    def columns(self) -> tuple[tuple[str, pa.DataType], ...]:
        return SUMMARY_COLUMNS if self.table is Table.SUMMARIES else DIARY_COLUMNS

    def arrow(self) -> pa.Table:
        schema = pa.schema(list(self.columns))
        return pa.Table.from_pylist(self.rows, schema=schema)

    def to_bytes(self, fmt: Format) -> bytes:
        if fmt is Format.PARQUET:
            buffer = pa.BufferOutputStream()
            pq.write_table(self.arrow(), buffer)
            return bytes(buffer.getvalue().to_pybytes())
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=[name for name, _ in self.columns])
        writer.writeheader()
        for row in self.rows:
            writer.writerow({k: "" if v is None else _csv_value(v) for k, v in row.items()})
        return text.getvalue().encode("utf-8")


def _csv_value(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _stratum(record: TrialRecord) -> tuple[str, Design]:
    return (record.protocol.condition, record.protocol.design)


def _kept(rows: Sequence[TrialRecord], k: int) -> tuple[list[TrialRecord], int]:
    patients = Counter(_stratum(r) for r in rows)
    kept = [r for r in rows if patients[_stratum(r)] >= k]
    return kept, sum(1 for n in patients.values() if n < k)


def summary_rows(rows: Sequence[TrialRecord], k: int) -> tuple[list[dict[str, Any]], int]:
    kept, dropped = _kept(rows, k)
    summaries = summaries_of(kept)
    table = [_summary_row(s) for s in summaries]
    _blank_rare(table, k)
    return table, dropped


def _summary_row(s: PatientSummary) -> dict[str, Any]:
    days = dict(s.side_effects)
    row: dict[str, Any] = {
        "patient": s.patient_key,
        "condition": s.condition,
        "design": s.design.value,
        "metric": s.metric,
        "better": s.better.value,
        "mcid_points": s.mcid,
        "status": s.status.value,
        "stop_reason": s.stop_reason.value if s.stop_reason else None,
        "effect": s.effect,
        "effect_sd": s.effect_sd,
        "dose_mg": float(s.dose.mg) if s.dose else None,
        "timing": s.timing.value if s.timing else None,
        "diary_days": s.diary_days,
    }
    row |= {f"days_{e.value}": days.get(e, 0) for e in SideEffect}
    row["suppressed"] = ""
    return row


def _blank_rare(table: list[dict[str, Any]], k: int) -> None:
    """Within a stratum, values of a quasi-identifier held by fewer than k patients are blanked."""
    for column in QUASI:
        holders: dict[tuple[Any, ...], set[str]] = {}
        for row in table:
            if row[column] is not None:
                key = (row["condition"], row["design"], row[column])
                holders.setdefault(key, set()).add(row["patient"])
        for row in table:
            key = (row["condition"], row["design"], row[column])
            if row[column] is not None and len(holders[key]) < k:
                row[column] = None
                row["suppressed"] = ";".join(filter(None, [row["suppressed"], column]))


def diary_rows(rows: Sequence[TrialRecord], k: int) -> tuple[list[dict[str, Any]], int]:
    kept, dropped = _kept(rows, k)
    known = {e.value for e in SideEffect}
    table = []
    for r in kept:
        shift = date_shift(clinic_id=r.clinic_id, patient_id=r.patient_id)
        phases = r.protocol.phases()
        for o in r.observations:
            phase = next((p.kind.value for p in phases if p.first <= o.day <= p.last), "after")
            row: dict[str, Any] = {
                "patient": r.patient_key,
                "condition": r.protocol.condition,
                "design": r.protocol.design.value,
                "date_shifted": o.day + shift,
                "study_day": (o.day - r.protocol.start_date).days,
                "phase": phase,
            }
            row |= {m: o.values.get(m) for m in METRIC_KEYS}
            row["dose_taken"] = o.dose_taken
            row["side_effects"] = ";".join(sorted(e for e in o.side_effects if e in known))
            table.append(row)
    return table, dropped


def export(table: Table, *, clinic: Clinic | None, k: int) -> Export:
    rows = records(clinic)
    made = summary_rows(rows, k) if table is Table.SUMMARIES else diary_rows(rows, k)
    return Export(table, made[0], made[1])
