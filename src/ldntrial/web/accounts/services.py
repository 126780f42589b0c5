"""Account writes: the first admin, invitations and accepting them. Each is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from ldntrial.core.errors import FieldErrors, InvalidValue
from ldntrial.web.accounts.models import (
    STAFF_ROLES,
    Clinic,
    Invitation,
    LinkPurpose,
    Role,
    TOTPDevice,
    User,
)
from ldntrial.web.audit.chain import record
from ldntrial.web.audit.models import Action
from ldntrial.web.clinic.models import Patient

INVITATION_DAYS = 7


def _user_snapshot(user: User) -> dict[str, object]:
    return {"id": user.pk, "username": user.username, "role": user.role, "clinic": user.clinic_id}


def check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise FieldErrors({"password": " ".join(error.messages)}) from None


def create_admin(*, clinic_name: str, username: str, email: str, password: str) -> User:
    """The first account of a clinic: its admin. Creates the clinic when it is new."""
    if User.objects.filter(username=username).exists():
        raise InvalidValue(f"the username {username!r} is taken: choose another")
    probe = User(username=username, email=email)
    check_password(password, probe)
    with transaction.atomic():
        clinic, _ = Clinic.objects.get_or_create(name=clinic_name)
        user = User.objects.create_user(
            username=username, email=email, password=password, clinic=clinic, role=Role.CLINIC_ADMIN
        )
        record(
            by="ldntrial createadmin",
            action=Action.CREATE,
            instance=user,
            clinic_id=clinic.pk,
            after=_user_snapshot(user),
        )
    return user


def patient_username(patient: Patient) -> str:
    """A patient's account name: the pseudonymous label, made a username, with the clinic's id
    so that two clinics' patients FM-0001 never clash (it names no one)."""
    return f"{slugify(patient.label)}-{patient.clinic_id}"


def invite_patient(*, by: User, patient: Patient) -> tuple[Invitation, str, str]:
    """A patient's invitation: the invitation, its token (shown once) and the username."""
    username = patient_username(patient)
    invitation, token = invite(by=by, role=Role.PATIENT, username=username, patient=patient)
    return invitation, token, username


def invite(
    *,
    by: User,
    role: str,
    username: str,
    patient: Patient | None = None,
    days: int = INVITATION_DAYS,
) -> tuple[Invitation, str]:
    """A single-use invitation; returns it with the token to put in the link (shown once)."""
    if role == Role.PATIENT and patient is None:
        raise InvalidValue("a patient invitation must name the patient")
    if role != Role.PATIENT and role not in STAFF_ROLES:
        raise InvalidValue(f"{role!r} is not a role")
    if patient is not None and patient.user_id is not None:
        raise InvalidValue("this patient already has an account")
    if User.objects.filter(username=username).exists():
        raise FieldErrors({"username": f"the username {username!r} is taken: choose another"})
    token, token_hash = Invitation.new_token()
    with transaction.atomic():
        superseded = list(
            Invitation.objects.select_for_update()
            .filter(patient=patient, used_at=None)
            .exclude(patient=None)
        )
        for old in superseded:
            old.expires_at = timezone.now()
            old.save(update_fields=["expires_at"])
        invitation = Invitation.objects.create(
            clinic=by.clinic,
            role=role,
            patient=patient,
            username=username,
            token_hash=token_hash,
            created_by=by,
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
        record(
            by=by,
            action=Action.CREATE,
            instance=invitation,
            rows=superseded,
            clinic_id=by.clinic_id,
            patient_id=patient.pk if patient else None,
            after={
                "role": role,
                "username": username,
                "expires_at": invitation.expires_at.isoformat(),
            },
        )
    return invitation, token


def find_invitation(token: str) -> Invitation | None:
    invitation = Invitation.objects.filter(token_hash=Invitation.hash_token(token)).first()
    return invitation if invitation is not None and invitation.is_usable() else None


INVALID_LINK = "this invitation code is not valid any more: ask your clinic for a new one"


def accept_invitation(*, token: str, password: str) -> User:
    """Use an invitation or reset code, once: it makes (or, for a reset, gives back) exactly the
    account it was issued for. The first use is audited; the code is spent with it."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(token_hash=Invitation.hash_token(token))
            .first()
        )
        if invitation is None or not invitation.is_usable():
            raise InvalidValue(INVALID_LINK)
        if invitation.purpose == LinkPurpose.RESET:
            if invitation.user_id is None:  # a reset code always names its account
                raise InvalidValue(INVALID_LINK)
            user = User.objects.select_for_update().get(pk=invitation.user_id)
            before = _user_snapshot(user)
            check_password(password, user)
            user.set_password(password)
            user.save(update_fields=["password"])
            action, reason = Action.UPDATE, "reset code used: new password set"
        else:
            if User.objects.filter(username=invitation.username).exists():
                raise InvalidValue("this account already exists: sign in instead")
            user = User(
                username=invitation.username, clinic=invitation.clinic, role=invitation.role
            )
            check_password(password, user)
            user.set_password(password)
            user.save()
            before = None
            action, reason = Action.CREATE, "invitation accepted (its first and only use)"
        invitation.used_at = timezone.now()
        invitation.save(update_fields=["used_at"])
        touched: list[Any] = [invitation]
        if invitation.patient is not None:
            patient = Patient.objects.select_for_update().get(pk=invitation.patient.pk)
            patient.user = user
            patient.save(update_fields=["user"])
            touched.append(patient)
        record(
            by=user,
            action=action,
            instance=user,
            rows=touched,
            clinic_id=invitation.clinic_id,
            patient_id=invitation.patient_id,
            before=before,
            after=_user_snapshot(user),
            reason=reason,
        )
    return user


def retire_exposed_code(token: str) -> None:
    """Spend a code that reached a server log (an old-style link): it can no longer be used."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(token_hash=Invitation.hash_token(token))
            .first()
        )
        if invitation is None or not invitation.is_usable():
            return
        invitation.expires_at = timezone.now()
        invitation.save(update_fields=["expires_at"])
        record(
            by="system",
            action=Action.UPDATE,
            instance=invitation,
            clinic_id=invitation.clinic_id,
            patient_id=invitation.patient_id,
            reason="invitation code sent in a URL path (logged): retired",
        )


