"""Settings from environment variables, through strict parsers that say how to fix a bad value."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class WebConfig:
    data_dir: Path
    database_url: str | None
    secret_key: str
    production: bool
    debug: bool
    allowed_hosts: tuple[str, ...]
    staff_idle_minutes: int
    patient_session_days: int


def parse_bool(environ: Mapping[str, str], name: str) -> bool:
    value = environ.get(name, "0").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a yes/no value: set it to 1 or 0")


def parse_int(environ: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = environ.get(name)
    if text is None or text.strip() == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={text!r} is not a whole number ({low}–{high})"
        ) from None
    if not low <= value <= high:
        raise ImproperlyConfigured(f"{name}={value} is out of range: use {low} to {high}")
    return value


def load(environ: Mapping[str, str], cwd: Path) -> WebConfig:
    data_dir = Path(environ.get("LDNTRIAL_DATA_DIR") or cwd / "data").resolve()
    production = parse_bool(environ, "LDNTRIAL_PRODUCTION")
    debug = parse_bool(environ, "LDNTRIAL_DEBUG")
    if production and debug:
        raise ImproperlyConfigured("LDNTRIAL_DEBUG=1 is refused with LDNTRIAL_PRODUCTION=1")
    hosts = tuple(
        h.strip()
        for h in environ.get("LDNTRIAL_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
        if h.strip()
    )
    if not hosts:
        raise ImproperlyConfigured("LDNTRIAL_ALLOWED_HOSTS is empty: list the host names served")
    return WebConfig(
        data_dir=data_dir,
        database_url=environ.get("DATABASE_URL") or None,
        secret_key=_secret_key(environ, data_dir),
        production=production,
        debug=debug,
        allowed_hosts=hosts,
        staff_idle_minutes=parse_int(environ, "LDNTRIAL_STAFF_IDLE_MINUTES", 30, 1, 24 * 60),
        patient_session_days=parse_int(environ, "LDNTRIAL_PATIENT_SESSION_DAYS", 14, 1, 90),
    )


def _secret_key(environ: Mapping[str, str], data_dir: Path) -> str:
    """$DJANGO_SECRET_KEY, or a random key made once per installation in the data directory."""
    given = environ.get("DJANGO_SECRET_KEY")
    if given:
        if len(given) < 50:
            raise ImproperlyConfigured(
                "DJANGO_SECRET_KEY is shorter than 50 characters: generate one with "
                "python -c 'import secrets; print(secrets.token_urlsafe(64))'"
            )
        return given
    path = data_dir / "secret_key"
    try:
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(64), encoding="utf-8")
            path.chmod(0o600)
        return path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ImproperlyConfigured(
            f"cannot keep the secret key in {path} ({error.strerror}): set LDNTRIAL_DATA_DIR to a "
            "writable directory or DJANGO_SECRET_KEY"
        ) from None
