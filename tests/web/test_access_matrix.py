"""The access matrix: every URL, as every kind of caller, with GET and POST.

The target of each object URL belongs to Ana, a patient of clinic A. A caller outside its scope
must get 401/403/404 (or a redirect to sign in), must not see Ana's data, and must change nothing.
A meta-test fails when a URL pattern has no row here.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from ldntrial.web.audit.models import Action, AuditEvent
from ldntrial.web.clinic import services

CALLERS = ["ana_user", "ben_user", "dr_ode", "dr_bo", "phil", "rae", "ada", "anonymous"]
# Callers whose scope never includes Ana's record: nothing of hers may reach them.
OUTSIDERS = {"ben_user", "dr_bo", "rae", "ada", "anonymous"}
STAFF = ["dr_ode", "dr_bo", "phil", "rae", "ada"]
G, P, GP = {"GET"}, {"POST"}, {"GET", "POST"}


def diary_url(w):
    return f"/me/diary/{w.today.isoformat()}/"


def blinded_url(suffix):
    """A pharmacy page of Ana's trial made blinded (started 30 days ago) for the row."""

    def url(w):
        if not hasattr(w, "ana_blinded"):
            w.ana_blinded = w.blinded_trial(days_ago=30)
        return f"/pharmacy/trials/{w.ana_blinded.pk}/{suffix}"

    return url


