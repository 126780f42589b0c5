"""Validating the sourced data files (``data/*.yaml``) with pydantic, in the project's own words.

Each file is described by types: the core's frozen dataclasses, whose field types say what they
accept, and small private pydantic models where a file's layout differs from the value it
builds. :func:`validate` checks a file against its type and turns the first problem into a
one-line :class:`DataFileError` naming the file, the row and what is wrong::

    medicines.yaml: medicine 'codeine', source 1: is tagged U (unverified); unverified facts ...

A row is named by its ``key`` (or ``situation``, or ``name``), otherwise by its number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, Protocol, TypeVar

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    Strict,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)
from pydantic_core import ErrorDetails

from ldntrial.core.errors import DataFileError, LdnTrialError

T = TypeVar("T")


def squash(text: str) -> str:
    """Runs of whitespace (folded YAML lines) become one space."""
    return " ".join(text.split())


# What a field accepts; anything else is refused with the wording in _WORDING.
Int = Annotated[int, Strict()]  # a whole number: true, 4.0 and "4" are refused
Number = Annotated[float, Strict()]  # an int or a float: true and "0.3" are refused
Bool = Annotated[bool, Strict()]  # true or false: 1 and "yes" are refused
NonBlank = Annotated[str, StringConstraints(pattern=r"\S")]  # text, kept exactly as written
Stripped = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Text = Annotated[Stripped, AfterValidator(squash)]  # non-blank, whitespace squashed
NonEmpty = Annotated[T, Field(min_length=1, validate_default=True)]  # missing counts as empty
OrEmpty = Annotated[T, BeforeValidator(lambda rows: rows or ())]  # a list; null means none

# Rows named in messages: the field that holds them, and what one is called.
_SOURCE_ROWS = {"sources": "source", "source": "source"}
_ROW_NAMES = ("key", "situation", "name")


def validate(
    kind: type[T],
    raw: object,
    *,
    where: str,
    schema: str | None = None,
    rows: Mapping[str, str] | None = None,
    context: object = None,
    error: type[LdnTrialError] = DataFileError,
) -> T:
    """``raw`` (a parsed data file, or one value of one) as ``kind``, or ``error`` saying why not.

    ``rows`` maps each list field to what one of its items is called ("medicines": "medicine");
    a field mapped to "" holds named rows that are called by their name alone.
    """
    if schema is not None:
        if not isinstance(raw, Mapping):
            raise error(f"{where}: expected a mapping of fields, found {type(raw).__name__}")
        if raw.get("schema") != schema:
            raise error(f"{where}: schema is {raw.get('schema')!r}, expected {schema!r}")
    try:
        return TypeAdapter(kind).validate_python(raw, context=context)
    except ValidationError as problem:
        names = {**_SOURCE_ROWS, **(rows or {})}
        raise error(_describe(problem.errors(), raw, where, names)) from None


class Keyed(Protocol):
    @property
    def key(self) -> str: ...


K = TypeVar("K", bound=Keyed)


def by_key(items: Iterable[K], where: str, row: str) -> dict[str, K]:
    """The items by key, refusing a key used twice."""
    found: dict[str, K] = {}
    for item in items:
        if found.setdefault(item.key, item) is not item:
            raise DataFileError(f"{where}: {row} {item.key!r}: duplicate key")
    return found


def _describe(
    errors: Sequence[ErrorDetails], raw: object, where: str, rows: Mapping[str, str]
) -> str:
    """The first error as one line: where (file, row, field) and what is wrong."""
    first = errors[0]
    loc = list(first["loc"])
    if loc[-1:] == ["[key]"]:  # a mapping's key: (..., "dusk", "[key]")
        loc[-2:] = ["key"]
    if first["type"] in _UNKNOWN:
        siblings = [e["loc"] for e in errors if e["type"] in _UNKNOWN]
        unknown = sorted(str(at[-1]) for at in siblings if at[:-1] == first["loc"][:-1])
        place, message = loc[:-1], f"unknown field(s) {', '.join(unknown)}"
    else:
        place, field = _split(loc, rows)
        ctx = first.get("ctx", {})
        if first["type"] == "value_error":  # our own wording, from a validator
            message = str(ctx["error"])
        elif first["type"] in _WORDING:
            message = _WORDING[first["type"]](field, first["input"], ctx)
        else:
            message = (f"{field}: " if field else "") + first["msg"]
    return where + "".join(_rows(place, raw, rows)) + ": " + message


def _split(loc: list[int | str], rows: Mapping[str, str]) -> tuple[list[int | str], str]:
    """(where, field): the field a problem is about ("ingredients 2") and the rows it is in; no
    field when the problem is a row itself, or the whole file."""
    end = len(loc)
    while end and isinstance(loc[end - 1], int):
        end -= 1
    numbered_row = end < len(loc) and loc[end - 1] in rows  # ("medicines", 3)
    named_row = end == len(loc) > 1 and rows.get(str(loc[-2])) == ""  # ("values", "usual_...")
    if end == 0 or numbered_row or named_row:
        return loc, ""
    numbers = [str(index + 1) for index in loc[end:] if isinstance(index, int)]
    return loc[: end - 1], " ".join([str(loc[end - 1]), *numbers])


def _rows(place: list[int | str], raw: object, rows: Mapping[str, str]) -> list[str]:
    parts = []
    node, at = raw, 0
    while at < len(place):
        part = place[at]
        node = _child(node, part)
        if isinstance(part, str) and part in rows and at + 1 < len(place):
            at += 1
            node = _child(node, place[at])
            name = _name(rows[part], place[at], node)
            parts.append((", " if rows[part] == "source" else ": ") + name)
        else:
            parts.append(f": {part}" if isinstance(part, str) else f": item {part + 1}")
        at += 1
    return parts


def _child(node: object, part: int | str) -> object:
    if isinstance(node, Mapping):
        return node.get(part)
    if isinstance(node, list | tuple) and isinstance(part, int) and part < len(node):
        return node[part]
    return None


def _name(row: str, part: int | str, item: object) -> str:
    if isinstance(part, str):
        return part if not row else f"{row} {part!r}"
    if isinstance(item, Mapping):
        for field in _ROW_NAMES:
            if isinstance(item.get(field), str) and item[field]:
                return f"{row} {item[field]!r}"
    return f"{row} {part + 1}"


def _choices(ctx: Mapping[str, Any]) -> str:
    """pydantic's "'a', 'b' or 'c'" as "a, b, c"."""
    return ", ".join(str(ctx.get("expected", "")).replace("'", "").rsplit(" or ", 1))


