"""The pharmacy's form for one kit of a blinded trial handed over."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

from django import forms
from django.utils import timezone

from ldntrial.web.clinic.kits import LOT_LENGTH

DATE = {"type": "date"}


class KitFields(TypedDict):
    kit: int
    lot: str
    use_by: dt.date | None
    dispensed_on: dt.date


class KitDispenseForm(forms.Form):
    """One kit's dispensing: which kit (hidden), its lot, its use-by date and the day. The
    rules (dates, a use-by date covering the kit's last day, a lot of its own) are the core's;
    the form only reads the values. ``kit`` numbers the fields' ids, so that every kit's form
    can be on one page."""

    kit = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=999)
    lot = forms.CharField(
        max_length=LOT_LENGTH,
        label="Lot number",
        required=False,
        help_text="This kit's own lot number: the care team sees it, so never one lot for "
        "several kits.",
    )
    use_by = forms.DateField(
        label="Use by",
        required=False,
        widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
    )
    dispensed_on = forms.DateField(
        label="Date dispensed", widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, kit: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"kit{kit or 'x'}_%s")
        super().__init__(*args, **kwargs)
        if kit is not None:
            self.fields["kit"].initial = kit
        self.fields["dispensed_on"].initial = timezone.localdate().isoformat()

    def values(self) -> KitFields:
        c = self.cleaned_data
        return {
            "kit": c["kit"],
            "lot": c.get("lot") or "",
            "use_by": c.get("use_by"),
            "dispensed_on": c["dispensed_on"],
        }