ROWS = {
    # name: (url for Ana's object, {caller: methods allowed})
    "home": (lambda w: "/", {c: G for c in CALLERS if c != "anonymous"}),
    "login": (lambda w: "/account/login/", dict.fromkeys(CALLERS, GP)),
    "logout": (lambda w: "/account/logout/", dict.fromkeys(CALLERS, P)),
    "two_factor": (lambda w: "/account/two-factor/", {c: GP for c in CALLERS if c != "anonymous"}),
    "profile": (lambda w: "/account/profile/", dict.fromkeys(STAFF, GP)),
    # How long the session has left (anyone; it reveals nothing), or keep it.
    "session_status": (lambda w: "/account/session/", dict.fromkeys(CALLERS, GP)),
    "join": (lambda w: "/join/", dict.fromkeys(CALLERS, GP)),
    "retired_join_link": (lambda w: "/join/not-a-real-token/", {}),
    "staff": (lambda w: "/staff/", {"ada": GP}),
    "clinic:dashboard": (lambda w: "/clinic/", {"dr_ode": G, "dr_bo": G}),
    "clinic:patient_new": (lambda w: "/clinic/patients/new/", {"dr_ode": GP, "dr_bo": GP}),
    "clinic:patient": (lambda w: f"/clinic/patients/{w.ana.pk}/", {"dr_ode": G}),
    "clinic:patient_audit": (lambda w: f"/clinic/patients/{w.ana.pk}/audit/", {"dr_ode": G}),
    "clinic:patient_invite": (lambda w: f"/clinic/patients/{w.ana.pk}/invite/", {"dr_ode": P}),
    "clinic:medication_add": (lambda w: f"/clinic/patients/{w.ana.pk}/medications/", {"dr_ode": P}),
    "clinic:medication_stop": (
        lambda w: f"/clinic/medications/{w.ana_medication.pk}/stop/",
        {"dr_ode": P},
    ),
    "clinic:trial_new": (lambda w: f"/clinic/patients/{w.ana.pk}/trials/new/", {"dr_ode": GP}),
    "clinic:screening": (lambda w: f"/clinic/patients/{w.ana.pk}/screening/", {"dr_ode": G}),
    "clinic:patient_situations": (
        lambda w: f"/clinic/patients/{w.ana.pk}/situations/",
        {"dr_ode": P},
    ),
    "clinic:medication_resolve": (
        lambda w: f"/clinic/medications/{w.ana_medication.pk}/resolve/",
        {"dr_ode": P},
    ),
    "clinic:handout": (
        lambda w: f"/clinic/patients/{w.ana.pk}/handout/fibromyalgia/",
        {"dr_ode": G},
    ),
    "clinic:handout_pdf": (
        lambda w: f"/clinic/patients/{w.ana.pk}/handout/fibromyalgia.pdf",
        {"dr_ode": G},
    ),
    "evidence:list": (lambda w: "/evidence/", {"dr_ode": G, "dr_bo": G, "rae": G}),
    "evidence:condition": (
        lambda w: "/evidence/fibromyalgia/",
        {"dr_ode": G, "dr_bo": G, "rae": G},
    ),
    "clinic:reassessment": (
        lambda w: f"/clinic/trials/{w.ana_trial.pk}/reassessment/",
        {"dr_ode": GP},
    ),
    "clinic:report_pdf": (lambda w: f"/clinic/trials/{w.ana_trial.pk}/report.pdf", {"dr_ode": G}),
    "clinic:visit_record": (lambda w: f"/clinic/trials/{w.ana_trial.pk}/visit/", {"dr_ode": P}),
    # Ana's trial here is open-label, so it has no unblinding page, even for Dr Ode (404); a
    # blinded trial's is covered in tests/web/clinic/test_unblinding.py.
    "clinic:unblind": (lambda w: f"/clinic/trials/{w.ana_trial.pk}/unblind/", {}),
    # Ana's trial is past its baseline, so its baseline questions are closed to everyone here
    # (tests/web/clinic/test_visit_measures.py covers them while they are open).
    "patient:visit": (lambda w: "/me/visit/baseline/", {}),
    "patient:summary": (lambda w: "/me/summary/", {"ana_user": G, "ben_user": G}),
    "clinic:trial": (lambda w: f"/clinic/trials/{w.ana_trial.pk}/", {"dr_ode": G}),
    "clinic:trial_start": (lambda w: f"/clinic/trials/{w.ana_trial.pk}/start/", {"dr_ode": P}),
    "clinic:trial_amend": (lambda w: f"/clinic/trials/{w.ana_trial.pk}/amend/", {"dr_ode": P}),
    "clinic:draft_edit": (lambda w: f"/clinic/trials/{w.ana_trial.pk}/edit/", {"dr_ode": GP}),
    "clinic:draft_discard": (
        lambda w: f"/clinic/trials/{w.ana_trial.pk}/discard/",
        {"dr_ode": P},
    ),
    "patient:today": (lambda w: "/me/", {"ana_user": G, "ben_user": G}),
    "patient:diary_day": (diary_url, {"ana_user": GP, "ben_user": GP}),
    "patient:chart": (lambda w: "/me/chart/", {"ana_user": G, "ben_user": G}),
    "patient:calendar": (lambda w: "/me/calendar.ics", {"ana_user": G, "ben_user": G}),
    # Open-label trials have no periods: their patients' answers are refused with a message
    # (400); blinded trials: tests/web/clinic/test_period_reports.py.
    "patient:period_report": (lambda w: "/me/periods/1/", {"ana_user": P, "ben_user": P}),
    "pharmacy:queue": (lambda w: "/pharmacy/", {"phil": G}),
    "pharmacy:prescription": (
        lambda w: f"/pharmacy/prescriptions/{w.ana_trial.prescription.pk}/",
        {"phil": GP},
    ),
    "pharmacy:prescription_print": (
        lambda w: f"/pharmacy/prescriptions/{w.ana_trial.prescription.pk}/print/",
        {"phil": G},
    ),
    "pharmacy:prescription_pdf": (
        lambda w: f"/pharmacy/prescriptions/{w.ana_trial.prescription.pk}.pdf",
        {"phil": G},
    ),
    "pharmacy:trial_kits": (blinded_url("kits/"), {"phil": GP}),
    "pharmacy:kit_labels": (blinded_url("kits/labels/"), {"phil": G}),
    "pharmacy:kit_sheet": (blinded_url("kits/sheet/"), {"phil": G}),
    # Ana's blinded trial is not unblinded: the pharmacy is told there is nothing to see.
    "pharmacy:unblinding_seen": (blinded_url("unblinding/seen/"), {"phil": P}),
    "research:summary": (lambda w: "/research/", {"rae": G}),
    "research:condition": (lambda w: "/research/fibromyalgia/", {"rae": G}),
    "research:export": (lambda w: "/research/export/diary.csv", {"rae": G}),
    "api:openapi-json": (lambda w: "/api/openapi.json", dict.fromkeys(CALLERS, GP)),
    "api:openapi-view": (lambda w: "/api/docs", dict.fromkeys(CALLERS, GP)),
    "api:read_trial": (lambda w: f"/api/trials/{w.ana_trial.pk}", {"dr_ode": G, "ana_user": G}),
    "api:read_diary": (
        lambda w: f"/api/trials/{w.ana_trial.pk}/diary",
        {"dr_ode": G, "ana_user": GP},
    ),
    "api:submit_diary": (
        lambda w: f"/api/trials/{w.ana_trial.pk}/diary",
        {"dr_ode": G, "ana_user": GP},
    ),
    "api:api-root": (lambda w: "/api/", {}),
}


