"""Before unblinding, the allocation of a blinded trial reaches no one but the pharmacy.

Ana's trial is a blinded n-of-1 trial well into its periods: diary days, end-of-period answers
and kits dispensed. Every route of the access matrix is requested, GET and POST, as every caller
but the pharmacist, and two things are checked:

- **No allocation marker** in any body, header, log line or e-mail: not the allocation's nonce,
  not its sealed bytes (base64 or hex), not the sequence of arms in any spelling.
- **Nothing depends on the allocation**: the sealed allocation is swapped for its mirror image
  (every block in the other order) and every route is requested again; each response is the same
  as before, apart from tokens and times. A page that opened the allocation would differ, or fail
  on the mirror, whose commitment is not the protocol's.

The database's tables other than the sealed allocation hold no plaintext allocation either.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import re
from typing import Any

import pytest
from django.apps import apps
from django.core import mail, serializers
from django.test import Client

from ldntrial.core.trial.blinded import Arm
from ldntrial.core.trial.randomisation import Allocation, seal, unseal
from ldntrial.web import keys
from ldntrial.web.clinic import blinded, services
from ldntrial.web.clinic.models import BlindedAllocation, Trial
from tests.web.conftest import World, signed_in
from tests.web.test_access_matrix import ROWS

CALLERS = ["ana_user", "ben_user", "dr_ode", "dr_bo", "rae", "ada", "anonymous"]


def _opened(trial: Trial) -> tuple[BlindedAllocation, Allocation, bytes]:
    row = BlindedAllocation.objects.get(trial=trial)
    key = keys.ring(keys.Purpose.ALLOCATION).get(row.key_id)
    assert key is not None
    return row, unseal(bytes(row.sealed), key), key


def mirrored(allocation: Allocation) -> Allocation:
    """Every block in the other order (a rotation when a block holds three arms)."""
    size = len(allocation.design.arms)
    arms: list[Arm] = []
    for block in range(allocation.design.pairs):
        chosen = list(allocation.arms[block * size : (block + 1) * size])
        arms.extend(chosen[1:] + chosen[:1])
    return Allocation(allocation.design, tuple(arms), "f" * 64)


def sequence_spellings(allocation: Allocation) -> list[str]:
    values = [a.value for a in allocation.arms]
    words = {"active": "LDN", "placebo": "placebo", "no_capsule": "no capsule"}
    spelled = [words[v] for v in values]
    out = []
    for sep in (", ", ",", " ", "-", "|", "/", "\n"):
        out += [sep.join(values), sep.join(spelled), sep.join(v[0] for v in values)]
    out.append(json.dumps(values))
    return out


def markers(allocation: Allocation, sealed: bytes) -> list[str]:
    envelope = json.loads(sealed)
    return [
        allocation.nonce,
        envelope["ciphertext"][:40],
        sealed.hex()[:40],
        base64.b64encode(sealed).decode()[:40],
        *sequence_spellings(allocation),
    ]


@pytest.fixture
def blinded_world(world: World) -> Any:
    """Ana 10 days into her fourth blinded period (day 42 + 3 x 14 + 10 of her trial), with
    what the access matrix's URLs need (``ana_medication``, ``today``, ``ana_blinded``)."""
    trial = world.blinded_trial(days_ago=42 + 3 * 14 + 10)
    world.ana_trial = trial
    matrix: Any = world
    matrix.ana_blinded = trial  # the pharmacy rows' blinded trial (test_access_matrix)
    matrix.ana_medication = services.add_medication(
        by=world.dr_ode, patient=world.ana, text="sertraline 50 mg"
    )
    matrix.today = dt.datetime.now(dt.UTC).date()
    protocol = trial.protocol()
    day = protocol.start_date
    while day <= matrix.today - dt.timedelta(days=1):
        world.diary(
            trial, world.ana_user, day, side_effects=["vivid_dreams"] if day.day % 5 else []
        )
        day += dt.timedelta(days=1)
    for period in protocol.periods()[:3]:
        blinded.record_period_report(
            by=world.ana_user,
            trial=trial,
            period=period.number,
            guess="placebo" if period.number % 2 else "ldn",
            pgic="minimally_improved",
            today=matrix.today,
        )
    return matrix


