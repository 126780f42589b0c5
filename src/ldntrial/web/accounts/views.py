"""Signing in and out, the second factor, invitations, and the clinic admin's staff page."""

from __future__ import annotations

import base64
import io

import segno
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_safe
from django_otp import login as otp_login

from ldntrial.core.errors import InvalidValue
from ldntrial.web.access import current_user, role_required
from ldntrial.web.accounts import interrupted, security, services
from ldntrial.web.accounts.forms import (
    InviteStaffForm,
    JoinCodeForm,
    ProfileForm,
    SetPasswordForm,
    TokenForm,
)
from ldntrial.web.accounts.middleware import keep_alive, seconds_left
from ldntrial.web.accounts.models import (
    STAFF_ROLES,
    Invitation,
    LinkPurpose,
    Role,
    TOTPDevice,
    User,
)
from ldntrial.web.form_errors import show_errors

HOME_BY_ROLE = {
    Role.CLINICIAN: "clinic:dashboard",
    Role.PHARMACIST: "pharmacy:queue",
    Role.RESEARCHER: "research:summary",
    Role.CLINIC_ADMIN: "staff",
    Role.PATIENT: "patient:today",
}


def safe_next(request: HttpRequest, default: str = "home") -> str:
    """The ``next`` target of a request if it stays on this site; otherwise ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


@require_http_methods(["GET", "POST"])
def session_status(request: HttpRequest) -> JsonResponse:
    """How long the session has left (GET, which does not restart the idle clock), or keep it
    (POST: "Stay signed in"). Read by the sign-out warning's script."""
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False, "seconds_left": 0})
    seconds = keep_alive(request) if request.method == "POST" else seconds_left(request)
    return JsonResponse({"signed_in": True, "seconds_left": seconds})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused by the CSRF check: say what happened and how to continue. ``reason`` is
    Django's technical one; it is not shown."""
    back = interrupted.return_path(request) if request.headers.get("Referer") else ""
    return render(request, "csrf_failure.html", {"back": back}, status=403)


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    return redirect(HOME_BY_ROLE[Role(user.role)])


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up (first time) or enter the second factor. Staff only; patients go home."""
    user = current_user(request)
    if not user.is_clinic_staff or user.is_verified():
        return redirect("home")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    setup = device is None
    if setup:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.new(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            if setup:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                security.factor_enrolled(user, device)
            otp_login(request, device)
            # A privilege step: the session gets a new key (the old one is worthless now).
            request.session.cycle_key()
            return redirect(safe_next(request))
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


def invitation_link(request: HttpRequest, token: str) -> str:
    """The link to send: the code rides after ``#``, which browsers never send to a server, so
    it is in no access log and no Referer (decision 0011). The page's script moves it into the
    form, which POSTs it."""
    return request.build_absolute_uri(reverse("join")) + "#" + token


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    """Step 1: the code (from the link's fragment, or typed); step 2: the new password."""
    code_form = JoinCodeForm(request.POST or None)
    if request.method != "POST" or not code_form.is_valid():
        return render(request, "accounts/join_code.html", {"form": code_form})
    token = code_form.cleaned_data["code"].strip()
    invitation = services.find_invitation(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = SetPasswordForm(request.POST if "password" in request.POST else None)
    if form.is_bound and form.is_valid():
        try:
            user = services.accept_invitation(token=token, password=form.cleaned_data["password"])
        except InvalidValue as error:
            show_errors(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("home")
    return render(
        request,
        "accounts/accept_invitation.html",
        {"form": form, "invitation": invitation, "code": token},
    )


@require_safe
def retired_join_link(request: HttpRequest, token: str) -> HttpResponse:
    """Links of the old form carried the code in the path, which access logs keep: such a code
    is spent on sight, and the person asks for a new invitation."""
    services.retire_exposed_code(token)
    return render(request, "accounts/invitation_invalid.html", status=404)


@role_required(*STAFF_ROLES)
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """A staff member's own name and (for prescribers) professional registration."""
    user = current_user(request)
    form = ProfileForm(
        request.POST or None,
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "registration_number": user.registration_number,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.update_profile(by=user, **form.cleaned_data)
        messages.success(request, "Your profile is saved.")
        return redirect("profile")
    status = 400 if form.is_bound else 200
    return render(request, "accounts/profile.html", {"form": form}, status=status)


STAFF_ACTIONS = ("deactivate", "reactivate", "reset")


@role_required(Role.CLINIC_ADMIN)
@require_http_methods(["GET", "POST"])
def staff(request: HttpRequest) -> HttpResponse:
    """The clinic admin's staff page: invite, deactivate or reactivate, reset credentials."""
    user = current_user(request)
    action = request.POST.get("action", "")
    inviting = request.method == "POST" and action not in STAFF_ACTIONS
    form = InviteStaffForm(request.POST if inviting else None)
    link = None
    link_kind = "invitation"
    action_error = ""
    if request.method == "POST" and action in STAFF_ACTIONS:
        try:
            member_id = int(request.POST.get("member", ""))
        except ValueError:
            member_id = 0
        try:
            if action == "reset":
                _, token = services.reset_credentials(by=user, member_id=member_id)
                link, link_kind = invitation_link(request, token), "reset"
            else:
                services.set_active(by=user, member_id=member_id, active=action == "reactivate")
                return redirect("staff")
        except InvalidValue as error:
            action_error = str(error)
    elif inviting and form.is_valid():
        try:
            _, token = services.invite(
                by=user, role=form.cleaned_data["role"], username=form.cleaned_data["username"]
            )
        except InvalidValue as error:
            show_errors(form, error)
        else:
            link = invitation_link(request, token)
            form = InviteStaffForm()
    members = User.objects.filter(clinic=user.clinic).order_by("role", "username")
    pending = Invitation.objects.filter(
        clinic=user.clinic, used_at=None, purpose=LinkPurpose.JOIN
    ).exclude(role=Role.PATIENT)
    return render(
        request,
        "accounts/staff.html",
        {
            "form": form,
            "members": members,
            "pending": pending,
            "link": link,
            "link_kind": link_kind,
            "action_error": action_error,
        },
    )
