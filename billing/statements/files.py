"""Rendering statements and credit notes (SPEC §11; issue 13): the PDF of a document in a language, and its
stored file, rendered once per issued document and language on a worker.

- ``render_document_pdf(document, language)``: the PDF bytes (any status; a draft is marked DRAFT on every
  page). WeasyPrint through ``portal.pdf``: it loads nothing but the project's static files. A long
  statement's detail is cut in pages here (``layout``) and rendered in runs of pages on several processes,
  merged with pypdf.
- ``request_statement(document, language)``: the ``StatementFile`` of an issued document, created (and its
  rendering queued after commit) on first request; a request never renders.
- ``render_statement_file(file_id)``: the task's work; running it twice stores one file.
- ``statement_pdf(document, language)``: the interface of the sending: the stored file (rendered here first
  when it is not yet), or a draft rendered on demand.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from billing.models import CreditNote, Invoice, StatementFile
from billing.statements import layout
from billing.statements.context import credit_note_context, invoice_context
from portal.pdf import css_string, html_to_pdf, html_to_pdf_parts, merge_pdfs, render_html

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# A file still queued this long after it was asked for is queued again (its task may have been lost).
REQUEUE_AFTER = timedelta(minutes=2)

# One family for every script of a document (Noto Sans CJK carries Latin, Vietnamese, Chinese and
# Japanese): no fallback between faces while laying out, one subset embedded. Japanese takes the JP forms.
FONT_FAMILIES = {
    "ja": '"Noto Sans CJK JP", "Noto Sans CJK SC", sans-serif',
    "zh-hans": '"Noto Sans CJK SC", "Noto Sans CJK JP", sans-serif',
}
DEFAULT_FAMILY = '"Noto Sans CJK SC", "Noto Sans CJK JP", sans-serif'


def document_language(language: str | None) -> str:
    codes = dict(settings.LANGUAGES)
    return language if language in codes else settings.LANGUAGE_CODE


def page_of_pages_css(total: int | None = None) -> str:
    """CSS ``content`` for "Page X of Y" in the active language (Y: ``total`` when a part of the statement
    is rendered alone, the document's own page count otherwise)."""
    text = gettext("Page %(page)s of %(pages)s")
    parts = []
    for piece in re.split(r"(%\(pages?\)s)", text):
        if piece == "%(page)s":
            parts.append("counter(page)")
        elif piece == "%(pages)s":
            parts.append(css_string(str(total)) if total else "counter(pages)")
        elif piece:
            parts.append(css_string(piece))
    return mark_safe(" ".join(parts))  # safe: css_string and counters only


WHOLE = {"first": True, "last": True, "offset": 0}


def document_context(document: Invoice | CreditNote, language: str) -> tuple[str, dict]:
    """The template and context of a document in ``language`` (a statement's detail already in pages)."""
    if isinstance(document, CreditNote):
        template, context = "pdf/billing/credit_note.html", credit_note_context(document, language)
    else:
        template, context = "pdf/billing/statement.html", invoice_context(document, language)
        with translation.override(language):
            detail_pages(context)
    with translation.override(language):
        context.update(
            font_stack=mark_safe(FONT_FAMILIES.get(language, DEFAULT_FAMILY)),  # safe: constant
            header_css=mark_safe(css_string(context["header"])),  # safe: css_string
            draft_css=mark_safe(css_string(context["draft_label"])),  # safe: css_string
        )
    return template, context


def document_html(document: Invoice | CreditNote, language: str) -> str:
    language = document_language(language)
    template, context = document_context(document, language)
    return part_html(template, context, language, WHOLE, total=None)


def part_html(template: str, context: dict, language: str, part: dict, *, total: int | None) -> str:
    """The HTML of the whole document (``part`` is ``WHOLE``) or of a run of its pages (``part``: first,
    last, the pages before it in ``offset``, and its ``pages``), numbered "page X of ``total``"."""
    with translation.override(language):
        page_counter = page_of_pages_css(total)
    extra = {"part": part, "page_counter": page_counter}
    if "pages" in part:
        extra["detail_pages"] = part["pages"]
    return render_html(template, {**context, **extra}, language=language)


# A statement of more lines than this has its first page to itself and its detail on pages of their own
# (cut here, so that it can be rendered in parts); a shorter one flows on from its first page.
INLINE_DETAIL_MAX = 60
# Lines' worth of rendering work of the first page and of the totals, when a statement is split in parts.
HEAD_WEIGHT, TAIL_WEIGHT = 60, 5


def detail_pages(context: dict) -> None:
    """Put the statement's detail, pass-through lines and totals in pages (``layout``)."""
    items: list[tuple[str, object]] = [("heading", ("detail", ""))]
    for section in context["sections"]:
        items.append(("row", ("detail", {"kind": "section", "label": section.label})))
        items.extend(("row", ("detail", {"kind": "line", "line": line})) for line in section.lines)
        items.append(
            ("row", ("detail", {"kind": "subtotal", "label": section.label, "amount": section.amount}))
        )
    if not context["sections"]:
        items.append(("row", ("detail", {"kind": "empty", "label": context["no_charge"]})))
    pass_through = context["pass_through"]
    items.append(("heading", ("pass_through", context["pass_through_note"])))
    items.extend(("row", ("pass_through", {"kind": "line", "line": line})) for line in pass_through.lines)
    if not pass_through.lines:
        items.append(("row", ("pass_through", {"kind": "empty", "label": context["no_pass_through"]})))
    items.append(
        (
            "row",
            (
                "pass_through",
                {"kind": "subtotal", "label": pass_through.label, "amount": pass_through.amount},
            ),
        )
    )
    items.append(("tail", len(context["tax_rows"])))
    paged = context["line_count"] > INLINE_DETAIL_MAX
    pages = layout.paginate(items, qualified=context["qualified"], paged=paged)
    for name, html_id in (("detail", "detail"), ("pass_through", "pass-through")):
        first = next(
            seg for page in pages for seg in page.segments if seg.kind == "table" and seg.name == name
        )
        first.html_id = html_id
    context["detail_pages"] = pages
    context["page_class"] = "sheet" if paged else ""


def render_document_pdf(document: Invoice | CreditNote, language: str) -> bytes:
    """The PDF of an invoice's statement or of a credit note in ``language``. A long statement is rendered
    in runs of whole pages on up to ``STATEMENT_RENDER_PROCESSES`` processes and merged (``render_parts``)."""
    language = document_language(language)
    template, context = document_context(document, language)
    pages = context.get("detail_pages") or []
    processes = settings.STATEMENT_RENDER_PROCESSES
    if processes < 2 or len(pages) < settings.STATEMENT_PARALLEL_MIN_PAGES:
        return html_to_pdf(part_html(template, context, language, WHOLE, total=None))
    runs = layout.split_pages(pages, processes, head_weight=HEAD_WEIGHT, tail_weight=TAIL_WEIGHT)
    return render_parts(template, context, language, runs, processes=processes)


def render_parts(template: str, context: dict, language: str, runs: list, *, processes: int) -> bytes:
    """Render each run of pages as a document of its own, in parallel, numbered as pages of the whole
    ("page X of Y" from the page count each run is expected to take: the first page, then its pages), and
    merge them. A run that took another number of pages (a row taller than estimated) is known once
    rendered: the runs are then rendered again with the counts they took."""
    counts = [len(run) + (1 if index == 0 else 0) for index, run in enumerate(runs)]
    for _attempt in range(2):
        htmls = []
        offset = 0
        for index, (run, count) in enumerate(zip(runs, counts, strict=True)):
            part = {"first": index == 0, "last": index == len(runs) - 1, "offset": offset, "pages": run}
            htmls.append(part_html(template, context, language, part, total=sum(counts)))
            offset += count
        pdfs = html_to_pdf_parts(htmls, processes=processes)
        taken = [_page_count(pdf) for pdf in pdfs]
        if taken == counts:
            break
        logger.info("statement parts took %s pages, not %s: rendered again", taken, counts)
        counts = taken
    return merge_pdfs(pdfs)


def document_filename(document: Invoice | CreditNote, language: str) -> str:
    kind = "credit-note" if isinstance(document, CreditNote) else "statement"
    label = document.number or f"draft-{document.pk}"
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in label)
    return f"{kind}-{safe}-{document_language(language)}.pdf"


