"""Account writes: the first admin, invitations and accepting them. Each is audited."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ldntrial.core.errors import FieldErrors, InvalidValue
from ldntrial.web.accounts.models import STAFF_ROLES, Clinic, Invitation, Role, User
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
        Invitation.objects.filter(patient=patient, used_at=None).exclude(patient=None).update(
            expires_at=timezone.now()
        )
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
            object_type="accounts.Invitation",
            object_id=invitation.pk,
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


def accept_invitation(*, token: str, password: str) -> User:
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(token_hash=Invitation.hash_token(token))
            .first()
        )
        if invitation is None or not invitation.is_usable():
            raise InvalidValue(
                "this invitation link is not valid any more: ask your clinic for a new one"
            )
        if User.objects.filter(username=invitation.username).exists():
            raise InvalidValue("this account already exists: sign in instead")
        user = User(username=invitation.username, clinic=invitation.clinic, role=invitation.role)
        check_password(password, user)
        user.set_password(password)
        user.save()
        invitation.used_at = timezone.now()
        invitation.save(update_fields=["used_at"])
        if invitation.patient is not None:
            patient = Patient.objects.select_for_update().get(pk=invitation.patient.pk)
            patient.user = user
            patient.save(update_fields=["user"])
        record(
            by=user,
            action=Action.CREATE,
            instance=user,
            clinic_id=invitation.clinic_id,
            patient_id=invitation.patient_id,
            after=_user_snapshot(user),
            reason="invitation accepted",
        )
    return user
