"""Federated pooling: sites exchange signed per-patient summaries, never raw diaries.

A site bundle is one canonical JSON document (``ldntrial.core.canonical.canonical_json``):

    {"format": "ldntrial.site-bundle/1", "site_id": ..., "key_id": ..., "exported_at": "...Z",
     "protocol_fingerprints": [...], "records": [patient summaries], "signature": "<hex>"}

``signature`` is HMAC-SHA256, under the site's key, of the canonical JSON of everything else,
so it covers the site, the key id, the time, the protocols and every record. Keys are given as
arguments (the web layer keeps them); each is identified by its site and key id, so a site can
rotate keys. An HMAC proves that a holder of the key made the bundle and that nothing changed
since; whoever verifies holds the key too and could forge, which a public-key signature would
prevent (docs/decisions/0014-pooling.md).

``pool_bundles`` verifies every bundle, refuses a bundle given twice, two bundles from one site
and a patient key found in more than one bundle, and then pools exactly as ``analyse`` does on
the same summaries in one place (records are taken in patient-key order, so the answer is the
same to the last bit). A patient pseudonymised with different keys at two sites cannot be
recognised here; sites that share patients must share the pseudonym key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ldntrial.core.canonical import canonical_json
from ldntrial.core.errors import LdnTrialError
from ldntrial.core.registry.analysis import (
    DEFAULT_SETTINGS,
    PoolingSettings,
    StratumAnalysis,
    analyse,
)
from ldntrial.core.registry.summaries import PatientSummary

BUNDLE_FORMAT = "ldntrial.site-bundle/1"
MIN_KEY_BYTES = 32
_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_FIELDS = {"format", "site_id", "key_id", "exported_at", "protocol_fingerprints", "records"}


class BundleRefused(LdnTrialError):
    """A site bundle that cannot be pooled: tampered, unsigned, duplicated or malformed."""

    exit_code = 3


@dataclass(frozen=True)
class SiteKey:
    site_id: str
    key_id: str
    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        for what, value in (("site id", self.site_id), ("key id", self.key_id)):
            if not (isinstance(value, str) and _ID.fullmatch(value)):
                raise BundleRefused(f"a {what} is 1 to 64 lower-case letters, digits, '.', '-'")
        if not isinstance(self.secret, bytes) or len(self.secret) < MIN_KEY_BYTES:
            raise BundleRefused(f"a site key needs at least {MIN_KEY_BYTES} random bytes")


@dataclass(frozen=True)
class SiteBundle:
    site_id: str
    key_id: str
    exported_at: dt.datetime
    records: tuple[PatientSummary, ...]
    signature: str

    @property
    def protocol_fingerprints(self) -> tuple[str, ...]:
        return tuple(sorted({r.protocol_fingerprint for r in self.records}))

    def content(self) -> dict[str, Any]:
        """What the signature covers."""
        return {
            "format": BUNDLE_FORMAT,
            "site_id": self.site_id,
            "key_id": self.key_id,
            "exported_at": self.exported_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "protocol_fingerprints": list(self.protocol_fingerprints),
            "records": [r.as_json() for r in self.records],
        }

    def as_json(self) -> dict[str, Any]:
        return {**self.content(), "signature": self.signature}

    def to_bytes(self) -> bytes:
        return canonical_json(self.as_json())

    @classmethod
    def from_bytes(cls, data: bytes) -> SiteBundle:
        try:
            raw = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BundleRefused("a site bundle must be UTF-8 JSON") from None
        return cls.from_json(raw)

    @classmethod
    def from_json(cls, raw: object) -> SiteBundle:
        """Parse a bundle (the signature is checked by ``verify_bundle``)."""
        if not isinstance(raw, Mapping) or raw.get("format") != BUNDLE_FORMAT:
            raise BundleRefused(f"not a site bundle: the format must be {BUNDLE_FORMAT!r}")
        site = raw.get("site_id")
        where = f"the bundle from site {site!r}"
        if set(raw) != _FIELDS | {"signature"}:
            raise BundleRefused(f"{where} does not have exactly the fields of a site bundle")
        try:
            exported = dt.datetime.fromisoformat(str(raw["exported_at"]).replace("Z", "+00:00"))
            records = tuple(PatientSummary.from_json(r) for r in raw["records"])
        except (TypeError, ValueError) as error:
            raise BundleRefused(f"{where} is malformed: {error}") from None
        if exported.utcoffset() is None:
            raise BundleRefused(f"{where}: the export time must carry a time zone")
        bundle = cls(str(site), str(raw["key_id"]), exported, records, str(raw["signature"]))
        if list(bundle.protocol_fingerprints) != raw["protocol_fingerprints"]:
            raise BundleRefused(f"{where} lists protocol fingerprints its records do not have")
        _check_unique(bundle)
        return bundle


def _check_unique(bundle: SiteBundle) -> None:
    seen: set[tuple[str, object]] = set()
    for number, record in enumerate(bundle.records, start=1):
        key = (record.patient_key, record.stratum)
        if key in seen:
            raise BundleRefused(
                f"the bundle from site {bundle.site_id!r} repeats a patient in one stratum "
                f"(record {number}): one summary per patient and metric"
            )
        seen.add(key)


def _mac(secret: bytes, content: Mapping[str, Any]) -> str:
    return hmac.new(secret, canonical_json(content), hashlib.sha256).hexdigest()


def sign_bundle(
    records: Iterable[PatientSummary], *, key: SiteKey, exported_at: dt.datetime
) -> SiteBundle:
    """A site's bundle of ``records``, signed with its ``key``; ``exported_at`` is the caller's
    clock (aware)."""
    if exported_at.utcoffset() is None:
        raise BundleRefused("the export time must carry a time zone")
    ordered = tuple(
        sorted(records, key=lambda r: (r.patient_key, r.condition, r.design.value, r.metric))
    )
    unsigned = SiteBundle(key.site_id, key.key_id, exported_at, ordered, "")
    _check_unique(unsigned)
    return SiteBundle(
        key.site_id, key.key_id, exported_at, ordered, _mac(key.secret, unsigned.content())
    )


def verify_bundle(bundle: SiteBundle, keys: Iterable[SiteKey]) -> None:
    """Refuse a bundle whose signature is not the one its site's key gives."""
    known = {(k.site_id, k.key_id): k for k in keys}
    key = known.get((bundle.site_id, bundle.key_id))
    if key is None:
        raise BundleRefused(
            f"no key is known for site {bundle.site_id!r} (key id {bundle.key_id!r}): add the "
            "site's key before pooling its bundle"
        )
    if not hmac.compare_digest(_mac(key.secret, bundle.content()), bundle.signature):
        raise BundleRefused(
            f"the bundle from site {bundle.site_id!r} fails its signature check: it was changed "
            f"after signing, or not signed with key {bundle.key_id!r}. Ask the site for a fresh "
            "export"
        )


