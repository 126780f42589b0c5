"""Benchmarks of the analysis at reassessment (issue 10): one trial against NumPyro NUTS on the
identical model and data, 10,000 patients against statsmodels GLSAR, and the reassessment page.

Each returns (what, ours in seconds, reference in seconds); __main__ prints the ratio.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
import timeit
import uuid
import warnings
from collections.abc import Callable

import numpy as np

from ldntrial import data
from ldntrial.core.analysis.decision import decide
from ldntrial.core.analysis.simulation import simulate
from ldntrial.core.analysis.trial import Observation, analyse_trial, analyse_trials
from ldntrial.core.analysis.validation import REALISTIC, schedule_of
from ldntrial.core.trial.design import design_protocol
from ldntrial.core.trial.protocol import Protocol

START = dt.date(2027, 1, 4)
METRICS = ("pain", "sleep_quality", "function")


def default_design(days: np.ndarray, maintenance_from: int) -> np.ndarray:
    """The default analysis' columns: intercept, maintenance, a weekly harmonic."""
    angle = 2 * np.pi * days / 7
    return np.column_stack(
        [np.ones(len(days)), days >= maintenance_from, np.sin(angle), np.cos(angle)]
    ).astype(float)


def protocol_of(days: int | None = None) -> Protocol:
    """The usual fibromyalgia protocol; ``days`` shortens the diary to that many days."""
    reassessment = None if days is None else START + dt.timedelta(days=days - 1)
    protocol, _ = design_protocol(
        condition="fibromyalgia",
        start_date=START,
        profile=data.ldn_profile(),
        instruments=data.instruments(),
        conditions=data.conditions(),
        reassessment_date=reassessment,
    )
    return protocol


def diaries(protocol: Protocol, patients: int, seed: int) -> list[list[Observation]]:
    """Realistic simulated diaries (docs/validation.md), three metrics per day."""
    rng = np.random.default_rng(seed)
    schedule = schedule_of(protocol)
    first_dose = (protocol.first_dose_date - protocol.start_date).days
    out = []
    for _ in range(patients):
        days: dict[int, dict[str, float]] = {}
        for metric in METRICS:
            diary = simulate(schedule, REALISTIC.draw(rng, None), rng)
            for day, score in zip(diary.days, diary.scores, strict=True):
                days.setdefault(int(day), {})[metric] = float(score)
        out.append(
            [
                Observation(
                    protocol.start_date + dt.timedelta(days=d),
                    values,
                    dose_taken=True if d >= first_dose else None,
                )
                for d, values in sorted(days.items())
            ]
        )
    return out


def bench_trial_vs_nuts() -> tuple[str, float, float]:
    """One trial, three metrics and the decision, against NUTS on each metric's identical model
    (the default design with its weekly harmonic; flat b, p(sigma^2) ~ 1/sigma^2, rho uniform
    on atanh over (-0.98, 0.98)); 2 chains x
    (1,000 warm-up + 1,000 draws), the first run including JAX compilation."""
    import jax
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist
    from numpyro.distributions import constraints
    from numpyro.infer import MCMC, NUTS

    protocol = protocol_of()
    rows = diaries(protocol, 1, seed=3)[0]

    def ours() -> object:
        analysis = analyse_trial(protocol, rows)
        return decide(analysis, rows)

    ours_time = min(timeit.repeat(ours, number=20, repeat=5)) / 20
    analysis = analyse_trial(protocol, rows)
    titration = protocol.phases()[1]
    kept = [r for r in rows if not titration.first <= r.day <= titration.last]

    def model(days: jnp.ndarray, y: jnp.ndarray, x: jnp.ndarray) -> None:
        b = numpyro.sample("b", dist.ImproperUniform(constraints.real, (), (4,)))
        log_sigma = numpyro.sample("log_sigma", dist.ImproperUniform(constraints.real, (), ()))
        z_rho = numpyro.sample("z_rho", dist.Uniform(-np.arctanh(0.98), np.arctanh(0.98)))
        rho = jnp.tanh(z_rho)
        gaps = jnp.diff(days)
        resid = y - x @ b
        c = jnp.sqrt((1 - rho ** (2 * gaps)) / (1 - rho**2))
        z = jnp.concatenate(
            [(jnp.sqrt(1 - rho**2) * resid[0])[None], (resid[1:] - rho**gaps * resid[:-1]) / c]
        )
        log_jac = jnp.log(jnp.sqrt(1 - rho**2)) - jnp.sum(jnp.log(c))
        numpyro.factor("ar1", dist.Normal(0, jnp.exp(log_sigma)).log_prob(z).sum() + log_jac)

    started = time.perf_counter()
    for metric in METRICS:
        chosen = [r for r in kept if metric in r.values]
        days = np.array([(r.day - protocol.start_date).days for r in chosen], float)
        y = np.array([r.values[metric] for r in chosen])
        x = default_design(days, (titration.last - START).days + 1)
        mcmc = MCMC(
            NUTS(model),
            num_warmup=1000,
            num_samples=1000,
            num_chains=2,
            chain_method="sequential",
            progress_bar=False,
        )
        mcmc.run(jax.random.PRNGKey(0), jnp.asarray(days), jnp.asarray(y), jnp.asarray(x))
        effect = np.asarray(mcmc.get_samples()["b"][:, 1])
        grid = next(m for m in analysis.metrics if m.metric.key == metric)
        if grid.effect_mean is not None:
            print(
                f"  NUTS vs grid, {metric}: posterior mean {effect.mean():+.3f} vs "
                f"{grid.effect_mean:+.3f}"
            )
    nuts_time = time.perf_counter() - started
    return "one trial, 3 metrics + decision / NumPyro NUTS, 3 metrics", ours_time, nuts_time


