"""HTML to PDF through WeasyPrint: the one place reports become PDF."""

from __future__ import annotations


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string=html).write_pdf())
