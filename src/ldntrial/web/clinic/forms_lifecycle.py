"""Forms for the life of a started trial: amendments, the signed decision and its addenda.

They only read what was typed; every rule (what an amendment may change, what a decision
needs) is the core's (ldntrial.core.trial.amendment, ldntrial.core.lifecycle).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import forms

from ldntrial.core.doses import DoseInput
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.amendment import (
    MAX_HOLD_DAYS,
    MAX_REASON_CHARS,
    Amendment,
    AmendmentKind,
    replacement_steps,
)
from ldntrial.core.trial.drug import Timing
from ldntrial.core.trial.titration import WarningCode
from ldntrial.web.clinic.forms import SignForm


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DecisionForm(SignForm):
    """The signed decision with what it fixes: a follow-up or review date, a stop instruction,
    and, on insufficient data, why the clinician decides anyway."""

    follow_up_on = forms.DateField(
        required=False,
        widget=_date_input(),
        label="Follow-up date (stop) or next review date (continue)",
    )
    stop_instruction = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="How the patient stops LDN (stop only): last dose day or tapering plan",
    )
    data_override = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Only if the data are insufficient: why you decide now",
    )


class AddendumForm(DecisionForm):
    """A later change to the signed decision: it always needs its reason."""

    addendum = forms.CharField(widget=forms.HiddenInput, initial="1")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["override_reason"].label = "Reason for the addendum"
        self.fields["override_reason"].required = True


class AmendmentForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(k.value, k.label.capitalize()) for k in AmendmentKind],
        widget=forms.RadioSelect,
        label="Change",
    )
    effective_on = forms.DateField(widget=_date_input(), label="From (today or later)")
    reason = forms.CharField(
        max_length=MAX_REASON_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason (e.g. vivid dreams at 3 mg)",
    )
    hold_days = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_HOLD_DAYS, label="Hold: days more on this dose"
    )
    retry_after_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_HOLD_DAYS,
        label="Step back: try the higher dose again after (days, optional)",
    )
    timing = forms.ChoiceField(
        required=False,
        choices=[("", "–")] + [(t.value, t.value) for t in Timing],
        label="Switch timing: new time of day",
    )
    steps = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2027-01-02 3 morning"}),
        label="Replace: one step a line, 'date dose-in-mg night|morning'",
    )
    new_reassessment = forms.DateField(
        required=False,
        widget=_date_input(),
        label="Replace: new reassessment date (optional, to extend the trial after 'adjust')",
    )
    accept_warnings = forms.MultipleChoiceField(
        required=False,
        choices=[(w.value, w.value) for w in WarningCode],
        widget=forms.CheckboxSelectMultiple,
        label="Accept these departures from usual practice (only if you are asked to)",
    )

    def amendment(self) -> Amendment:
        """The core amendment, or InvalidValue naming what is wrong."""
        c = self.cleaned_data
        kind = AmendmentKind(c["kind"])
        return Amendment(
            kind,
            c["effective_on"],
            c["reason"],
            hold_days=c.get("hold_days") if kind is AmendmentKind.HOLD else None,
            retry_after_days=c.get("retry_after_days") if kind is AmendmentKind.STEP_BACK else None,
            timing=Timing(c["timing"])
            if kind is AmendmentKind.SWITCH_TIMING and c.get("timing")
            else None,
            steps=_steps(c.get("steps") or "") if kind is AmendmentKind.REPLACE_SCHEDULE else (),
            new_reassessment=c.get("new_reassessment")
            if kind is AmendmentKind.REPLACE_SCHEDULE
            else None,
        )

    def accepted(self) -> list[WarningCode]:
        return [WarningCode(v) for v in self.cleaned_data.get("accept_warnings") or []]


def _steps(text: str) -> tuple[tuple[dt.date, DoseInput, Timing], ...]:
    rows: list[tuple[dt.date, DoseInput, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 3:
            raise InvalidValue(
                f"line {number}: write 'date dose timing', e.g. '2027-01-02 3 morning'"
            )
        try:
            day = dt.date.fromisoformat(parts[0])
            dose = Decimal(parts[1])
        except (ValueError, InvalidOperation):
            raise InvalidValue(
                f"line {number}: {parts[0]!r} {parts[1]!r} is not a date (YYYY-MM-DD) and a dose "
                "in mg"
            ) from None
        rows.append((day, dose, parts[2]))
    return replacement_steps(rows)