def bench_many_patients(patients: int = 10_000) -> tuple[str, float, float]:
    """10,000 patients x 84 diary days x 3 metrics through analyse_trials, against 10,000
    statsmodels GLSAR iterative fits (one metric each: the reference does a third of the work)."""
    import statsmodels.api as sm

    protocol = protocol_of(days=84)
    print(f"  simulating {patients} diaries of 84 days x 3 metrics ...", flush=True)
    trials = [(protocol, rows) for rows in diaries(protocol, patients, seed=1)]
    started = time.perf_counter()
    results = analyse_trials(trials)
    ours_time = time.perf_counter() - started
    assert len(results) == patients
    titration = protocol.phases()[1]
    series = []
    for _, rows in trials:
        kept = [r for r in rows if not titration.first <= r.day <= titration.last]
        kept = [r for r in kept if "pain" in r.values]
        y = np.array([r.values["pain"] for r in kept])
        days = np.array([(r.day - protocol.start_date).days for r in kept], float)
        series.append((y, default_design(days, (titration.last - protocol.start_date).days + 1)))
    started = time.perf_counter()
    with warnings.catch_warnings():
        # GLSAR's convergence check divides by a parameter that can be exactly 0; harmless here.
        warnings.simplefilter("ignore", RuntimeWarning)
        for y, x in series:
            sm.GLSAR(y, x, rho=1).iterative_fit(maxiter=10)
    reference_time = time.perf_counter() - started
    print(
        f"  analyse_trials: {patients} patients x 3 metrics in {ours_time:.1f} s "
        f"({ours_time / (3 * patients) * 1e3:.3f} ms per series); GLSAR: {patients} fits in "
        f"{reference_time:.1f} s ({reference_time / patients * 1e3:.3f} ms per fit)"
    )
    return (
        f"{patients} patients x 3 metrics (analyse_trials) / {patients} GLSAR fits",
        ours_time,
        reference_time,
    )


def bench_reassessment_page() -> list[tuple[str, float, float]]:
    """The reassessment page's server time (Django test client, in process), first view of a
    trial state (computes the analysis) and later views (cached), against the trial page."""
    os.environ.setdefault("LDNTRIAL_DATA_DIR", tempfile.mkdtemp(prefix="ldntrial-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ldntrial.web.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ldntrial.web.accounts.models import Clinic, Role, User
    from ldntrial.web.clinic import reassessment, services
    from ldntrial.web.clinic.models import Patient

    setup_test_environment()
    call_command("migrate", verbosity=0)
    clinic = Clinic.objects.create(name=f"Bench {uuid.uuid4().hex[:6]}")
    doctor = User.objects.create_user(
        username=f"bench-{uuid.uuid4().hex[:6]}",
        password=uuid.uuid4().hex,
        clinic=clinic,
        role=Role.CLINICIAN,
    )
    patient = services.create_patient(
        by=doctor,
        label="BENCH-1",
        birth_year=1970,
        sex="female",
        conditions=["fibromyalgia"],
        time_zone="Europe/London",
    )
    user = User.objects.create_user(
        username=f"bench-p-{uuid.uuid4().hex[:6]}",
        password=uuid.uuid4().hex,
        clinic=clinic,
        role=Role.PATIENT,
    )
    Patient.objects.filter(pk=patient.pk).update(user=user)
    patient.refresh_from_db()
    start = timezone.now().date() - dt.timedelta(days=100)
    protocol, _ = design_protocol(
        condition="fibromyalgia",
        start_date=start,
        profile=data.ldn_profile(),
        instruments=data.instruments(),
        conditions=data.conditions(),
        time_zone="Europe/London",
    )
    trial = services.create_trial(by=doctor, patient=patient, protocol=protocol)
    services.start_trial(by=doctor, trial=trial)
    trial.refresh_from_db()
    complete = [r for r in diaries(protocol, 1, seed=9)[0] if set(r.values) == set(METRICS)]
    for row in complete:
        services.submit_diary(
            by=user,
            trial=trial,
            day=row.day,
            today=row.day,
            client_key=uuid.uuid4(),
            scores={k: int(v) for k, v in row.values.items()},
            dose_taken=row.dose_taken,
            dose_time=None,
            side_effects=[],
        )
    client = Client()
    client.force_login(doctor)
    device = TOTPDevice.objects.create(user=doctor, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    page = f"/clinic/trials/{trial.pk}/reassessment/"
    detail = f"/clinic/trials/{trial.pk}/"

    def timed(url: str, before: Callable[[], object] = lambda: None) -> float:
        times = []
        for _ in range(7):
            before()
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
        return min(times)

    cold = timed(page, reassessment.clear_cache)
    warm = timed(page)
    reference = timed(detail)
    return [
        ("reassessment page, first view of a state / trial page", cold, reference),
        ("reassessment page, cached state / trial page", warm, reference),
    ]
