"""Canonical JSON: one byte string for one content, for every fingerprint, hash and signature.

Keys sorted, no spaces, UTF-8, no NaN or infinity. The protocol's fingerprint, the audit
events' hashes, the signed reassessment content, the diary hashes and the registry's site
bundles are all computed over this form.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any


def canonical_json(
    content: Any, *, default: Callable[[Any], Any] | None = None, ascii_only: bool = False
) -> bytes:
    """``content`` as canonical JSON bytes. ``default`` turns other values into JSON ones;
    ``ascii_only`` escapes non-ASCII text (only for digests stored in that form before)."""
    return json.dumps(
        content,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=ascii_only,
        allow_nan=False,
        default=default,
    ).encode("utf-8")


def sha256_of(content: Any, **options: Any) -> str:
    """The SHA-256 of ``content``'s canonical JSON, as 64 hexadecimal digits."""
    return hashlib.sha256(canonical_json(content, **options)).hexdigest()
