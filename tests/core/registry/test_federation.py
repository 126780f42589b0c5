"""Federated pooling: signed site bundles pool to exactly the single-site answer, and a
tampered, unsigned or duplicated bundle is refused with a message that names the site."""

import dataclasses
import datetime as dt
import json

import numpy as np
import pytest

from ldntrial.core.registry.analysis import analyse
from ldntrial.core.registry.federation import (
    BundleRefused,
    SiteBundle,
    SiteKey,
    merge_bundles,
    pool_bundles,
    sign_bundle,
    verify_bundle,
)
from ldntrial.core.trial.protocol import Design
from tests.core.registry import builders
from tests.core.registry.builders import OTHER_FINGERPRINT

# Site A: Dr Ode's clinic in London; site B: a clinic in New York. Keys are test values.
SITE_A = SiteKey("site-a", "2026-11", b"A" * 32)
SITE_B = SiteKey("site-b", "2026-11", b"B" * 32)
EXPORTED = dt.datetime(2026, 11, 27, 21, 15, tzinfo=dt.UTC)


def patients_of_two_sites():
    rng = np.random.default_rng(2026)
    a = builders.patients(rng, builders.normal, design=Design.OPEN_LABEL, mu=-1.5, tau=0.8, k=40)
    a += builders.patients(
        rng, builders.normal, design=Design.BLINDED_N_OF_1, mu=-0.7, tau=0.5, k=25, first=100
    )
    a += builders.ended_early(first=200)
    b = builders.patients(
        rng, builders.responders, design=Design.OPEN_LABEL, mu=-1.5, tau=1.0, k=30, first=300
    )
    b = [dataclasses.replace(s, protocol_fingerprint=OTHER_FINGERPRINT) for s in b]
    b += builders.ended_early(first=400, design=Design.BLINDED_N_OF_1)
    return a, b


def bundles():
    a, b = patients_of_two_sites()
    return (
        sign_bundle(a, key=SITE_A, exported_at=EXPORTED),
        sign_bundle(b, key=SITE_B, exported_at=EXPORTED),
    )


def test_pooling_two_sites_bundles_equals_pooling_their_patients_in_one_place():
    a, b = patients_of_two_sites()
    one_place = analyse(a + b)
    bundle_a, bundle_b = bundles()
    federated = pool_bundles([bundle_b, bundle_a], [SITE_A, SITE_B])
    assert federated == one_place  # every figure, to the last bit
    blinded = next(s for s in federated if s.stratum.design is Design.BLINDED_N_OF_1)
    assert blinded.flow.started == 25 + 4  # site B stopped, lost and running trials included


def test_a_bundle_survives_its_file_form():
    bundle, _ = bundles()
    again = SiteBundle.from_bytes(bundle.to_bytes())
    assert again == bundle
    verify_bundle(again, [SITE_A])
    assert again.protocol_fingerprints == (builders.FINGERPRINT,)


def tampered(bundle, edit):
    raw = json.loads(bundle.to_bytes())
    edit(raw)
    return SiteBundle.from_json(raw)


@pytest.mark.parametrize(
    "edit",
    [
        lambda raw: raw["records"][0].update(effect=raw["records"][0]["effect"] - 1.0),
        lambda raw: raw["records"][0].update(effect_sd=0.1),
        lambda raw: raw["records"].pop(3),
        lambda raw: raw.update(exported_at="2026-11-28T09:00:00Z"),
        lambda raw: raw["records"].reverse(),
    ],
    ids=["effect", "sd", "dropped record", "time", "order"],
)
def test_a_tampered_bundle_is_refused_naming_its_site(edit):
    bundle_a, bundle_b = bundles()
    changed = tampered(bundle_a, edit)
    with pytest.raises(BundleRefused, match="site 'site-a' fails its signature check"):
        pool_bundles([changed, bundle_b], [SITE_A, SITE_B])


def test_a_bundle_signed_with_another_key_is_refused():
    a, _ = patients_of_two_sites()
    forged = sign_bundle(a, key=SiteKey("site-a", "2026-11", b"X" * 32), exported_at=EXPORTED)
    with pytest.raises(BundleRefused, match="site 'site-a' fails its signature check"):
        verify_bundle(forged, [SITE_A])


def test_a_bundle_without_a_known_key_is_refused():
    bundle_a, _ = bundles()
    with pytest.raises(BundleRefused, match="no key is known for site 'site-a'"):
        pool_bundles([bundle_a], [SITE_B])


def test_the_same_bundle_twice_is_refused():
    bundle_a, bundle_b = bundles()
    with pytest.raises(BundleRefused, match="site 'site-a' is given twice"):
        pool_bundles([bundle_a, bundle_b, bundle_a], [SITE_A, SITE_B])


def test_two_exports_of_one_site_are_refused():
    a, _ = patients_of_two_sites()
    first = sign_bundle(a, key=SITE_A, exported_at=EXPORTED)
    later = sign_bundle(a[:10], key=SITE_A, exported_at=EXPORTED + dt.timedelta(days=7))
    with pytest.raises(BundleRefused, match="site 'site-a' sent two bundles"):
        merge_bundles([first, later], [SITE_A])


def test_a_patient_in_two_sites_bundles_is_refused():
    a, b = patients_of_two_sites()
    moved = dataclasses.replace(b[0], patient_key=a[0].patient_key)
    bundle_a = sign_bundle(a, key=SITE_A, exported_at=EXPORTED)
    bundle_b = sign_bundle([moved, *b[1:]], key=SITE_B, exported_at=EXPORTED)
    with pytest.raises(BundleRefused, match="site 'site-b' has a patient already in site 'site-a'"):
        pool_bundles([bundle_a, bundle_b], [SITE_A, SITE_B])


def test_a_patient_twice_in_one_stratum_of_one_bundle_is_refused():
    a, _ = patients_of_two_sites()
    with pytest.raises(BundleRefused, match="repeats a patient in one stratum"):
        sign_bundle([*a, dataclasses.replace(a[0], effect=-3.0)], key=SITE_A, exported_at=EXPORTED)


def test_the_error_never_shows_a_patient_key():
    a, b = patients_of_two_sites()
    moved = dataclasses.replace(b[0], patient_key=a[0].patient_key)
    bundle_a = sign_bundle(a, key=SITE_A, exported_at=EXPORTED)
    bundle_b = sign_bundle([moved, *b[1:]], key=SITE_B, exported_at=EXPORTED)
    with pytest.raises(BundleRefused) as refused:
        merge_bundles([bundle_a, bundle_b], [SITE_A, SITE_B])
    assert a[0].patient_key not in str(refused.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff", "UTF-8 JSON"),
        (b'{"format": "something/1"}', "not a site bundle"),
        (b'{"format": "ldntrial.site-bundle/1", "site_id": "site-a"}', "exactly the fields"),
    ],
)
def test_a_file_that_is_not_a_bundle_is_refused(data, message):
    with pytest.raises(BundleRefused, match=message):
        SiteBundle.from_bytes(data)


def test_a_bundle_listing_other_protocols_than_its_records_is_refused():
    bundle_a, _ = bundles()
    with pytest.raises(BundleRefused, match="lists protocol fingerprints"):
        tampered(bundle_a, lambda raw: raw["protocol_fingerprints"].append(OTHER_FINGERPRINT))


def test_a_short_site_key_is_refused():
    with pytest.raises(BundleRefused, match="at least 32 random bytes"):
        SiteKey("site-a", "k1", b"short")


def test_a_site_key_never_appears_in_its_repr():
    assert "AAAA" not in repr(SITE_A)
