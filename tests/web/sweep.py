"""What the input sweep needs: every route of the URLconf, the forms every page offers, a
state of the stored data to compare, and absurd values.

Nothing here names a view: routes come from Django's resolver, fields from the HTML each page
renders, so a view added later is swept as soon as it is routed and a page links a form to it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlparse

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from hypothesis import strategies as st

from ldntrial.web.audit.models import Action, AuditEvent

# --- Routes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # "clinic:patient_new"
    pattern: str  # "clinic/patients/new/", with <converter:kwarg> placeholders
    kwargs: tuple[tuple[str, str], ...]  # (kwarg, converter name)

    def path(self, values: dict[str, str]) -> str:
        def fill(match: re.Match[str]) -> str:
            return values[match.group(2)]

        return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, self.pattern)


def routes(*, skip_namespaces: tuple[str, ...] = ("api",)) -> list[Route]:
    """Every named route of the URLconf (the API has its own schema and is swept from it)."""
    found: list[Route] = []

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = p.namespace or ""
                if ns in skip_namespaces:
                    continue
                full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
                walk(p.url_patterns, prefix + str(p.pattern), full_ns)
            elif isinstance(p, URLPattern) and p.name:
                text = prefix + str(p.pattern)
                kwargs = tuple(
                    (kw, conv or "str") for conv, kw in re.findall(r"<(?:(\w+):)?(\w+)>", text)
                )
                name = f"{namespace}:{p.name}" if namespace else p.name
                found.append(Route(name, text, kwargs))

    walk(get_resolver().url_patterns, "", "")
    return found


def route_name_of(path: str) -> str | None:
    try:
        match = resolve(urlparse(path).path)
    except Resolver404:
        return None
    return match.view_name


# --- Forms in pages ----------------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # text, number, date, time, checkbox, radio, select, textarea, hidden, ...
    options: list[str] = field(default_factory=list)
    default: list[str] = field(default_factory=list)
    multiple: bool = False


@dataclass
class Form:
    method: str
    action: str  # the path it posts to
    fields: dict[str, Field] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attrs_list}
        if tag == "form":
            action = attrs.get("action") or self.page
            self._form = Form(attrs.get("method", "get").lower(), urlparse(action).path)
            self.forms.append(self._form)
            return
        if self._form is None or "name" not in attrs:
            if tag == "option" and self._select is not None:
                self._option(attrs)
            return
        name = attrs["name"]
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            f = self._form.fields.setdefault(name, Field(name, kind))
            if kind in ("checkbox", "radio"):
                f.options.append(attrs.get("value", "on"))
                f.multiple = f.multiple or kind == "checkbox"
                if "checked" in attrs:
                    f.default.append(attrs.get("value", "on"))
            else:
                f.default = [attrs.get("value", "")]
        elif tag == "select":
            self._select = self._form.fields.setdefault(
                name, Field(name, "select", multiple="multiple" in attrs)
            )
        elif tag == "textarea":
            self._textarea = self._form.fields.setdefault(name, Field(name, "textarea"))
            self._textarea.default = [""]

    def _option(self, attrs: dict[str, str]) -> None:
        assert self._select is not None
        self._select.options.append(attrs.get("value", ""))
        if "selected" in attrs:
            self._select.default.append(attrs.get("value", ""))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.default = [self._textarea.default[0] + data]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            if self._select is not None and not self._select.default and self._select.options:
                self._select.default = [self._select.options[0]]
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_in(html: str, *, page: str) -> list[Form]:
    parser = _FormParser(page)
    parser.feed(html)
    return parser.forms


# --- What is stored ----------------------------------------------------------------------

# Events a refusal may write: reads of a record, and the security events (a failed sign-in,
# a refused access) that the security bar asks for.
_CLINICAL_ACTIONS = (Action.CREATE, Action.UPDATE, Action.DELETE)


def stored_state() -> str:
    """A digest of every clinical row (the clinic app) and the clinical audit events."""
    digest = hashlib.sha256()
    for model in apps.get_app_config("clinic").get_models():
        rows = list(model._default_manager.order_by("pk").values())
        digest.update(json.dumps(rows, default=str, sort_keys=True).encode())
    events = AuditEvent.objects.filter(action__in=_CLINICAL_ACTIONS).count()
    digest.update(str(events).encode())
    return digest.hexdigest()


# --- Values ------------------------------------------------------------------------------

ABSURD_TEXT = [
    "",
    " ",
    "0",
    "-1",
    "-0",
    "99999999999",
    "-99999999999",
    "9223372036854775808",
    "1" * 400,
    "1e309",
    "-1e309",
    "NaN",
    "inf",
    "0.000000001",
    "1,5",
    "9999-12-31",
    "0001-01-01",
    "1900-01-01",
    "1999-01-01",
    "2026-02-30",
    "99999-01-01",
    "-2026-01-01",
    "25:61",
    "24:00",
    "\x00",
    "a\x00b",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\u202e\u0000\ufeff",
    "💊" * 50,
    "x" * 5000,
    "true",
    "null",
    "[]",
]


def absurd_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(ABSURD_TEXT),
        st.integers(min_value=-(10**20), max_value=10**20).map(str),
        st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(
            dt.date.isoformat
        ),
        st.text(max_size=60),
    )


def field_values(f: Field) -> st.SearchStrategy[list[str]]:
    """What to send for one field: the page's own value most often (so a submission gets past
    the other fields), otherwise absurd values, a choice the page never offered, or nothing."""
    usual = st.just(list(f.default))
    if f.options:
        usual = st.one_of(usual, st.lists(st.sampled_from(f.options), max_size=3, unique=True))
    odd: st.SearchStrategy[list[str]] = st.one_of(
        absurd_text().map(lambda v: [v]),
        st.just([]),
        st.lists(absurd_text(), min_size=2, max_size=3),
    )
    return st.one_of(usual, usual, odd)


@st.composite
def payloads(draw: st.DrawFn, form: Form) -> dict[str, list[str]]:
    data = {name: draw(field_values(f)) for name, f in form.fields.items()}
    if draw(st.booleans()):
        data[draw(st.sampled_from(["unexpected", "id", "clinic", "status", "by"]))] = [
            draw(absurd_text())
        ]
    return {k: v for k, v in data.items() if v}


GENERIC_FIELDS = ["label", "birth_year", "day", "start_date", "interval_days", "dispensed_on"]


@st.composite
def generic_payloads(draw: st.DrawFn) -> dict[str, list[str]]:
    """For a route no page offers a form to (as this role): common field names, absurd values."""
    names = draw(st.lists(st.sampled_from(GENERIC_FIELDS), max_size=4, unique=True))
    return {n: [draw(absurd_text())] for n in names}


ABSURD_PATH = {
    "int": ["0", "99999999999999999999", "9223372036854775808", "2147483648"],
    "str": ["9999-12-31", "0001-01-01", "1900-01-01", "x", "2026-13-45", "%00"],
    "slug": ["x", "9999-12-31", "no-such-thing"],
}
