"""Signing in and out, the second factor, invitations, and the clinic admin's staff page."""

from __future__ import annotations

import base64
import io

import segno
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from ldntrial.core.errors import InvalidValue
from ldntrial.web.access import role_required
from ldntrial.web.accounts import services
from ldntrial.web.accounts.forms import InviteStaffForm, SetPasswordForm, TokenForm
from ldntrial.web.accounts.models import Invitation, Role, User
from ldntrial.web.form_errors import show_errors

HOME_BY_ROLE = {
    Role.CLINICIAN: "clinic:dashboard",
    Role.PHARMACIST: "pharmacy:queue",
    Role.RESEARCHER: "research:summary",
    Role.CLINIC_ADMIN: "staff",
    Role.PATIENT: "patient:today",
}


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    return redirect(HOME_BY_ROLE[Role(user.role)])


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up (first time) or enter the second factor. Staff only; patients go home."""
    user = request.user
    assert isinstance(user, User)
    if not user.is_clinic_staff or user.is_verified():
        return redirect("home")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    setup = device is None
    if setup:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            if setup:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect(request.GET.get("next") or "home")
        form.add_error(
            "token", "That code is not right: check the clock on your phone and try again."
        )
    context = {"form": form, "setup": setup}
    if setup:
        key = base64.b32encode(device.bin_key).decode()
        buffer = io.BytesIO()
        segno.make(device.config_url, error="m").save(buffer, kind="svg", scale=4, xmldecl=False)
        context |= {"key": key, "qr_svg": buffer.getvalue().decode()}
    return render(request, "accounts/two_factor.html", context)


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.find_invitation(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accept_invitation(token=token, password=form.cleaned_data["password"])
        except InvalidValue as error:
            show_errors(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("home")
    return render(
        request, "accounts/accept_invitation.html", {"form": form, "invitation": invitation}
    )


@role_required(Role.CLINIC_ADMIN)
@require_http_methods(["GET", "POST"])
def staff(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = InviteStaffForm(request.POST or None)
    link = None
    if request.method == "POST" and form.is_valid():
        try:
            _, token = services.invite(
                by=user, role=form.cleaned_data["role"], username=form.cleaned_data["username"]
            )
        except InvalidValue as error:
            show_errors(form, error)
        else:
            link = request.build_absolute_uri(reverse("accept_invitation", args=[token]))
            form = InviteStaffForm()
    members = User.objects.filter(clinic=user.clinic).order_by("role", "username")
    pending = Invitation.objects.filter(clinic=user.clinic, used_at=None).exclude(role=Role.PATIENT)
    return render(
        request,
        "accounts/staff.html",
        {"form": form, "members": members, "pending": pending, "link": link},
    )
