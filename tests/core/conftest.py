"""Fixtures shared by the core tests live in tests/conftest.py."""

from tests.conftest import START

__all__ = ["START"]