# --- Stored files ------------------------------------------------------------------------------------------


def _document_filter(document: Invoice | CreditNote) -> dict:
    if isinstance(document, CreditNote):
        return {"credit_note": document}
    return {"invoice": document}


def request_statement(
    document: Invoice | CreditNote, language: str, *, now=None, queue: bool = True
) -> StatementFile:
    """The stored file of an issued document in ``language``; the first request creates it and queues its
    rendering after commit (bounded work: nothing is rendered here). ``queue=False``: the caller renders."""
    if document.status != "issued":
        raise ValueError("only an issued document's PDF is stored; render a draft on demand")
    language = document_language(language)
    now = now or timezone.now()
    found = StatementFile.objects.filter(**_document_filter(document), language=language).first()
    if found is None:
        try:
            with transaction.atomic():
                found = StatementFile.objects.create(**_document_filter(document), language=language)
        except IntegrityError:  # asked twice at once: the other request created it and queued it
            return StatementFile.objects.get(**_document_filter(document), language=language)
        if queue:
            _queue(found.pk)
    elif queue and found.status == StatementFile.Status.QUEUED and found.created_at < now - REQUEUE_AFTER:
        _queue(found.pk)
    return found


def _queue(file_id: int) -> None:
    from billing.tasks import render_statement_task

    transaction.on_commit(lambda: render_statement_task.delay(file_id))


