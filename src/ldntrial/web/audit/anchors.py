"""Chain heads anchored outside the database: an append-only file of signed lines.

After a commit that added events, the chain's head is appended to the anchor file
(``$LDNTRIAL_AUDIT_ANCHOR_FILE``, by default ``<data dir>/audit-anchors.jsonl``) when the
chain's last anchor from this process is older than ``$LDNTRIAL_AUDIT_ANCHOR_SECONDS``
(300; 0 anchors every commit). ``ldntrial audit anchor`` appends every head now and prints the
lines, to be kept somewhere the database's owner cannot reach (mail, a ticket, a timestamping
service). ``audit verify`` checks that every anchored head is still in its chain with the same
hash: deleting the last events and moving the head back is then named as a truncation.

Each line is JSON: ``{"v":1,"at":...,"chain":...,"sequence":...,"hash":...,"key_id":...,
"mac":...}``, the MAC an HMAC-SHA256 with the audit key over the other fields.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone

from ldntrial.web import keys

if TYPE_CHECKING:
    from ldntrial.web.audit.chain import Problem

ANCHOR_FIELDS = {"v", "at", "chain", "sequence", "hash", "key_id", "mac"}
_last_written: dict[tuple[str, str], float] = {}
_lock = threading.Lock()


def _message(line: dict[str, Any]) -> bytes:
    fields = {k: line[k] for k in ("v", "at", "chain", "sequence", "hash")}
    return ("ldntrial-audit-anchor|" + json.dumps(fields, sort_keys=True)).encode()


def signed_line(chain: str, sequence: int, hash_: str, at: dt.datetime) -> dict[str, Any]:
    line: dict[str, Any] = {
        "v": 1,
        "at": at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "chain": chain,
        "sequence": sequence,
        "hash": hash_,
    }
    line["key_id"], line["mac"] = keys.ring(keys.Purpose.AUDIT).mac(_message(line))
    return line


def _append(path: Path, lines: list[dict[str, Any]]) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        handle.write("".join(json.dumps(line, sort_keys=True) + "\n" for line in lines))


def anchor_heads(*, using: str = "default") -> list[dict[str, Any]]:
    """Append every chain's head to the anchor file now; returns the lines written."""
    from ldntrial.web.audit.models import ChainHead

    now = timezone.now()
    lines = [
        signed_line(h.chain, h.sequence, h.hash, now)
        for h in ChainHead.objects.using(using).order_by("chain")
        if h.sequence > 0
    ]
    if lines:
        _append(Path(settings.AUDIT_ANCHOR_FILE), lines)
    return lines


def after_commit(chain: str, *, using: str) -> None:
    """Anchor ``chain``'s head if this process has not done so for a while."""
    from ldntrial.web.audit.models import ChainHead

    path = str(settings.AUDIT_ANCHOR_FILE)
    with _lock:
        last = _last_written.get((path, chain))
        if last is not None and time.monotonic() - last < settings.AUDIT_ANCHOR_SECONDS:
            return
        _last_written[(path, chain)] = time.monotonic()
    head = ChainHead.objects.using(using).filter(chain=chain).first()
    if head is not None and head.sequence > 0:
        _append(Path(path), [signed_line(chain, head.sequence, head.hash, timezone.now())])


def read(path: Path) -> list[tuple[int, dict[str, Any] | None]]:
    if not path.exists():
        return []
    keys.require_private(path)
    out: list[tuple[int, dict[str, Any] | None]] = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not text.strip():
            continue
        try:
            line = json.loads(text)
        except json.JSONDecodeError:
            line = None
        ok = isinstance(line, dict) and {
            "v",
            "at",
            "chain",
            "sequence",
            "hash",
            "key_id",
            "mac",
        } <= set(line)
        out.append((number, line if ok else None))
    return out


def check(path: Path, ring: keys.KeyRing, events: Any, lasts: dict[str, Any]) -> list[Problem]:
    """Each anchored head must still be in its chain, unchanged."""
    from ldntrial.web.audit.chain import Problem

    problems: list[Problem] = []
    truncated: set[str] = set()
    for number, line in reversed(read(path)):  # the latest anchor of a chain says the most
        where = f"anchor {path.name} line {number}"
        if line is None:
            problems.append(Problem(where, "unreadable"))
            continue
        good = ring.check(_message(line), str(line["key_id"]), str(line["mac"]))
        if not good:
            problems.append(Problem(where, "its MAC does not match: the line was forged"))
            continue
        chain, sequence = str(line["chain"]), int(line["sequence"])
        last = lasts.get(chain)
        last_sequence = last.sequence if last is not None else 0
        if sequence > last_sequence:
            if chain in truncated:
                continue
            truncated.add(chain)
            problems.append(
                Problem(
                    f"{chain} event {sequence}",
                    f"truncated: the head anchored at {line['at']} (sequence {sequence}) is "
                    f"gone; the chain now ends at {last_sequence}",
                )
            )
            continue
        event = events.filter(chain=chain, sequence=sequence).first()
        if event is not None and event.hash != line["hash"]:
            problems.append(
                Problem(
                    f"{chain} event {sequence}",
                    f"rewritten: differs from the head anchored at {line['at']}",
                )
            )
    problems.reverse()
    return problems