def url_names(patterns=None, namespace=""):
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            inner = (
                f"{namespace}:{p.namespace}"
                if namespace and p.namespace
                else (p.namespace or namespace)
            )
            yield from url_names(p.url_patterns, inner or "")
        elif isinstance(p, URLPattern):
            yield f"{namespace}:{p.name}" if namespace else p.name


def test_every_url_pattern_has_a_row_in_the_matrix():
    names = set(url_names())
    assert names - set(ROWS) == set(), "add these URL patterns to the access matrix"
    assert set(ROWS) - names == set(), "these rows name no URL pattern"


def writes():
    """Changes to data (sign-ins and refusals are audited too, but change nothing)."""
    return AuditEvent.objects.filter(
        action__in=[Action.CREATE, Action.UPDATE, Action.DELETE]
    ).count()


def request(client, method, url):
    if method == "GET":
        return client.get(url)
    if url.startswith("/api/"):
        return client.post(url, data=json.dumps({}), content_type="application/json")
    return client.post(url, data={})


@pytest.fixture
def matrix_world(world):
    world.ana_medication = services.add_medication(
        by=world.dr_ode, patient=world.ana, text="sertraline 50 mg"
    )
    world.today = dt.datetime.now(dt.UTC).date()
    return world


@pytest.mark.parametrize("name", sorted(ROWS))
def test_nothing_outside_the_callers_scope_is_returned_or_changed(matrix_world, name):
    w = matrix_world
    url_for, allowed = ROWS[name]
    url = url_for(w)
    markers = [w.ana.label, w.ana_trial.fingerprint]
    for caller in CALLERS:
        for method in ("GET", "POST"):
            if method in allowed.get(caller, set()):
                continue  # checked below, after every refusal
            before = writes()
            response = request(w.client(caller), method, url)
            body = response.content.decode(errors="replace")
            where = f"{method} {url} as {caller}"
            if caller == "anonymous":
                assert response.status_code in (302, 401, 403, 404, 405), where
                if response.status_code == 302:
                    assert response["Location"].startswith("/account/login/"), where
            else:
                assert response.status_code in (403, 404, 405), (where, response.status_code)
            assert writes() == before, f"{where} changed clinical data"
            if caller in OUTSIDERS:
                assert not any(m in body for m in markers), f"{where} revealed Ana's data"
    for caller, methods in allowed.items():
        for method in sorted(methods):
            response = request(w.client(caller), method, url)
            where = f"{method} {url} as {caller}"
            assert response.status_code in (200, 201, 302, 400, 422), (where, response.status_code)
            if caller in OUTSIDERS:
                body = response.content.decode(errors="replace")
                assert not any(m in body for m in markers), f"{where} revealed Ana's data"