def create_account(
    *, by: User | str, clinic: Clinic, username: str, role: str, password: str, email: str = ""
) -> User:
    """An account made directly (the demo clinic, a command), audited like any other."""
    with transaction.atomic():
        user = User.objects.create_user(
            username=username, password=password, clinic=clinic, role=role, email=email
        )
        record(
            by=by,
            action=Action.CREATE,
            instance=user,
            clinic_id=clinic.pk,
            after=_user_snapshot(user),
        )
    return user


def link_patient_account(*, by: User | str, patient: Patient, user: User) -> Patient:
    with transaction.atomic():
        patient = Patient.objects.select_for_update().get(pk=patient.pk)
        if patient.user_id is not None:
            raise InvalidValue("this patient already has an account")
        patient.user = user
        patient.save(update_fields=["user"])
        record(
            by=by,
            action=Action.UPDATE,
            instance=patient,
            clinic_id=patient.clinic_id,
            patient_id=patient.pk,
            after={"user": user.pk},
            reason="patient account linked",
        )
    return patient


def _staff_member(by: User, member_id: int) -> User:
    """A staff account of the admin's own clinic, other than the admin's own."""
    member = User.objects.filter(pk=member_id, clinic=by.clinic_id).first()
    if member is None or not member.is_clinic_staff:
        raise InvalidValue("no such staff account in your clinic")
    if member.pk == by.pk:
        raise InvalidValue("you cannot change your own account here: ask another clinic admin")
    return member


def set_active(*, by: User, member_id: int, active: bool) -> User:
    """Deactivate (signs them out everywhere) or reactivate a staff member."""
    member = _staff_member(by, member_id)
    with transaction.atomic():
        member = User.objects.select_for_update().get(pk=member.pk)
        if member.is_active == active:
            raise InvalidValue(
                "this account is active already" if active else "this account is inactive already"
            )
        member.is_active = active
        member.save(update_fields=["is_active"])
        record(
            by=by,
            action=Action.REACTIVATE if active else Action.DEACTIVATE,
            instance=member,
            clinic_id=member.clinic_id,
            after=_user_snapshot(member) | {"is_active": active},
        )
    return member


def reset_credentials(*, by: User, member_id: int, days: int = 2) -> tuple[Invitation, str]:
    """Reset a staff member's password and second factor: both stop working at once, and the
    member gets a new single-use code to set a password; they enrol a new authenticator at
    their next sign-in. Returns the code's invitation and the code (shown once)."""
    member = _staff_member(by, member_id)
    token, token_hash = Invitation.new_token()
    with transaction.atomic():
        member = User.objects.select_for_update().get(pk=member.pk)
        member.set_unusable_password()
        member.save(update_fields=["password"])
        removed = TOTPDevice.objects.filter(user=member).delete()[0]
        pending = list(
            Invitation.objects.select_for_update().filter(
                user=member, used_at=None, purpose=LinkPurpose.RESET
            )
        )
        for old in pending:
            old.expires_at = timezone.now()
            old.save(update_fields=["expires_at"])
        invitation = Invitation.objects.create(
            purpose=LinkPurpose.RESET,
            user=member,
            clinic=member.clinic,
            role=member.role,
            username=member.username,
            token_hash=token_hash,
            created_by=by,
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
        record(
            by=by,
            action=Action.CREDENTIALS_RESET,
            instance=member,
            rows=[invitation, *pending],
            clinic_id=member.clinic_id,
            after=_user_snapshot(member) | {"authenticators_removed": removed},
            reason="password and second factor reset by the clinic admin",
        )
    return invitation, token


def update_profile(*, by: User, first_name: str, last_name: str, registration_number: str) -> User:
    """A person's own name and professional registration (printed on the orders they issue)."""
    values = {
        "first_name": " ".join(first_name.split()),
        "last_name": " ".join(last_name.split()),
        "registration_number": " ".join(registration_number.split()),
    }
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=by.pk)
        before = {key: getattr(user, key) for key in values}
        for key, value in values.items():
            setattr(user, key, value)
        user.save(update_fields=list(values))
        record(
            by=user,
            action=Action.UPDATE,
            instance=user,
            clinic_id=user.clinic_id,
            before=_user_snapshot(user) | before,
            after=_user_snapshot(user) | values,
            reason="profile updated",
        )
    return user
