"""Settings from environment variables, through strict parsers that say how to fix a bad value."""

from __future__ import annotations

import os
import re
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
    key_dir: Path
    audit_anchor_file: Path
    audit_anchor_seconds: int
    # The registry (issue 15): smallest cell shown or exported, and this site's id in bundles.
    registry_min_cell: int = 5
    site_id: str = "local"


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
        key_dir=Path(environ.get("LDNTRIAL_KEY_DIR") or data_dir / "keys").resolve(),
        audit_anchor_file=Path(
            environ.get("LDNTRIAL_AUDIT_ANCHOR_FILE") or data_dir / "audit-anchors.jsonl"
        ).resolve(),
        audit_anchor_seconds=parse_int(environ, "LDNTRIAL_AUDIT_ANCHOR_SECONDS", 300, 0, 86400),
        registry_min_cell=parse_int(environ, "LDNTRIAL_REGISTRY_MIN_CELL", 5, 1, 1000),
        site_id=_site_id(environ),
    )


def _site_id(environ: Mapping[str, str]) -> str:
    value = environ.get("LDNTRIAL_SITE_ID", "").strip() or "local"
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,63}", value):
        raise ImproperlyConfigured(
            f"LDNTRIAL_SITE_ID={value!r} is not a site id: use 1 to 64 lower-case letters, "
            "digits, '.', '_' or '-', starting with a letter or digit (e.g. 'clinic-london')"
        )
    return value


PRIVATE_UMASK = 0o077


def private_data_dir(data_dir: Path) -> None:
    """Files made from now on are private (umask 077); the data directory is 0700, and it and
    the database files in it must not be open to other users (a clear error says how to fix)."""
    os.umask(PRIVATE_UMASK)
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise ImproperlyConfigured(
            f"cannot make the data directory {data_dir} ({error.strerror}): set LDNTRIAL_DATA_DIR "
            "to a writable directory"
        ) from None
    for path in (data_dir, *database_files(data_dir), data_dir / "secret_key"):
        _require_private(path)


def database_files(data_dir: Path) -> tuple[Path, ...]:
    name = data_dir / "ldntrial.sqlite3"
    return (name, Path(f"{name}-wal"), Path(f"{name}-shm"))


def _require_private(path: Path) -> None:
    from ldntrial.web.keys import require_private

    require_private(path)


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
            data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_urlsafe(64))
        return path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ImproperlyConfigured(
            f"cannot keep the secret key in {path} ({error.strerror}): set LDNTRIAL_DATA_DIR to a "
            "writable directory or DJANGO_SECRET_KEY"
        ) from None
