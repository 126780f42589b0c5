"""Research pseudonyms and per-patient date shifts, by a keyed hash.

The key is the first key of the ``pseudonym`` ring (``ldntrial.web.keys``: a file outside the
database, mode 0600, or ``$LDNTRIAL_PSEUDONYM_KEYS``). The first key, not the current one, so
that adding a key never changes a pseudonym: rotating it would re-pseudonymise every export.
Without the key a pseudonym cannot be traced back to a record, and a shifted date cannot be
shifted back. The hash is of the site's own clinic and record ids, so a patient seen at two
sites has two pseudonyms (docs/decisions/0030).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from ldntrial.web import keys

PSEUDONYM_HEX = 20  # 80 bits: collisions are negligible at any registry size
MAX_SHIFT_DAYS = 182


def _digest(message: str) -> bytes:
    ring = keys.ring(keys.Purpose.PSEUDONYM)
    return hmac.new(ring.keys[0][1], message.encode(), hashlib.sha256).digest()


def patient_key(*, clinic_id: int, patient_id: int) -> str:
    """The patient's research pseudonym: ``p-`` and 20 hex digits of a keyed hash."""
    return "p-" + _digest(f"patient|{clinic_id}|{patient_id}").hex()[:PSEUDONYM_HEX]


def date_shift(*, clinic_id: int, patient_id: int) -> dt.timedelta:
    """The patient's date shift: 1 to 182 days, earlier or later, the same for all their dates
    (so intervals between their dates are kept) and never zero."""
    number = int.from_bytes(_digest(f"date-shift|{clinic_id}|{patient_id}")[:4], "big")
    days = number % MAX_SHIFT_DAYS + 1
    return dt.timedelta(days=days if number & (1 << 31) else -days)
