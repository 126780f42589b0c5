"""Key rings kept outside the database: one per purpose, each key with an id, rotatable.

A ring comes from ``$LDNTRIAL_<PURPOSE>_KEYS`` (``id:base64url,id:base64url``, the last one
current) or from the file ``<key dir>/<purpose>.keys`` (one ``id base64url`` a line, the last
one current), which is made on first use with mode 0600 in a 0700 directory. Rotating appends a
key; older keys stay, so whatever they signed or sealed still verifies or opens.

Purposes: ``audit`` (the MAC on each audit event and on the anchored chain heads), ``signing``
(reassessment e-signatures), ``storage`` (secrets sealed at rest: TOTP keys), ``pseudonym`` (the
keyed hash of research pseudonyms and per-patient date shifts; its first key is used, so
pseudonyms stay stable), ``federation`` (the HMAC on this site's summary bundles) and
``allocation`` (the sealed allocations of blinded trials, which only the pharmacy opens). None is
Django's SECRET_KEY, which can be rotated on its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class Purpose(StrEnum):
    AUDIT = "audit"
    SIGNING = "signing"
    STORAGE = "storage"
    PSEUDONYM = "pseudonym"
    FEDERATION = "federation"
    ALLOCATION = "allocation"


KEY_BYTES = 32


@dataclass(frozen=True)
class KeyRing:
    purpose: Purpose
    keys: tuple[tuple[str, bytes], ...]  # oldest first; the last is current
    source: str

    @property
    def current_id(self) -> str:
        return self.keys[-1][0]

    @property
    def current(self) -> bytes:
        return self.keys[-1][1]

    def get(self, key_id: str) -> bytes | None:
        return dict(self.keys).get(key_id)

    def mac(self, message: bytes, key_id: str | None = None) -> tuple[str, str]:
        """HMAC-SHA256 of ``message`` with the current key (or ``key_id``): (key id, hex)."""
        kid = key_id or self.current_id
        key = self.get(kid)
        if key is None:
            raise KeyError(kid)
        return kid, hmac.new(key, message, hashlib.sha256).hexdigest()

    def check(self, message: bytes, key_id: str, mac: str) -> bool | None:
        """True or False; None when the key id is not in this ring."""
        key = self.get(key_id)
        if key is None:
            return None
        expected = hmac.new(key, message, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, mac)


def key_dir() -> Path:
    return Path(settings.LDNTRIAL_KEY_DIR)


def _env_name(purpose: Purpose) -> str:
    return f"LDNTRIAL_{purpose.value.upper()}_KEYS"


def ring(purpose: Purpose) -> KeyRing:
    """The purpose's key ring (made on first use when it comes from a file)."""
    given = os.environ.get(_env_name(purpose))
    if given:
        return _parse_env(purpose, given)
    path = key_dir() / f"{purpose.value}.keys"
    if not path.exists():
        _append_new_key(path)
    require_private(path)
    return _read_file(purpose, str(path), path.stat().st_mtime_ns)


def rotate(purpose: Purpose) -> str:
    """Add a new current key to the file-held ring; returns its id."""
    if os.environ.get(_env_name(purpose)):
        raise ImproperlyConfigured(
            f"the {purpose.value} keys come from ${_env_name(purpose)}: add a new id:key pair at "
            "its end yourself (keep the old ones so older records still verify)"
        )
    path = key_dir() / f"{purpose.value}.keys"
    if not path.exists():
        _append_new_key(path)
    return _append_new_key(path)


def _append_new_key(path: Path) -> str:
    directory = path.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    require_private(directory)
    existing = path.read_text(encoding="ascii").split() if path.exists() else []
    number = len(existing) // 2 + 1
    key_id = f"k{number}-{secrets.token_hex(3)}"
    encoded = base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "a", encoding="ascii") as handle:
        handle.write(f"{key_id} {encoded}\n")
    return key_id


def _decode(purpose: Purpose, key_id: str, text: str, where: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        key = b""
    if len(key) < 16 or not key_id or any(c in key_id for c in ":, "):
        raise ImproperlyConfigured(
            f"{where}: the {purpose.value} key {key_id!r} is not an id and a base64url key of at "
            "least 16 bytes; make one with: python -c 'import base64, secrets; "
            "print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())'"
        )
    return key


def _parse_env(purpose: Purpose, given: str) -> KeyRing:
    where = f"${_env_name(purpose)}"
    keys = []
    for item in given.split(","):
        key_id, _, text = item.strip().partition(":")
        keys.append((key_id, _decode(purpose, key_id, text, where)))
    return KeyRing(purpose, tuple(keys), where)


@lru_cache(maxsize=16)
def _read_file(purpose: Purpose, path: str, mtime_ns: int) -> KeyRing:
    keys = []
    for number, line in enumerate(Path(path).read_text(encoding="ascii").splitlines(), 1):
        if not line.strip():
            continue
        key_id, _, text = line.strip().partition(" ")
        keys.append((key_id, _decode(purpose, key_id, text.strip(), f"{path} line {number}")))
    if not keys:
        raise ImproperlyConfigured(f"{path} holds no key: remove the empty file to make a new one")
    return KeyRing(purpose, tuple(keys), path)


def require_private(path: Path) -> None:
    """Refuse a file or directory that other users may read or write (fix-it message)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        wanted = "700" if path.is_dir() else "600"
        raise ImproperlyConfigured(
            f"{path} is open to other users (mode {mode:o}): it holds patient data or keys. "
            f"Fix it with: chmod {wanted} {path}"
        )