def _mapping(field: str, value: object, ctx: Mapping[str, Any]) -> str:
    return (f"{field}: " if field else "") + f"expected a mapping of fields, found {_kind(value)}"


def _kind(value: object) -> str:
    return type(value).__name__


_UNKNOWN = ("extra_forbidden", "unexpected_keyword_argument")
_Wording = Callable[[str, object, Mapping[str, Any]], str]
_WORDING: dict[str, _Wording] = {
    "missing": lambda f, v, c: f"needs {f}",
    "string_too_short": lambda f, v, c: f"needs {f}",
    "string_pattern_mismatch": lambda f, v, c: f"needs {f}",
    "string_type": lambda f, v, c: f"{f} must be text",
    "bool_type": lambda f, v, c: f"{f} must be true or false",
    "int_type": lambda f, v, c: f"{f} must be a whole number, not {v!r}",
    "float_type": lambda f, v, c: f"{f} must be a number, not {v!r}",
    "decimal_type": lambda f, v, c: f"{f} must be a number, not {v!r}",
    "decimal_parsing": lambda f, v, c: f"{f} must be a number, not {v!r}",
    "enum": lambda f, v, c: f"{f} {v!r} is not one of {_choices(c)}",
    "literal_error": lambda f, v, c: f"{f} {v!r} is not one of {_choices(c)}",
    "too_short": lambda f, v, c: f"{f} must be a non-empty list",
    "tuple_type": lambda f, v, c: f"{f} must be a list",
    "list_type": lambda f, v, c: f"{f} must be a list",
    "dict_type": _mapping,
    "model_type": _mapping,
    "dataclass_type": _mapping,
}
