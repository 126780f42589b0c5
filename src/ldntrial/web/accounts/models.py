"""Clinics (the tenants), user accounts with one role each, and invitations."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp.models import TOTPDevice as _OtpTOTPDevice

from ldntrial.web import sealing


class Clinic(models.Model):
    name = models.CharField(max_length=200, unique=True)
    is_demo = models.BooleanField(default=False)
    # Staff pages show moments in this zone (ldntrial.web.when); a patient's days follow the
    # patient's own zone.
    time_zone = models.CharField(max_length=64, default="Europe/London")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    CLINICIAN = "clinician", "Clinician"
    PHARMACIST = "pharmacist", "Pharmacist"
    RESEARCHER = "researcher", "Researcher"
    CLINIC_ADMIN = "clinic_admin", "Clinic admin"
    PATIENT = "patient", "Patient"


STAFF_ROLES = (Role.CLINICIAN, Role.PHARMACIST, Role.RESEARCHER, Role.CLINIC_ADMIN)


class User(AbstractUser):  # type: ignore[django-manager-missing]  # django-stubs cannot see the reverse manager of a field overridden on an abstract base (TOTPDevice.user)
    """An account. Every account belongs to one clinic and has one role."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="users")
    role = models.CharField(max_length=20, choices=Role.choices)
    # A prescriber's professional registration (e.g. "GMC 1234567"), printed on the orders the
    # pharmacy dispenses from; blank until the clinician records it on their profile.
    registration_number = models.CharField(max_length=60, blank=True)

    REQUIRED_FIELDS = ["email"]

    @property
    def is_clinic_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def is_verified(self) -> bool:
        """Replaced per request by django-otp's middleware; False until then."""
        return False

    def has_role(self, *roles: str) -> bool:
        return self.is_active and self.role in roles

    @property
    def display_name(self) -> str:
        """The full name, or the username when no name is recorded."""
        return self.get_full_name() or self.username


class LinkPurpose(models.TextChoices):
    JOIN = "join", "Join the clinic"
    RESET = "reset", "Set a new password (reset by the clinic admin)"


class Invitation(models.Model):
    """A single-use, expiring code that lets a person set a password: to join a clinic, or
    (``purpose=reset``) to sign in again after a clinic admin reset their account.

    Only the code's hash is kept. The link carries the code after ``#``, which browsers never
    send to the server, so it reaches no access log (decision 0011).
    """

    purpose = models.CharField(max_length=10, choices=LinkPurpose.choices, default=LinkPurpose.JOIN)
    user = models.ForeignKey(
        "User", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT)
    role = models.CharField(max_length=20, choices=Role.choices)
    patient = models.ForeignKey(
        "clinic.Patient", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    username = models.CharField(max_length=150)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"invitation {self.pk}"

    @staticmethod
    def new_token() -> tuple[str, str]:
        """A fresh token and the hash stored for it; only the hash is kept."""
        token = secrets.token_urlsafe(32)
        return token, Invitation.hash_token(token)

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def is_usable(self) -> bool:
        return self.used_at is None and timezone.now() < self.expires_at


class TOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """A TOTP authenticator whose secret is sealed (AES-GCM) with the storage key, which lives
    outside the database: a copy of the database alone does not give anyone the codes.

    Verification and the set-up URL are django-otp's own (its TOTPDevice methods), reading the
    secret through ``bin_key``.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sealed_totp_devices"
    )
    sealed_key = models.TextField()
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = "TOTP device"

    @classmethod
    def new(cls, user: User, *, name: str = "authenticator", confirmed: bool = False) -> TOTPDevice:
        device = cls(user=user, name=name, confirmed=confirmed)
        device.set_secret(secrets.token_bytes(20))
        device.save()
        return device

    def _context(self) -> bytes:
        return f"totp:{self.user_id}".encode()

    def set_secret(self, secret: bytes) -> None:
        self.sealed_key = sealing.seal(secret, context=self._context())

    @property
    def bin_key(self) -> bytes:
        return sealing.unseal(self.sealed_key, context=self._context())

    verify_token = _OtpTOTPDevice.verify_token
    get_throttle_factor = _OtpTOTPDevice.get_throttle_factor
    config_url = _OtpTOTPDevice.config_url
    _read_str_from_settings = _OtpTOTPDevice._read_str_from_settings


class Session(AbstractBaseSession):
    """A session row keyed by the SHA-256 of the session key, never the key itself: a copy of
    the database holds no cookie anyone could replay (decision 0010)."""

    session_key = models.CharField(max_length=64, primary_key=True)

    @classmethod
    def get_session_store_class(cls) -> type:
        from ldntrial.web.accounts.sessions import SessionStore

        return SessionStore
