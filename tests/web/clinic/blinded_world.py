"""Ana's blinded trial with a synthetic diary in which LDN lowers pain by about 2 points in the
LDN periods, her end-of-period answers, and its unblinding (shared by the blinded reassessment
and report tests)."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.test import RequestFactory
from django_otp.oath import totp

from ldntrial.core.trial.blinded import Arm
from ldntrial.core.trial.randomisation import Allocation
from ldntrial.web.accounts.models import TOTPDevice
from ldntrial.web.clinic import blinded
from ldntrial.web.clinic.models import Trial, Unblinding, UnblindingKind
from ldntrial.web.clinic.queries import today_for
from tests.web.conftest import PASSWORD, World

LDN_DROP = 2.0  # points of pain less on LDN than on placebo
AFTER_THE_LAST_PERIOD = 127  # days ago the trial started: its last period ended 2 days ago


def sealed_allocation(world: World, trial: Trial) -> Allocation:
    """The allocation as the pharmacy reads it (the test builds the diary from it)."""
    return blinded.allocation_for_pharmacy(by=world.phil, trial=trial)


def fill_diary(
    world: World,
    trial: Trial,
    *,
    seed: int = 5,
    until: dt.date | None = None,
    unanswered: frozenset[int] | set[int] = frozenset(),
) -> None:
    """Every day from the start to ``until`` (the reassessment day, or today if sooner): pain
    about 6.5, 2 points lower on the LDN periods, with autocorrelated noise; the answers at the
    end of each period but ``unanswered`` (LDN periods guessed right, placebo "don't know")."""
    protocol = trial.protocol()
    allocation = sealed_allocation(world, trial)
    rng = np.random.default_rng(seed)
    last = min(until or protocol.reassessment_date, today_for(trial.patient))
    day, u = protocol.start_date, 0.0
    while day <= last:
        u = 0.5 * u + rng.normal(0, 0.6)
        period = blinded.period_on(protocol, day)
        on_ldn = period is not None and allocation.arm_of_period(period.number) is Arm.ACTIVE
        pain = int(np.clip(round(6.5 - (LDN_DROP if on_ldn else 0.0) + u), 0, 10))
        world.diary(
            trial,
            world.ana_user,
            day,
            scores={"pain": pain, "sleep_quality": 5, "function": 5},
            dose_time=None,
        )
        day += dt.timedelta(days=1)
    for period in protocol.periods():
        if period.last <= last and period.number not in unanswered:
            arm = allocation.arm_of_period(period.number)
            blinded.record_period_report(
                by=world.ana_user,
                trial=trial,
                period=period.number,
                guess="ldn" if arm is Arm.ACTIVE else "dont_know",
                pgic="much_improved" if arm is Arm.ACTIVE else "no_change",
                today=last,
            )


def unblind_planned(world: World, trial: Trial) -> Unblinding:
    return blinded.unblind(
        by=world.dr_ode,
        trial=trial,
        kind=UnblindingKind.PLANNED,
        reason="",
        password="",
        token="",
        request=RequestFactory().post("/"),
        today=today_for(trial.patient),
    )


def unblind_in_an_emergency(world: World, trial: Trial, reason: str) -> Unblinding:
    device = TOTPDevice.new(world.dr_ode, name="emergency", confirmed=True)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    request = RequestFactory().post("/")
    request.META["REMOTE_ADDR"] = "127.0.0.9"
    return blinded.unblind(
        by=world.dr_ode,
        trial=trial,
        kind=UnblindingKind.EMERGENCY,
        reason=reason,
        password=PASSWORD,
        token=code,
        request=request,
        today=today_for(trial.patient),
    )
