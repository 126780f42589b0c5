"""Where a trial stands: phase, adherence, gaps and alerts."""

import datetime as dt

import pytest

from ldntrial.core.study_days import StudyDay
from ldntrial.core.trial.monitoring import Alert, DayReport, Stage, stage_on, trial_status
from tests.core.conftest import START


@pytest.mark.parametrize(
    ("today", "stage"),
    [
        (dt.date(2026, 11, 27), Stage.NOT_STARTED),
        (dt.date(2026, 11, 28), Stage.BASELINE),
        (dt.date(2026, 12, 12), Stage.TITRATION),
        (dt.date(2027, 1, 9), Stage.MAINTENANCE),
        (dt.date(2027, 3, 6), Stage.DUE_FOR_REASSESSMENT),
        (dt.date(2027, 4, 1), Stage.DUE_FOR_REASSESSMENT),
    ],
)
def test_the_stage_follows_the_protocols_phases(protocol, today, stage):
    assert stage_on(protocol, today) is stage


def days(first, taken, effects=()):
    return [DayReport(first + dt.timedelta(days=i), t, i in effects) for i, t in enumerate(taken)]


def test_adherence_is_the_share_of_reported_doses_taken(protocol):
    reports = days(dt.date(2026, 12, 12), [True, True, False, True])
    status = trial_status(protocol, reports, today=dt.date(2026, 12, 15))
    assert (status.doses_taken, status.doses_reported, status.adherence) == (3, 4, 0.75)
    assert status.study_day == StudyDay(18)
    assert Alert.DOSES_MISSED in status.alerts


def test_a_diary_silent_for_three_days_is_flagged(protocol):
    reports = days(dt.date(2026, 12, 12), [True])
    assert (
        Alert.DIARY_SILENT
        not in trial_status(protocol, reports, today=dt.date(2026, 12, 14)).alerts
    )
    status = trial_status(protocol, reports, today=dt.date(2026, 12, 15))
    assert Alert.DIARY_SILENT in status.alerts
    assert status.days_since_last_entry == 3


def test_a_trial_with_no_entry_yet_is_silent_after_three_days(protocol):
    assert trial_status(protocol, [], today=START + dt.timedelta(days=1)).alerts == ()
    assert trial_status(protocol, [], today=START + dt.timedelta(days=2)).alerts == (
        Alert.DIARY_SILENT,
    )


def test_side_effects_in_the_last_week_are_flagged_and_older_ones_are_not(protocol):
    reports = days(dt.date(2026, 12, 12), [True] * 10, effects={0})
    assert (
        Alert.SIDE_EFFECTS
        in trial_status(protocol, reports[:3], today=dt.date(2026, 12, 14)).alerts
    )
    assert (
        Alert.SIDE_EFFECTS
        not in trial_status(protocol, reports, today=dt.date(2026, 12, 21)).alerts
    )


def test_no_reported_doses_means_no_adherence_figure(protocol):
    status = trial_status(protocol, days(START, [None, None]), today=START + dt.timedelta(days=1))
    assert status.adherence is None
