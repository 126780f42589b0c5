from __future__ import annotations

from django import forms

from ldntrial.web.accounts.models import STAFF_ROLES, Role


class TokenForm(forms.Form):
    token = forms.CharField(
        label="6-digit code from your authenticator app",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}"}
        ),
    )


class SetPasswordForm(forms.Form):
    password = forms.CharField(
        label="Choose a password (at least 12 characters)",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label="The same password again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("password") and cleaned.get("password") != cleaned.get("password_again"):
            self.add_error("password_again", "The two passwords differ: type the same one twice.")
        return cleaned


class JoinCodeForm(forms.Form):
    code = forms.CharField(
        label="Invitation code (filled in from your link)",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class InviteStaffForm(forms.Form):
    username = forms.CharField(max_length=150, label="Username for the new account")
    role = forms.ChoiceField(
        choices=[(r.value, r.label) for r in STAFF_ROLES if r != Role.CLINIC_ADMIN]
    )


class ProfileForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False, label="First name")
    last_name = forms.CharField(max_length=150, required=False, label="Last name")
    registration_number = forms.CharField(
        max_length=60,
        required=False,
        label="Professional registration",
        help_text=(
            "The registration printed on the prescriptions you issue (e.g. 'GMC 1234567'). "
            "Orders show 'not recorded' until you enter it."
        ),
    )
