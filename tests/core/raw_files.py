"""The shipped data files as the loader reads them, for tests that break one on purpose."""

from typing import Any

from ldntrial import data


def raw_file(name: str) -> dict[str, Any]:
    """A fresh copy of the shipped YAML file ``name`` (each call reads and parses it again)."""
    raw = data.read_yaml(name)
    assert isinstance(raw, dict), f"{name} holds a {type(raw).__name__}, not a mapping"
    return raw
