"""Clinics (the tenants), user accounts with one role each, and invitations."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class Clinic(models.Model):
    name = models.CharField(max_length=200, unique=True)
    is_demo = models.BooleanField(default=False)
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


class User(AbstractUser):
    """An account. Every account belongs to one clinic and has one role."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="users")
    role = models.CharField(max_length=20, choices=Role.choices)

    REQUIRED_FIELDS = ["email"]

    @property
    def is_clinic_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def is_verified(self) -> bool:
        """Replaced per request by django-otp's middleware; False until then."""
        return False

    def has_role(self, *roles: str) -> bool:
        return self.is_active and self.role in roles


class Invitation(models.Model):
    """A single-use, expiring link that lets a person set a password and join a clinic."""

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
