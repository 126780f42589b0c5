"""The de-identified export holds no direct identifier, in its schema or in any cell."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pyarrow.parquet as pq
import pytest

from ldntrial.web.audit.models import Action, AuditEvent
from ldntrial.web.clinic.models import DiaryEntry, Trial
from ldntrial.web.registry.export import DIARY_COLUMNS, SUMMARY_COLUMNS
from ldntrial.web.registry.pseudonyms import date_shift, patient_key

ALLOWED = {
    "summaries": [name for name, _ in SUMMARY_COLUMNS],
    "diary": [name for name, _ in DIARY_COLUMNS],
}
FORBIDDEN_COLUMN_WORDS = ("label", "name", "contact", "note", "birth", "sex", "other_text", "zone")


def download(registry, table, fmt):
    response = registry.world.client("rae").get(f"/research/export/{table}.{fmt}")
    assert response.status_code == 200
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(response.content.decode())))
    return pq.read_table(io.BytesIO(response.content)).to_pylist()


def identifiers(registry):
    """Every direct identifier the world holds: labels, contacts, free text, accounts,
    fingerprints; and per pseudonym, that patient's real dates."""
    world = registry.world
    texts = {u.username for u in (world.dr_ode, world.rae, world.ana_user, world.ben_user)}
    texts |= {world.clinic_a.name}
    dates: dict[str, set[str]] = {}
    for trial in Trial.objects.filter(clinic=world.clinic_a):  # the registry's, Ana's, Ben's
        patient = trial.patient
        texts |= {patient.label, trial.fingerprint, str(patient.birth_year)}
        texts |= {patient.contact} if patient.contact else set()
        entries = DiaryEntry.objects.filter(trial=trial)
        texts |= {e.note for e in entries if e.note}
        texts |= {e.side_effect_other for e in entries if e.side_effect_other}
        protocol = trial.protocol()
        real = {e.day for e in entries} | {protocol.start_date, protocol.reassessment_date}
        real |= {trial.created_at.date(), patient.created_at.date()}
        real |= {trial.started_at.date()} if trial.started_at else set()
        key = patient_key(clinic_id=patient.clinic_id, patient_id=patient.pk)
        dates.setdefault(key, set()).update(d.isoformat() for d in real)
    assert any("SECRET-NOTE" in t for t in texts)  # the seeded notes are there to be found
    assert any("SECRET-OTHER" in t for t in texts)
    return texts, dates


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("table", ["summaries", "diary"])
def test_the_export_holds_no_direct_identifier(registry, table, fmt):
    rows = download(registry, table, fmt)
    texts, dates = identifiers(registry)
    starts = {
        patient_key(clinic_id=t.clinic_id, patient_id=t.patient_id): t.protocol().start_date
        for t in Trial.objects.filter(clinic=registry.world.clinic_a)
    }
    assert rows, "the export has rows to scan"
    assert list(rows[0]) == ALLOWED[table]
    for column in rows[0]:
        assert not any(word in column for word in FORBIDDEN_COLUMN_WORDS), column
    for row in rows:
        own_dates = dates.get(row["patient"])
        assert own_dates is not None, "every row's patient is a pseudonym of a seeded patient"
        for column, value in row.items():
            cell = "" if value is None else str(value)
            assert not any(t in cell for t in texts), (column, "an identifier in a cell")
            assert "SECRET" not in cell
            if column != "date_shifted":
                assert not any(d in cell for d in own_dates), (column, "a real date")
        if "date_shifted" in row:  # never the real day of the entry (the shift is never 0)
            real_day = starts[row["patient"]] + dt.timedelta(days=int(row["study_day"]))
            assert str(row["date_shifted"]) != real_day.isoformat()


def test_dates_are_shifted_per_patient_and_keep_intervals(registry):
    rows = download(registry, "diary", "parquet")
    patient, trial = registry.patients[0], registry.trials[0]
    key = patient_key(clinic_id=patient.clinic_id, patient_id=patient.pk)
    mine = [r for r in rows if r["patient"] == key]
    shift = date_shift(clinic_id=patient.clinic_id, patient_id=patient.pk)
    assert shift != dt.timedelta(0)
    real = sorted(e.day for e in DiaryEntry.objects.filter(trial=trial, is_current=True))
    assert [r["date_shifted"] for r in mine] == [d + shift for d in real]
    assert [r["study_day"] for r in mine] == [(d - real[0]).days for d in real]


def test_free_text_is_removed_and_side_effects_are_codes(registry):
    rows = download(registry, "diary", "csv")
    codes = {"vivid_dreams", "insomnia", "headache", "anxiety_restlessness", "nausea", "other"}
    seen = {c for r in rows for c in r["side_effects"].split(";") if c}
    assert seen
    assert seen <= codes


def test_small_strata_are_left_out(registry):
    """Ben's CRPS trial is a stratum of one patient: it is not in the export."""
    rows = download(registry, "summaries", "csv")
    assert {r["condition"] for r in rows} == {"fibromyalgia"}
    ben = patient_key(clinic_id=registry.world.ben.clinic_id, patient_id=registry.world.ben.pk)
    assert ben not in {r["patient"] for r in rows}


def test_every_download_is_audited(registry):
    before = AuditEvent.objects.filter(action=Action.READ, object_type="registry.Export").count()
    download(registry, "summaries", "parquet")
    events = AuditEvent.objects.filter(action=Action.READ, object_type="registry.Export")
    assert events.count() == before + 1
    event = events.order_by("-sequence").first()
    assert event is not None
    assert event.actor == registry.world.rae
    assert event.object_id == "summaries.parquet"


def test_an_unknown_table_or_format_is_not_found(registry):
    client = registry.world.client("rae")
    assert client.get("/research/export/patients.csv").status_code == 404
    assert client.get("/research/export/diary.xlsx").status_code == 404


def test_the_command_line_writes_the_same_export_privately_and_audits_it(registry, tmp_path):
    from ldntrial.cli import main
    from tests.conftest import NOW

    out = tmp_path / "diary.parquet"
    args = ["registry", "export", "--out", str(out), "--table", "diary", "--format", "parquet"]
    assert main([*args, "--clinic", registry.world.clinic_a.name], {}, now=NOW) == 0
    assert out.stat().st_mode & 0o077 == 0
    assert pq.read_table(out).to_pylist() == download(registry, "diary", "parquet")
    event = AuditEvent.objects.filter(object_type="registry.Export").order_by("pk").first()
    assert event is not None
    assert event.actor_label == "command line"


def test_the_command_line_refuses_an_unknown_format(registry, tmp_path, capsys):
    from ldntrial.cli import main
    from tests.conftest import NOW

    args = ["registry", "export", "--out", str(tmp_path / "x"), "--format", "xlsx"]
    assert main(args, {}, now=NOW) == 2
    assert "--format is csv or parquet" in capsys.readouterr().err
