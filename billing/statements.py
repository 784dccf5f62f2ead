"""PDF statements of invoices and credit notes (SPEC §11; issue 13).

Interface used by the sending service: ``statement_pdf(document, language) -> (filename, bytes)``, the
document's PDF in ``language`` (one of settings.LANGUAGES' codes). This first version is a placeholder that
the statement work replaces (same name and signature).
"""

from __future__ import annotations

from django.utils.html import escape

from portal.pdf import html_to_pdf


def statement_pdf(document, language: str) -> tuple[str, bytes]:
    """The PDF of an invoice or a credit note in ``language``: its file name and bytes."""
    label = document.number or f"draft-{document.pk}"
    html = f"<html><body><h1>{escape(label)}</h1></body></html>"
    return f"{label}-{language}.pdf", html_to_pdf(html)
