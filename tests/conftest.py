"""Shared fixtures: the shipped data files and the personas the specifications talk about.

Personas (synthetic, never real people):
- Ana, a fibromyalgia patient in London (Europe/London);
- Bea, a patient in New York (America/New_York);
- Dr Ode, Ana's clinician.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ldntrial import data
from ldntrial.core.conditions import ConditionCatalogue
from ldntrial.core.trial.design import design_protocol
from ldntrial.core.trial.drug import LdnProfile
from ldntrial.core.trial.instruments import InstrumentCatalogue
from ldntrial.core.trial.protocol import Protocol

if TYPE_CHECKING:  # Django is imported where it is used, as in the fixtures below
    from django.db.backends.base.base import BaseDatabaseWrapper

ANA_TZ = "Europe/London"
BEA_TZ = "America/New_York"
# A frozen clock: late evening in London on 27 November 2026.
NOW = dt.datetime(2026, 11, 27, 21, 15, tzinfo=dt.UTC)
START = dt.date(2026, 11, 28)  # Ana's first baseline day; the first dose is on 12 December


@pytest.fixture(scope="session")
def profile() -> LdnProfile:
    return data.ldn_profile()


@pytest.fixture(scope="session")
def instruments() -> InstrumentCatalogue:
    return data.instruments()


@pytest.fixture(scope="session")
def conditions() -> ConditionCatalogue:
    return data.conditions()


@pytest.fixture
def protocol(
    profile: LdnProfile, instruments: InstrumentCatalogue, conditions: ConditionCatalogue
) -> Protocol:
    """Ana's default fibromyalgia protocol, starting on 28 November 2026."""
    protocol, _ = design_protocol(
        condition="fibromyalgia",
        start_date=START,
        profile=profile,
        instruments=instruments,
        conditions=conditions,
    )
    return protocol


# --- PostgreSQL: the suite runs as the app's restricted role --------------------------------
# scripts/with-postgres makes an owner role (DATABASE_URL: it creates and migrates the test
# database, as pytest-django needs) and the app's role, $LDNTRIAL_TEST_APP_ROLE, which may only
# add to and read the audit tables. After the test database is made, the app role gets its
# rights (ldntrial.web.dbroles) and every connection does SET ROLE to it, so every test's
# queries are checked against the app role's privileges. Tests that play an attacker with the
# owner's rights use ``as_database_owner`` (RESET ROLE, inside the test's transaction).
# Transactional tests (browser, races) run as the owner: Django empties the database after
# each of them with TRUNCATE, which the app role may not do.
APP_ROLE = os.environ.get("LDNTRIAL_TEST_APP_ROLE", "")
_role = {"app": False}


def _set_app_role(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    if _role["app"] and connection.vendor == "postgresql":
        from psycopg import sql

        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(APP_ROLE)))


def runs_as_app_role() -> bool:
    return bool(APP_ROLE) and _role["app"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.db import connection
    from django.db.backends.signals import connection_created

    if not APP_ROLE or connection.vendor != "postgresql":
        yield
        return
    from ldntrial.web.dbroles import grant_app_role

    with django_db_blocker.unblock():
        grant_app_role(connection, APP_ROLE)
        connection.close()
    connection_created.connect(_set_app_role, dispatch_uid="ldntrial-test-app-role")
    _role["app"] = True
    yield
    _role["app"] = False
    with django_db_blocker.unblock():
        connection.close()


@contextmanager
def as_database_owner() -> Iterator[None]:
    """Inside a test's transaction: act with the database owner's rights (an attacker who
    holds them), then go back to the app role. On SQLite, whoever can write the file can do
    anything, so nothing changes."""
    from django.db import connection
    from psycopg import sql

    if not runs_as_app_role():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(APP_ROLE)))


@contextmanager
def owner_connections() -> Iterator[None]:
    """For transactional tests: connections made meanwhile keep the owner's rights."""
    from django.db import connections

    was = _role["app"]
    _role["app"] = False
    for conn in connections.all():
        conn.close()
    try:
        yield
    finally:
        for conn in connections.all():
            conn.close()
        _role["app"] = was


@pytest.fixture(autouse=True)
def _audit_anchor_file_per_test(tmp_path: Path) -> Iterator[None]:
    """Each test anchors chain heads in a file of its own (its database is its own too)."""
    from django.conf import settings

    old = settings.AUDIT_ANCHOR_FILE
    settings.AUDIT_ANCHOR_FILE = tmp_path / "audit-anchors.jsonl"
    yield
    settings.AUDIT_ANCHOR_FILE = old
