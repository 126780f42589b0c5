"""Forms of blinded trials: the patient's end-of-period questions and the emergency unblinding.

The fields take what was sent as it is; which answers are acceptable is the core's rule
(``blinded.record_period_report`` and ``blinded.unblind`` answer with FieldErrors, shown next
to each field by ``web.form_errors.show_errors``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from ldntrial import data
from ldntrial.core.trial.blinded import BlindedPeriod
from ldntrial.web.clinic.blinded_models import Guess


class PeriodReportForm(forms.Form):
    """Which the patient thinks they took in one period, and their PGIC for that period."""

    guess = forms.CharField(required=False)
    pgic = forms.CharField(required=False)

    def __init__(self, *args: Any, period: BlindedPeriod, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"period-{period.number}")
        super().__init__(*args, **kwargs)
        self.period = period
        pgic = data.visit_instruments().pgic
        self.fields["guess"].widget = forms.RadioSelect(choices=Guess.choices)
        self.fields["guess"].label = f"Which do you think you took in period {period.number}?"
        self.fields["pgic"].widget = forms.RadioSelect(
            choices=[(p.value, label) for p, label in pgic.labels.items()]
        )
        # The visit's PGIC question (data/visit_instruments.yaml), asked about this period.
        trial_wide = "Since the start of this trial"
        since = f"Since the start of period {period.number} ({_day(period.first)})"
        self.fields["pgic"].label = (
            pgic.question.replace(trial_wide, since)
            if trial_wide in pgic.question
            else f"{since}: {pgic.question}"
        )


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B}"


class EmergencyUnblindingForm(forms.Form):
    """An emergency unblinding: the reason, the clinician's password and a fresh code."""

    reason = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why the sequence must be revealed now",
        help_text="For example the adverse event and what the decision depends on. It is "
        "recorded in the audit trail and the report.",
    )
    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        label="Your password",
    )
    token = forms.CharField(
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        label="The current code from your authenticator app",
    )
