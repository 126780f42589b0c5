"""Forms: they check types and shapes; the clinical rules are checked by the core."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, TypedDict, cast

from django import forms
from django.utils import timezone

from ldntrial import data
from ldntrial.core import bounds
from ldntrial.core.errors import FieldErrors
from ldntrial.core.screening.rules import Situation
from ldntrial.core.trial.blinded import (
    DEFAULT_PAIRS,
    DEFAULT_PERIOD_DAYS,
    DEFAULT_RUN_IN_DAYS,
    MAX_PAIRS,
)
from ldntrial.core.trial.compounding import FormulationKind
from ldntrial.core.trial.design import (
    DEFAULT_METRICS,
    DEFAULT_REASSESSMENT_WEEKS,
    default_plan,
)
from ldntrial.core.trial.diary import SideEffect
from ldntrial.core.trial.drug import Timing
from ldntrial.core.trial.protocol import Design, Protocol, TitrationHandling
from ldntrial.core.trial.titration import WarningCode
from ldntrial.core.trial.visit_measures import PEG_ITEMS, Pgic, VisitKind
from ldntrial.web.clinic.models import Sex

COMMON_ZONES = [
    "Europe/London",
    "Europe/Dublin",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Copenhagen",
    "Africa/Cairo",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Asia/Kolkata",
    "UTC",
]


def condition_choices() -> list[tuple[str, str]]:
    return [(c.key, c.name) for c in data.conditions().conditions.values()]


def metric_choices() -> list[tuple[str, str]]:
    return [(m.key, m.label) for m in data.instruments().metrics.values()]


def pgic_labels() -> dict[Pgic, str]:
    return dict(data.visit_instruments().pgic.labels)


def pgic_criterion_choices() -> list[tuple[str, str]]:
    labels = pgic_labels()
    improved = [p for p in Pgic if p.at_least(Pgic.MINIMALLY_IMPROVED)]
    return [("", "— no PGIC criterion —")] + [(p.value, labels[p]) for p in improved]


class PatientForm(forms.Form):
    label = forms.RegexField(
        regex=r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,39}$",
        label="Pseudonymous label",
        help_text="A code, not a name (e.g. FM-0042).",
        error_messages={"invalid": "Use letters, digits, spaces, dots, dashes (up to 40)."},
    )
    birth_year = forms.IntegerField(label="Year of birth")
    sex = forms.ChoiceField(choices=Sex.choices)
    conditions = forms.MultipleChoiceField(
        choices=condition_choices, widget=forms.CheckboxSelectMultiple, label="Condition(s)"
    )
    time_zone = forms.ChoiceField(choices=[(z, z) for z in COMMON_ZONES], initial="Europe/London")
    contact = forms.CharField(required=False, max_length=200, label="Contact (optional)")

    def clean_birth_year(self) -> int:
        """Checked here too (not only by the service), so its message shows with the others."""
        try:
            return bounds.check_birth_year(
                self.cleaned_data["birth_year"], today=timezone.localdate()
            )
        except FieldErrors as error:
            raise forms.ValidationError(error.errors["birth_year"]) from None


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MedicationForm(forms.Form):
    text = forms.CharField(
        max_length=200,
        label="Medicine as the patient takes it",
        help_text="e.g. sertraline 50 mg",
        error_messages={"required": "Write the medicine as the patient takes it."},
    )
    last_dose_on = forms.DateField(
        required=False,
        label="Last taken on (optional)",
        help_text="For a medicine taken now and then, or already stopped.",
        widget=_date_input(),
    )
    stopped = forms.BooleanField(required=False, label="No longer taken")
    reason = forms.CharField(
        required=False, max_length=200, label="If no longer taken: why (e.g. stopped by GP)"
    )


class StopForm(forms.Form):
    """Record that a medicine is no longer taken: the opioid-free interval counts from the last
    dose."""

    last_dose_on = forms.DateField(label="Last dose on", widget=_date_input())
    reason = forms.CharField(
        max_length=200, label="Why it is no longer taken", help_text="e.g. stopped by GP"
    )


class TrialForm(forms.Form):
    condition = forms.ChoiceField(label="Condition this trial is for")
    start_date = forms.DateField(
        label="First baseline day",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    # Initial values come from the LDN profile's usual regimen (see __init__).
    baseline_days = forms.IntegerField(
        min_value=bounds.BASELINE_DAYS.low, max_value=bounds.BASELINE_DAYS.high
    )
    start_dose = forms.CharField(label="Start dose (mg)")
    step = forms.CharField(label="Step (mg)")
    interval_days = forms.IntegerField(
        min_value=bounds.INTERVAL_DAYS.low,
        max_value=bounds.INTERVAL_DAYS.high,
        label="Days between steps",
    )
    target = forms.CharField(label="Target dose (mg)")
    timing = forms.ChoiceField(choices=[(t.value, t.phrase.capitalize()) for t in Timing])
    # Labels naming the default and the window are set from the profile in __init__.
    reassessment_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reassessment_override = forms.CharField(required=False, max_length=200)
    metrics = forms.MultipleChoiceField(
        choices=metric_choices,
        initial=list(DEFAULT_METRICS),
        widget=forms.CheckboxSelectMultiple,
        label="Daily metrics",
    )
    primary_metric = forms.ChoiceField(choices=metric_choices, initial="pain")
    success_percent = forms.IntegerField(
        min_value=bounds.SUCCESS_PERCENT.low,
        max_value=bounds.SUCCESS_PERCENT.high,
        label="Success: improvement from baseline (%)",
    )
    success_probability = forms.DecimalField(
        min_value=0,
        max_value=1,
        decimal_places=2,
        label="…judged met when its probability is at least",
    )
    pgic_at_least = forms.ChoiceField(
        required=False,
        choices=pgic_criterion_choices,
        label="…and the patient's global impression of change at least (optional)",
    )
    titration = forms.ChoiceField(
        choices=[
            (TitrationHandling.EXCLUDE.value, "Left out of the comparison (validated default)"),
            (TitrationHandling.MODEL.value, "Modelled as a level of their own"),
        ],
        initial=TitrationHandling.EXCLUDE.value,
        label="Analysis: titration days",
    )
    run_in_days = forms.IntegerField(
        min_value=bounds.RUN_IN_DAYS.low,
        max_value=bounds.RUN_IN_DAYS.high,
        initial=0,
        label="Analysis: days after the first dose left out",
    )
    trend = forms.BooleanField(required=False, label="Analysis: estimate a linear trend")
    weekly = forms.BooleanField(
        required=False, initial=True, label="Analysis: estimate a weekly cycle"
    )
    # Blank design fields take the defaults (older clients and the API send none).
    design = forms.ChoiceField(
        required=False,
        choices=[
            (Design.OPEN_LABEL.value, "Open label: baseline, titration, then LDN"),
            (
                Design.BLINDED_N_OF_1.value,
                "Blinded n-of-1: titration, then randomised LDN and identical placebo periods",
            ),
        ],
        initial=Design.OPEN_LABEL.value,
        label="Design",
    )
    pairs = forms.IntegerField(
        required=False,
        min_value=2,
        max_value=MAX_PAIRS,
        initial=DEFAULT_PAIRS,
        label="Blinded: pairs of periods",
    )
    period_days = forms.IntegerField(
        required=False,
        min_value=7,
        max_value=56,
        initial=DEFAULT_PERIOD_DAYS,
        label="Blinded: days per period",
    )
    period_run_in = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=53,
        initial=DEFAULT_RUN_IN_DAYS,
        label="Blinded: run-in days left out at the start of each period",
    )
    no_capsule = forms.BooleanField(
        required=False, label="Blinded: add a period without capsules to each pair (nocebo)"
    )
    formulation = forms.ChoiceField(
        choices=[(k.value, k.label) for k in FormulationKind],
        initial=FormulationKind.CAPSULES.value,
    )
    concentration = forms.CharField(initial="1", label="Liquid concentration (mg/mL)")
    allow = forms.MultipleChoiceField(
        required=False,
        choices=[
            (c.value, c.value) for c in WarningCode if c != WarningCode.REASSESSMENT_OUTSIDE_WINDOW
        ]
        + [(w.value, w.value) for w in bounds.BoundWarning],
        widget=forms.CheckboxSelectMultiple,
        label="Accept these departures from usual practice",
    )

    def __init__(self, *args: Any, conditions: list[str] | None = None, **kwargs: Any) -> None:
        """``conditions``: the patient's conditions (the first is the default); all when none."""
        super().__init__(*args, **kwargs)
        catalogue = data.conditions()
        keys = conditions or list(catalogue.conditions)
        field = cast(forms.ChoiceField, self.fields["condition"])
        field.choices = [(key, catalogue.get(key).name) for key in keys]
        field.initial = keys[0]
        profile = data.ldn_profile()
        usual = default_plan(profile)
        self.fields[
            "reassessment_date"
        ].label = (
            f"Reassessment date (default: {DEFAULT_REASSESSMENT_WEEKS} weeks after the first dose)"
        )
        self.fields[
            "reassessment_override"
        ].label = f"Reason, if reassessment falls outside weeks {profile.reassessment_window_weeks}"
        for name, value in {
            "baseline_days": profile.default_baseline_days,
            "start_dose": usual.start_dose.text,
            "step": usual.step_dose.text,
            "interval_days": usual.interval_days,
            "target": usual.target_dose.text,
            "timing": usual.timing.value,
            "success_percent": round(profile.success_relative_fall * 100),
            "success_probability": profile.success_probability,
        }.items():
            self.fields[name].initial = value


