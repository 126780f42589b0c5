"""The concealed allocation of a blinded n-of-1 trial: drawn, committed to, sealed.

:func:`draw_allocation` shuffles the arms within each block with the operating system's
cryptographically secure generator (``secrets.SystemRandom``): every order of a block is
equally likely, the first block included, and nothing about one trial predicts another. (StudyU
never shuffles its first pair and the CHUV Companion uses ``Math.random()``:
shared/facts/nof1-systems.md §1 and §6a.)

An :class:`Allocation` carries a 256-bit random ``nonce``. Its :attr:`~Allocation.commitment`
is the SHA-256 of its canonical JSON, nonce included, so that the protocol can fix *which*
allocation belongs to it without revealing it: a hash of the bare sequence would not conceal
it, because a trial of 3 pairs has only 8 possible sequences to try.

:func:`seal` encrypts the allocation with AES-256-GCM under a key the caller holds (the core
reads no key file; the key belongs outside the database), with the commitment as associated
data; :func:`unseal` opens it and checks that it still gives its commitment. An allocation's
``repr`` never shows the arms, so it cannot leak through a log line or an error message.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ldntrial.core.canonical import canonical_json, sha256_of
from ldntrial.core.errors import IntegrityFailure, InvalidValue
from ldntrial.core.trial.blinded import Arm, BlindedDesign

FORMAT = "ldntrial.allocation/1"
SEALED_FORMAT = "ldntrial.sealed-allocation/1"
KEY_BYTES = 32


@dataclass(frozen=True)
class Allocation:
    """The arm of every period of one trial, in period order (pharmacy only)."""

    design: BlindedDesign
    arms: tuple[Arm, ...] = field(repr=False)
    nonce: str = field(repr=False)

    def __post_init__(self) -> None:
        size = len(self.design.arms)
        if len(self.arms) != self.design.periods:
            raise InvalidValue(
                f"an allocation of this design has {self.design.periods} periods, "
                f"not {len(self.arms)}"
            )
        for block in range(self.design.pairs):
            chosen = self.arms[block * size : (block + 1) * size]
            if sorted(a.value for a in chosen) != sorted(a.value for a in self.design.arms):
                raise InvalidValue(
                    f"block {block + 1} must hold each arm once "
                    f"({', '.join(a.value for a in self.design.arms)})"
                )
        if len(self.nonce) != 2 * KEY_BYTES or any(c not in "0123456789abcdef" for c in self.nonce):
            raise InvalidValue("an allocation's nonce must be 64 lower-case hex digits")

    def content(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "design": self.design.as_json(),
            "arms": [a.value for a in self.arms],
            "nonce": self.nonce,
        }

    @property
    def commitment(self) -> str:
        """The SHA-256 of the allocation (nonce included): safe to publish in the protocol."""
        return sha256_of(self.content())

    def arm_of_period(self, number: int) -> Arm:
        if not 1 <= number <= len(self.arms):
            raise InvalidValue(f"period {number} does not exist: use 1 to {len(self.arms)}")
        return self.arms[number - 1]

    def kit_arms(self) -> tuple[Arm, ...]:
        """The arm in kit 1, 2, ...: kits are the capsule periods in the order they are taken."""
        return tuple(a for a in self.arms if a.takes_capsules)

    def kit_of_period(self, number: int) -> int | None:
        """The kit taken in a period (None in a period without capsules)."""
        if not self.arm_of_period(number).takes_capsules:
            return None
        return sum(a.takes_capsules for a in self.arms[:number])

    @classmethod
    def from_content(cls, raw: object) -> Allocation:
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise InvalidValue(f"this is not an ldntrial allocation (format {FORMAT} expected)")
        try:
            arms = tuple(Arm(a) for a in raw["arms"])
            return cls(BlindedDesign.from_json(raw["design"]), arms, str(raw["nonce"]))
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidValue(f"the allocation is malformed: {error}") from None


def draw_allocation(
    design: BlindedDesign, *, source: random.Random | None = None, nonce: str | None = None
) -> Allocation:
    """A new allocation: the arms of each block in an order drawn at random.

    ``source`` defaults to ``secrets.SystemRandom()`` (the operating system's CSPRNG); tests that
    need a reproducible allocation pass a seeded ``random.Random`` and a fixed ``nonce``.
    """
    chooser = source or secrets.SystemRandom()
    arms: list[Arm] = []
    for _ in range(design.pairs):
        block = list(design.arms)
        chooser.shuffle(block)
        arms.extend(block)
    return Allocation(design, tuple(arms), nonce or secrets.token_hex(KEY_BYTES))


# Keys and sealing.


def new_key() -> bytes:
    """A fresh 256-bit key for sealing allocations (keep it outside the database)."""
    return secrets.token_bytes(KEY_BYTES)


def key_text(key: bytes) -> str:
    """A key as the text of a key file (URL-safe base64)."""
    _check_key(key)
    return base64.urlsafe_b64encode(key).decode("ascii")


def parse_key(text: str) -> bytes:
    """The key in a key file's text; a clear error when it is not one."""
    try:
        key = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise InvalidValue(
            f"this is not an allocation key: a key file holds {KEY_BYTES} bytes in URL-safe "
            "base64 (make one with `ldntrial pharmacy new-key`)"
        )
    return key


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise InvalidValue(f"an allocation key must be {KEY_BYTES} bytes")


def seal(allocation: Allocation, key: bytes) -> bytes:
    """The allocation encrypted under ``key`` (AES-256-GCM), as the bytes of a sealed file."""
    _check_key(key)
    commitment = allocation.commitment
    nonce = secrets.token_bytes(12)
    body = AESGCM(key).encrypt(nonce, canonical_json(allocation.content()), _context(commitment))
    envelope = {
        "format": SEALED_FORMAT,
        "commitment": commitment,
        "nonce": base64.b64encode(nonce).decode("ascii"),
        "ciphertext": base64.b64encode(body).decode("ascii"),
    }
    return canonical_json(envelope)


def sealed_commitment(sealed: bytes) -> str:
    """The commitment a sealed file declares (readable without the key)."""
    return _envelope(sealed)["commitment"]


def unseal(sealed: bytes, key: bytes, *, expected_commitment: str | None = None) -> Allocation:
    """Open a sealed allocation. Refuses a wrong key, a changed file, or an allocation that is
    not the one the protocol committed to (``expected_commitment``)."""
    _check_key(key)
    envelope = _envelope(sealed)
    commitment = envelope["commitment"]
    if expected_commitment is not None and commitment != expected_commitment:
        raise IntegrityFailure(
            "this sealed allocation is not the one the protocol commits to (commitment "
            f"{commitment[:12]}…, the protocol's {expected_commitment[:12]}…): use the "
            "allocation sealed for this protocol"
        )
    try:
        plain = AESGCM(key).decrypt(
            base64.b64decode(envelope["nonce"]),
            base64.b64decode(envelope["ciphertext"]),
            _context(commitment),
        )
    except (InvalidTag, binascii.Error, ValueError):
        raise IntegrityFailure(
            "the sealed allocation cannot be opened with this key, or it was changed: use the "
            "key it was sealed with and the file as written"
        ) from None
    allocation = Allocation.from_content(json.loads(plain))
    if allocation.commitment != commitment:
        raise IntegrityFailure("the sealed allocation does not match its commitment")
    return allocation


def _context(commitment: str) -> bytes:
    return f"{SEALED_FORMAT}:{commitment}".encode("ascii")


def _envelope(sealed: bytes) -> dict[str, str]:
    try:
        raw = json.loads(sealed)
    except (UnicodeDecodeError, ValueError):
        raw = None
    keys = {"format", "commitment", "nonce", "ciphertext"}
    if (
        not isinstance(raw, dict)
        or raw.get("format") != SEALED_FORMAT
        or set(raw) != keys
        or not all(isinstance(raw[k], str) for k in keys)
    ):
        raise InvalidValue(
            f"this is not a sealed ldntrial allocation (format {SEALED_FORMAT} expected)"
        )
    return {k: str(raw[k]) for k in keys}
