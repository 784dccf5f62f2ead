"""PDF statements of invoices and credit notes (SPEC §11; issue 13).

The interface the sending uses: ``statement_pdf(document, language) -> (filename, bytes)``. What a document
prints is built in ``context`` (the chart in ``chart``); the pages of a long detail in ``layout``; rendering
and the stored files are in ``files``; the templates are ``templates/pdf/billing/``.
"""

from billing.statements.files import (
    document_filename,
    render_document_pdf,
    render_statement_file,
    request_statement,
    statement_pdf,
)

__all__ = [
    "document_filename",
    "render_document_pdf",
    "render_statement_file",
    "request_statement",
    "statement_pdf",
]
