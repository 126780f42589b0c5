"""HTML to PDF through WeasyPrint: the one place reports become PDF."""

from __future__ import annotations


def html_to_pdf(html: str, *, css: str | None = None) -> bytes:
    """``html`` as PDF; ``css`` is a stylesheet applied on top (for pages whose stylesheet is a
    static file that WeasyPrint cannot fetch)."""
    from weasyprint import CSS, HTML

    stylesheets = [CSS(string=css)] if css else None
    return bytes(HTML(string=html).write_pdf(stylesheets=stylesheets))
