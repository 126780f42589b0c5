"""The reports' templates and the one engine that renders them, with or without a Django project.

The templates are Django templates under ``reports/templates/reports/``, autoescaped. The CLI
renders reports with no Django settings configured, so they go through a standalone
``django.template.Engine`` over that directory; the web app lists the same directory in its
``TEMPLATES`` setting, so that its pages include the very same partials (one set of templates).

Contexts hold text only: numbers and dates are formatted in Python before they reach a
template, because rendering a number makes Django ask its settings for a locale, and so that
the page and the PDF show the same characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from django.template import Context, Engine

TEMPLATE_DIR = Path(__file__).parent / "templates"


@cache
def engine() -> Engine:
    return Engine(dirs=[str(TEMPLATE_DIR)], autoescape=True)


def render(name: str, context: Mapping[str, object]) -> str:
    """The template ``name`` (e.g. ``reports/handout.html``) rendered with ``context``."""
    return engine().get_template(name).render(Context(dict(context)))