def merge_bundles(bundles: Iterable[SiteBundle], keys: Iterable[SiteKey]) -> list[PatientSummary]:
    """Every record of every verified bundle; refuses duplicated bundles, sites and patients."""
    key_list = list(keys)
    sites: dict[str, SiteBundle] = {}
    owner: dict[str, str] = {}
    merged: list[PatientSummary] = []
    for bundle in bundles:
        verify_bundle(bundle, key_list)
        if bundle.site_id in sites:
            same = sites[bundle.site_id].signature == bundle.signature
            raise BundleRefused(
                f"the bundle from site {bundle.site_id!r} is given twice"
                if same
                else f"site {bundle.site_id!r} sent two bundles: pool only its latest export"
            )
        sites[bundle.site_id] = bundle
        for number, record in enumerate(bundle.records, start=1):
            first = owner.setdefault(record.patient_key, bundle.site_id)
            if first != bundle.site_id:
                raise BundleRefused(
                    f"record {number} of site {bundle.site_id!r} has a patient already in site "
                    f"{first!r}'s bundle: a patient is pooled from one site only"
                )
        merged.extend(bundle.records)
    return merged


def pool_bundles(
    bundles: Iterable[SiteBundle],
    keys: Iterable[SiteKey],
    settings: PoolingSettings = DEFAULT_SETTINGS,
) -> tuple[StratumAnalysis, ...]:
    """Pool verified bundles from several sites: the same answer as ``analyse`` on their
    records in one place."""
    return analyse(merge_bundles(bundles, keys), settings)