def _normalised(body: str) -> str:
    """Without what differs between any two requests: tokens, cookies, times."""
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
    body = re.sub(r"(csrftoken|sessionid)=[^;]+", "", body)
    body = re.sub(r"\b[A-Za-z0-9]{64}\b", "<token>", body)  # CSRF tokens, wherever they are
    body = re.sub(r"data-(remaining|expires)[a-z-]*=\"[^\"]*\"", "", body)
    body = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?", "<time>", body)
    body = re.sub(r"\b\d{8}T\d{6}Z?\b", "<time>", body)  # iCalendar stamps
    body = re.sub(
        r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", "<key>", body
    )
    return re.sub(r"\b\d\d:\d\d(:\d\d)?\b", "<time>", body)


def _responses(w: Any, methods: tuple[str, ...]) -> dict[tuple[str, str, str], tuple[int, str]]:
    """Every route as every caller but the pharmacist, each request from a fresh client (a
    sign-out or a refusal in one request changes nothing for the next)."""
    out = {}
    for name, (url_for, _) in sorted(ROWS.items()):
        url = url_for(w)
        for caller in CALLERS:
            for method in methods:
                client = Client() if caller == "anonymous" else signed_in(getattr(w, caller))
                if method == "GET":
                    response = client.get(url)
                elif url.startswith("/api/"):
                    response = client.post(url, data="{}", content_type="application/json")
                else:
                    response = client.post(url, data={})
                headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
                body = b"".join(response) if response.streaming else response.content
                out[(name, caller, method)] = (
                    response.status_code,
                    headers + "\n\n" + body.decode(errors="replace"),
                )
    return out


def test_no_route_shows_any_caller_but_the_pharmacy_the_allocation(
    blinded_world: Any, caplog: pytest.LogCaptureFixture
) -> None:
    w = blinded_world
    row, allocation, key = _opened(w.ana_trial)
    signs = markers(allocation, bytes(row.sealed))
    with caplog.at_level(logging.DEBUG):
        first = _responses(w, ("GET",))
        # Swap the sealed allocation for its mirror: no page may change.
        BlindedAllocation.objects.filter(pk=row.pk).update(sealed=seal(mirrored(allocation), key))
        second = _responses(w, ("GET",))
        posted = _responses(w, ("POST",))
    for (name, caller, method), (_, text) in (first | posted).items():
        found = [m for m in signs if m in text]
        assert not found, f"{method} {name} as {caller} shows the allocation: {found}"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not [m for m in signs if m in logged], "a log line carries the allocation"
    sent = "\n".join(f"{m.subject}\n{m.body}" for m in mail.outbox)
    assert not [m for m in signs if m in sent], "an e-mail carries the allocation"
    for where, (status, text) in first.items():
        if where[0] == "clinic:patient_audit":
            continue  # it lists the reads of the first round; its text is scanned above
        again_status, again = second[where]
        assert again_status == status, f"{where}: {status} then {again_status} on the mirror"
        assert _normalised(again) == _normalised(text), f"{where} depends on the allocation"


def test_no_table_but_the_sealed_allocation_holds_the_allocation(blinded_world: Any) -> None:
    row, allocation, _ = _opened(blinded_world.ana_trial)
    signs = markers(allocation, bytes(row.sealed))
    for model in apps.get_models():
        if model is BlindedAllocation:
            continue
        dumped = serializers.serialize("json", model._default_manager.all())
        found = [m for m in signs if m in dumped]
        assert not found, f"{model._meta.label} holds the allocation: {found}"
    assert b'"arms"' not in bytes(row.sealed), "the allocation is stored sealed, not in the clear"


def test_the_audit_trail_of_the_allocation_names_no_arm(blinded_world: Any) -> None:
    from ldntrial.web.audit.models import AuditEvent

    events = AuditEvent.objects.filter(object_type="clinic.BlindedAllocation")
    text = json.dumps([[e.before, e.after, e.reason] for e in events])
    assert events.exists()
    for arm in ("active", "placebo", "no_capsule"):
        assert arm not in text
