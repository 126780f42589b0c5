"""Browser tests: Playwright driving Debian's Chromium against the live server.

Without Chromium these tests are skipped with the command that installs it; under CI
(CI=true) a missing Chromium is an error, so nothing is skipped there.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

# pytest-playwright keeps an asyncio loop in the test thread; the ORM calls in these tests
# would otherwise raise SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if Path(CHROMIUM).exists():
        return
    message = "Chromium not found: install it with `apt-get install chromium` (Debian)"
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"{message}; under CI nothing may be skipped")
    for item in items:
        if "e2e" in item.nodeid.split("/"):
            item.add_marker(pytest.mark.skip(reason=message))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def shots(request: pytest.FixtureRequest):
    """Save a numbered screenshot of a page under test-artifacts/<test name>/."""
    folder: Path = ARTIFACTS / str(request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    count = {"n": 0}

    def shot(page, label: str) -> Path:
        count["n"] += 1
        path = folder / f"{count['n']:02d}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shot


def _triggers():
    import importlib

    return importlib.import_module("ldntrial.web.audit.migrations.0004_security_chains")


def _execute(statements):
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    connection.close()  # an open session would block dropping the test database


@contextmanager
def _append_only_triggers_lifted(django_db_blocker):
    """Transactional tests need committed data and a flushed database after each test, and a
    flush deletes audit events. The append-only triggers are lifted for those tests only and
    put back afterwards, so every other test runs with them; on PostgreSQL these tests connect
    as the owner, since a flush truncates tables (tests/conftest.py)."""
    from django.db import connection

    from tests.conftest import owner_connections

    triggers = _triggers()
    drops = {"sqlite": triggers.SQLITE_DROP, "postgresql": triggers.POSTGRES_DROP}
    creates = {"sqlite": triggers.SQLITE, "postgresql": triggers.POSTGRES}
    with owner_connections():
        with django_db_blocker.unblock():
            _execute(drops[connection.vendor])
        try:
            yield
        finally:
            with django_db_blocker.unblock():
                _execute(creates[connection.vendor])


@pytest.fixture(scope="module", autouse=True)
def _append_only_triggers_around_browser_tests(django_db_setup, django_db_blocker):
    with _append_only_triggers_lifted(django_db_blocker):
        yield