class DiaryForm(forms.Form):
    """The daily diary, built from the protocol's metrics."""

    client_key = forms.UUIDField(widget=forms.HiddenInput)
    dose_taken = forms.TypedChoiceField(
        required=False,
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda v: v == "yes",
        empty_value=None,
        widget=forms.RadioSelect,
        label="Did you take your dose?",
    )
    dose_time = forms.TimeField(
        required=False, label="At what time?", widget=forms.TimeInput(attrs={"type": "time"})
    )
    side_effects = forms.MultipleChoiceField(
        required=False,
        choices=[(e.value, e.label) for e in SideEffect],
        widget=forms.CheckboxSelectMultiple,
        label="Side effects today",
    )
    side_effect_other = forms.CharField(required=False, max_length=200, label="Other side effect")
    note = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), label="Note"
    )
    correction_reason = forms.CharField(
        required=False, max_length=200, label="Why are you changing this day?"
    )

    def __init__(self, *args: Any, protocol: Protocol, dosing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metric_fields = []
        for metric in protocol.metrics:
            name = f"score_{metric.key}"
            self.fields[name] = forms.TypedChoiceField(
                choices=[(str(n), str(n)) for n in range(11)],
                coerce=int,
                widget=forms.RadioSelect(attrs={"class": "scale"}),
                label=metric.question,
                help_text=f"0 = {metric.low_anchor}, 10 = {metric.high_anchor}",
            )
            self.metric_fields.append(name)
        if dosing:
            self.fields["dose_taken"].required = True
            self.fields["dose_taken"].error_messages["required"] = "Say whether you took your dose."
        else:
            for name in ("dose_taken", "dose_time"):
                del self.fields[name]
        self.order_fields(["client_key", *self.metric_fields])

    def scores(self) -> dict[str, int]:
        return {name.removeprefix("score_"): self.cleaned_data[name] for name in self.metric_fields}


def fresh_key() -> uuid.UUID:
    return uuid.uuid4()


class DispensingFields(TypedDict):
    dispensed_on: dt.date
    lot_numbers: dict[str, str]
    use_by: dict[str, dt.date | None]


class DispenseForm(forms.Form):
    """The dispensing: the day, and for each item of the prescription (``items``, each capsule
    strength or the liquid) its lot number and use-by date, as fields ``lot_<n>`` and
    ``use_by_<n>``. ``correcting`` adds the reason a recorded dispensing is corrected."""

    dispensed_on = forms.DateField(
        label="Date dispensed", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(
        self, *args: Any, items: list[str], correcting: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        if "dispensed_on" not in self.initial:
            self.fields["dispensed_on"].initial = timezone.localdate().isoformat()
        for n, item in enumerate(items):
            self.fields[f"lot_{n}"] = forms.CharField(
                max_length=60, label=f"Lot number, {item}", required=False
            )
            self.fields[f"use_by_{n}"] = forms.DateField(
                label=f"Use by, {item}",
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )
        if correcting:
            self.fields["reason"] = forms.CharField(
                max_length=200, label="Why is the dispensing corrected?", required=False
            )

    def lots(self) -> DispensingFields:
        """The cleaned fields as the dispensing services take them."""
        c = self.cleaned_data
        return {
            "dispensed_on": c["dispensed_on"],
            "lot_numbers": {item: c.get(f"lot_{n}") or "" for n, item in enumerate(self.items)},
            "use_by": {item: c.get(f"use_by_{n}") for n, item in enumerate(self.items)},
        }


def situation_choices() -> list[tuple[str, str]]:
    """The situations a clinician records, labelled by their sourced rules (the planned
    operation has its own date field)."""
    return [
        (rule.situation.value, rule.label)
        for rule in data.screening_rules().rules.values()
        if rule.situation is not Situation.SURGERY_PLANNED
    ]


class SituationsForm(forms.Form):
    situations = forms.MultipleChoiceField(
        required=False,
        choices=situation_choices,
        widget=forms.CheckboxSelectMultiple,
        label="Conditions and situations",
    )
    surgery_planned = forms.DateField(
        required=False,
        label="Planned operation or procedure (date)",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def medicine_choices() -> list[tuple[str, str]]:
    catalogue = data.medicines()
    entries = sorted(catalogue.medicines.values(), key=lambda m: m.generic.lower())
    return [("", "— choose what it is —")] + [(m.key, m.generic) for m in entries]


class ResolveForm(forms.Form):
    medicine = forms.ChoiceField(required=False, choices=medicine_choices, label="It is")
    not_an_opioid = forms.BooleanField(
        required=False, label="or: I have checked, it is not an opioid"
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if bool(cleaned.get("medicine")) == bool(cleaned.get("not_an_opioid")):
            raise forms.ValidationError(
                "Choose what the medicine is, or confirm it is not an opioid (one of the two)."
            )
        return cleaned


class SignForm(forms.Form):
    final_outcome = forms.ChoiceField(
        choices=[("continue", "Continue LDN"), ("adjust", "Adjust"), ("stop", "Stop LDN")],
        label="Your decision",
    )
    override_reason = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason, if it differs from the suggested decision",
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        label="Your password, to sign",
    )


class VisitForm(forms.Form):
    """The PEG (baseline and reassessment) and the PGIC (reassessment), with their wording from
    ``data/visit_instruments.yaml``. Which answers a visit needs is checked by the core."""

    def __init__(self, *args: Any, kinds: list[VisitKind], clinician: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instruments = data.visit_instruments()
        if clinician:
            self.fields["kind"] = forms.ChoiceField(
                choices=[(k.value, k.value.replace("_", " ").capitalize()) for k in kinds],
                label="Visit",
            )
            self.fields["day"] = forms.DateField(
                label="Date of the visit",
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )
        wants_peg = any(k in (VisitKind.BASELINE, VisitKind.REASSESSMENT) for k in kinds)
        if wants_peg:
            for item in instruments.peg.items:
                self.fields[f"peg_{item.key}"] = forms.TypedChoiceField(
                    required=False,
                    choices=[(str(n), str(n)) for n in range(11)],
                    coerce=int,
                    empty_value=None,
                    widget=forms.RadioSelect(attrs={"class": "scale"}),
                    label=item.question,
                    help_text=f"0 = {item.low_anchor}, 10 = {item.high_anchor}",
                )
        if VisitKind.REASSESSMENT in kinds:
            self.fields["pgic"] = forms.ChoiceField(
                required=False,
                choices=[(p.value, label) for p, label in instruments.pgic.labels.items()],
                widget=forms.RadioSelect,
                label=instruments.pgic.question,
            )
        self.fields["correction_reason"] = forms.CharField(
            required=False, max_length=200, label="If you are changing earlier answers: why?"
        )

    def peg(self) -> dict[str, object] | None:
        values = {k: self.cleaned_data.get(f"peg_{k}") for k in PEG_ITEMS}
        present = {k: v for k, v in values.items() if v is not None}
        return values if present else None
