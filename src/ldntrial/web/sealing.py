"""Secrets sealed at rest with AES-GCM under the storage key ring (kept outside the database).

A sealed value reads ``v1.<key id>.<base64url(nonce + ciphertext)>``. The ``context`` (e.g. the
owning user's id) is authenticated with it, so a sealed value copied onto another row does not
open. Values sealed with an older key still open after the ring is rotated; ``reseal`` moves one
to the current key.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ldntrial.web import keys

PREFIX = "v1"


class SealBroken(Exception):
    """A sealed value that does not open: tampered with, moved, or its key is gone."""


def seal(secret: bytes, *, context: bytes) -> str:
    ring = keys.ring(keys.Purpose.STORAGE)
    nonce = secrets.token_bytes(12)
    body = AESGCM(ring.current).encrypt(nonce, secret, context)
    encoded = base64.urlsafe_b64encode(nonce + body).decode()
    return f"{PREFIX}.{ring.current_id}.{encoded}"


def unseal(sealed: str, *, context: bytes) -> bytes:
    prefix, _, rest = sealed.partition(".")
    key_id, _, encoded = rest.partition(".")
    key = keys.ring(keys.Purpose.STORAGE).get(key_id)
    if prefix != PREFIX or key is None:
        raise SealBroken(f"sealed with an unknown storage key {key_id!r}")
    raw = base64.urlsafe_b64decode(encoded.encode())
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], context)
    except InvalidTag:
        raise SealBroken("the sealed value does not open: altered or moved") from None


def key_id_of(sealed: str) -> str:
    return sealed.split(".")[1] if sealed.count(".") >= 2 else ""


def reseal(sealed: str, *, context: bytes) -> str:
    return seal(unseal(sealed, context=context), context=context)
