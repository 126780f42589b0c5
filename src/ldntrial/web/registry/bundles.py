"""This site's signed summary bundle, and the site keys a coordinator pools with.

The bundle is ``core.registry.federation``'s: per-patient summaries only (no diary), signed
with HMAC-SHA256 under the current key of the ``federation`` ring (``ldntrial.web.keys``, kept
outside the database) and carrying this installation's ``LDNTRIAL_SITE_ID``. A coordinator
pools bundles with a keys file, one ``site_id key_id base64url-key`` a line, which each site
writes with ``ldntrial registry site-key --out FILE`` and hands over out of band.
"""

from __future__ import annotations

import base64
import datetime as dt

from django.conf import settings

from ldntrial.core.registry.federation import SiteBundle, SiteKey, sign_bundle
from ldntrial.web import keys
from ldntrial.web.accounts.models import Clinic
from ldntrial.web.registry.collect import patient_summaries


def site_key(site_id: str | None = None) -> SiteKey:
    """This site's current federation key, under its id (``LDNTRIAL_SITE_ID`` by default)."""
    ring = keys.ring(keys.Purpose.FEDERATION)
    return SiteKey(site_id or settings.LDNTRIAL_SITE_ID, ring.current_id, ring.current)


def key_line(key: SiteKey) -> str:
    return f"{key.site_id} {key.key_id} {base64.urlsafe_b64encode(key.secret).decode()}\n"


def export_bundle(
    *, clinic: Clinic | None, now: dt.datetime, site_id: str | None = None
) -> SiteBundle:
    return sign_bundle(patient_summaries(clinic), key=site_key(site_id), exported_at=now)
