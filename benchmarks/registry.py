"""The registry's whole path from the database (issue 15): every trial analysed and pooled.

Run by ``make bench`` in a child process per database (``python -m benchmarks.registry``), once
on SQLite and once on PostgreSQL through ``scripts/with-postgres`` (Django settings are read
once per process). Each run fills a fresh database with ``$LDNTRIAL_BENCH_PATIENTS`` (10,000)
completed open-label trials of 84-day realistic diaries (``benchmarks.analysis.diaries``),
then times, best of ``$LDNTRIAL_BENCH_REPEATS`` (2):

- full: ``collect.patient_summaries`` with an empty cache (read every trial and diary, analyse
  every trial, build the summaries) and ``core.registry.analysis.analyse`` (pooling, shrunken
  estimates, subgroups, the meta-regression, side effects) for every stratum;
- incremental: the same after one new diary entry (one trial re-analysed, the rest cached);
- the reference: statsmodels ``combine_effects`` (Paule-Mandel) on the same pain summaries.

It prints one JSON object; ``benchmarks.__main__`` turns it into rows.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PATIENTS = int(os.environ.get("LDNTRIAL_BENCH_PATIENTS", "10000"))
REPEATS = int(os.environ.get("LDNTRIAL_BENCH_REPEATS", "2"))


def _setup() -> None:
    os.environ.setdefault("LDNTRIAL_DATA_DIR", tempfile.mkdtemp(prefix="ldntrial-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ldntrial.web.settings")
    if "LDNTRIAL_APP_DATABASE_URL" in os.environ:  # under scripts/with-postgres: the owner
        os.environ["LDNTRIAL_OWNER_DATABASE_URL"] = os.environ["DATABASE_URL"]
        os.environ["DATABASE_URL"] = os.environ["LDNTRIAL_APP_DATABASE_URL"]
    import django

    django.setup()
    from ldntrial.web import commands

    commands.migrate()


def _fill(patients: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from benchmarks.analysis import diaries, protocol_of
    from ldntrial.web.accounts.models import Clinic, Role, User
    from ldntrial.web.clinic import services
    from ldntrial.web.clinic.models import DiaryEntry, Patient, Reassessment, Trial, TrialStatus

    clinic = Clinic.objects.create(name=f"Bench {uuid.uuid4().hex[:6]}")
    doctor = User.objects.create_user(
        username=f"bench-{uuid.uuid4().hex[:6]}",
        password=uuid.uuid4().hex,
        clinic=clinic,
        role=Role.CLINICIAN,
    )
    protocol = protocol_of(84)
    first = services.create_patient(
        by=doctor,
        label="BENCH-0",
        birth_year=1970,
        sex="female",
        conditions=["fibromyalgia"],
        time_zone="Europe/London",
    )
    template = services.create_trial(by=doctor, patient=first, protocol=protocol)
    services.start_trial(by=doctor, trial=template)
    template.refresh_from_db()
    rng = np.random.default_rng(15)
    series = diaries(template.protocol(), patients, seed=15)
    now = timezone.now()
    with transaction.atomic():
        people = [
            first,
            *Patient.objects.bulk_create(
                Patient(
                    clinic=clinic,
                    label=f"BENCH-{i}",
                    birth_year=1970,
                    sex="female",
                    conditions=["fibromyalgia"],
                    time_zone="Europe/London",
                )
                for i in range(1, patients)
            ),
        ]
        trials = [
            template,
            *Trial.objects.bulk_create(
                Trial(
                    clinic=clinic,
                    patient=p,
                    status=TrialStatus.ACTIVE,
                    protocol_document=template.protocol_document,
                    fingerprint=template.fingerprint,
                    created_by=doctor,
                    started_by=doctor,
                    started_at=template.started_at,
                )
                for p in people[1:]
            ),
        ]
        for trial, rows in zip(trials, series, strict=True):
            effects = [["vivid_dreams"] if rng.random() < 0.05 else [] for _ in rows]
            DiaryEntry.objects.bulk_create(
                (
                    DiaryEntry(
                        clinic=clinic,
                        trial=trial,
                        day=o.day,
                        scores={k: int(v) for k, v in o.values.items()},
                        dose_taken=o.dose_taken,
                        side_effects=e,
                        client_key=uuid.uuid4(),
                        submitted_by=doctor,
                    )
                    for o, e in zip(rows, effects, strict=True)
                ),
                batch_size=2000,
            )
        Reassessment.objects.bulk_create(
            Reassessment(
                clinic=clinic,
                trial=t,
                suggested_outcome="continue",
                suggested_rule="bench",
                final_outcome="continue",
                content={},
                content_hash="0" * 64,
                signature="0" * 64,
                signed_by=doctor,
                signed_at=now,
            )
            for t in trials
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _measure() -> dict[str, object]:
    from django.db import connection
    from statsmodels.stats.meta_analysis import combine_effects

    from ldntrial.core.registry.analysis import analyse
    from ldntrial.web.clinic.models import DiaryEntry, Trial
    from ldntrial.web.registry import collect

    def full() -> tuple[float, list[object]]:
        collect.clear_cache()
        started = time.perf_counter()
        summaries = collect.patient_summaries(None)
        result = analyse(summaries)
        return time.perf_counter() - started, [summaries, result]

    full_times: list[float] = []
    kept: list[Any] = []
    for _ in range(REPEATS):
        seconds, kept = full()
        full_times.append(seconds)
    summaries, result = kept
    pain = [s for s in summaries if s.metric == "pain" and s.effect is not None]
    y = np.array([s.effect for s in pain])
    v = np.array([s.effect_sd for s in pain]) ** 2

    def reference() -> float:
        started = time.perf_counter()
        combine_effects(y, v, method_re="iterated")
        return time.perf_counter() - started

    ref = min(reference() for _ in range(5))
    trial = Trial.objects.order_by("pk").first()
    assert trial is not None, "the benchmark database holds no trial"
    last = DiaryEntry.objects.filter(trial=trial, is_current=True).order_by("-day").first()
    incremental_times = []
    for step in range(REPEATS):
        if last is not None:  # a new day's entry: one more diary day for this trial
            DiaryEntry.objects.create(
                clinic=last.clinic,
                trial=trial,
                day=last.day + dt.timedelta(days=1 + step),
                scores=last.scores,
                dose_taken=True,
                side_effects=[],
                client_key=uuid.uuid4(),
                submitted_by=last.submitted_by,
            )
        started = time.perf_counter()
        analyse(collect.patient_summaries(None))
        incremental_times.append(time.perf_counter() - started)
    return {
        "database": connection.vendor,
        "patients": PATIENTS,
        "diary_rows": DiaryEntry.objects.count(),
        "strata": len(result),
        "full": min(full_times),
        "incremental": min(incremental_times),
        "reanalysed_after_entry": collect.analysed_states[-1],
        "combine_effects": ref,
    }


def run_child(postgres: bool) -> dict[str, object] | str:
    """This module in a child process (under scripts/with-postgres for PostgreSQL)."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["LDNTRIAL_DATA_DIR"] = tempfile.mkdtemp(prefix="ldntrial-bench-")
    command = [sys.executable, "-m", "benchmarks.registry"]
    if postgres:
        command = [str(ROOT / "scripts" / "with-postgres"), *command]
    done = subprocess.run(  # noqa: S603 - fixed arguments
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return (done.stderr.strip().splitlines() or ["no output"])[-1]
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def bench_registry() -> list[tuple[str, float, float]]:
    rows = []
    for postgres in (False, True):
        got = run_child(postgres)
        name = "PostgreSQL" if postgres else "SQLite"
        if isinstance(got, str):
            print(f"registry benchmark on {name} did not run: {got}", file=sys.stderr)
            continue
        n = got["patients"]
        rows.append(
            (
                f"registry from {name}, {n:,} patients x 84 days (analyse + pool) "
                "/ combine_effects PM",
                float(got["full"]),  # type: ignore[arg-type]
                float(got["combine_effects"]),  # type: ignore[arg-type]
            )
        )
        rows.append(
            (
                f"registry from {name} after one new diary entry "
                f"({got['reanalysed_after_entry']} trial re-analysed) / the full path",
                float(got["incremental"]),  # type: ignore[arg-type]
                float(got["full"]),  # type: ignore[arg-type]
            )
        )
    return rows


def main() -> None:
    _setup()
    _fill(PATIENTS)
    print(json.dumps(_measure()))


if __name__ == "__main__":
    main()