def render_statement_file(file_id: int, *, now=None) -> StatementFile:
    """Render one stored statement file. A ready file is left as it is (a second run stores nothing);
    a file that keeps failing is given up after ``MAX_ATTEMPTS`` with the reason kept for ops."""
    with transaction.atomic():
        stored = StatementFile.objects.select_for_update().get(pk=file_id)
        if stored.status in (StatementFile.Status.READY, StatementFile.Status.FAILED):
            return stored
        stored.attempts += 1
        if stored.attempts > MAX_ATTEMPTS:
            return _failed(stored, f"gave up after {MAX_ATTEMPTS} attempts", now=now)
        stored.status = StatementFile.Status.RENDERING
        stored.save(update_fields=["attempts", "status"])
    document = stored.document
    try:
        content = render_document_pdf(document, stored.language)
    except Exception as exc:  # noqa: BLE001 - kept on the row for ops; a retry renders again
        logger.exception("rendering %s failed", stored)
        StatementFile.objects.filter(pk=stored.pk).update(
            status=StatementFile.Status.QUEUED, error=f"{type(exc).__name__}: {exc}"
        )
        raise
    with transaction.atomic():
        stored = StatementFile.objects.select_for_update().get(pk=file_id)
        if stored.status == StatementFile.Status.READY:
            return stored  # another run stored it meanwhile
        stored.file.save(document_filename(document, stored.language), ContentFile(content), save=False)
        stored.status = StatementFile.Status.READY
        stored.size = len(content)
        stored.pages = _page_count(content)
        stored.error = ""
        stored.finished_at = now or timezone.now()
        stored.save()
    return stored


def _page_count(content: bytes) -> int:
    from io import BytesIO

    from pypdf import PdfReader

    return len(PdfReader(BytesIO(content)).pages)


def _failed(stored: StatementFile, message: str, *, now=None) -> StatementFile:
    stored.status = StatementFile.Status.FAILED
    stored.error = message
    stored.finished_at = now or timezone.now()
    stored.save(update_fields=["status", "error", "finished_at", "attempts"])
    return stored


def statement_pdf(document: Invoice | CreditNote, language: str) -> tuple[str, bytes]:
    """The PDF of an invoice or a credit note in ``language``: its file name and bytes. An issued document's
    stored file (rendered and stored here first when it is not yet); a draft rendered on demand."""
    language = document_language(language)
    if document.status != "issued":
        return document_filename(document, language), render_document_pdf(document, language)
    stored = request_statement(document, language, queue=False)
    if stored.status != StatementFile.Status.READY:
        if stored.status == StatementFile.Status.FAILED:
            StatementFile.objects.filter(pk=stored.pk).update(status=StatementFile.Status.QUEUED, attempts=0)
        stored = render_statement_file(stored.pk)
    with stored.file.open("rb") as handle:
        return document_filename(document, language), handle.read()
