"""The one PDF rendering module (base layer): WeasyPrint, the fonts per language, and the URL fetcher that
serves the project's static files and refuses every other URL (STYLE "PDFs").

Fonts come from fontconfig (Debian's fonts-noto-cjk), with the CJK face that fits the language first so
Japanese kanji take Japanese forms. The only resources a document may load are the project's own static
files: every other URL (network, ``file://``, ``data:``) is refused by :class:`StaticOnlyURLFetcher`.
Inbound documents (``inventory.inbound.documents``) and invoices render through it.
"""

from __future__ import annotations

import logging
import mimetypes
import multiprocessing
import posixpath
import re
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from io import BytesIO
from pathlib import Path
from urllib.parse import unquote, urlsplit

import django
from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

# The documents' own origin: `/static/...` in a template resolves under it, and nothing else is served.
BASE_URL = "https://portal-documents.invalid/"

# CSS font stacks per language: the CJK face of the language first (Japanese forms of kanji for ja).
# Noto Sans CJK carries Latin and Vietnamese glyphs too; DejaVu Sans is the last resort.
FONT_STACKS = {
    "zh-hans": '"Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans", "DejaVu Sans", sans-serif',
    "ja": '"Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans", "DejaVu Sans", sans-serif',
    "vi": '"Noto Sans", "Noto Sans CJK SC", "Noto Sans CJK JP", "DejaVu Sans", sans-serif',
    "en": '"Noto Sans", "Noto Sans CJK SC", "Noto Sans CJK JP", "DejaVu Sans", sans-serif',
}
HTML_LANG = {"zh-hans": "zh-Hans", "ja": "ja", "vi": "vi", "en": "en"}


# --- Fetching: the project's static files only ------------------------------------------------------


class StaticOnlyURLFetcher(URLFetcher):
    """Serves ``/static/...`` from the staticfiles finders and refuses every other URL (STYLE "PDFs")."""

    def fetch(self, url, headers=None):
        path = static_path_of(url)
        if path is None:
            raise ValueError(f"refused to fetch {url!r}: documents load only the project's static files")
        if not apps.ready:  # a worker process of html_to_pdf_parts: Django set up on its first fetch
            django.setup()
        found = finders.find(path)
        if not found:
            raise FileNotFoundError(f"no static file {path!r}")
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(url, Path(found).read_bytes(), {"Content-Type": content_type})


def static_path_of(url: str) -> str | None:
    """The static file a URL names (``pdf/pdf.css``), or None when it is anything else."""
    prefix = BASE_URL.rstrip("/") + settings.STATIC_URL
    if not url.startswith(prefix):
        return None
    raw = urlsplit(url[len(prefix) :]).path
    path = unquote(raw)
    if not path or "\\" in path or "\x00" in path or path.startswith("/"):
        return None
    if posixpath.normpath(path) != path or path.split("/")[0] == "..":
        return None
    return path


# --- Rendering ---------------------------------------------------------------------------------------


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string that cannot close the string or the ``<style>`` element."""
    out = []
    for char in str(text):
        if char.isalnum() or char == " " or ord(char) > 127:
            out.append(char)
        else:
            out.append(f"\\{ord(char):x} ")
    return '"' + "".join(out) + '"'


def page_counter_css() -> SafeString:
    """CSS ``content`` for "Page X / Y" in the active language, from a translatable format."""
    text = gettext("Page %(page)s / %(pages)s")
    parts = []
    for piece in re.split(r"(%\(pages?\)s)", text):
        if piece == "%(page)s":
            parts.append("counter(page)")
        elif piece == "%(pages)s":
            parts.append("counter(pages)")
        elif piece:
            parts.append(css_string(piece))
    return mark_safe(" ".join(parts))  # safe: built from css_string and counters only


def render_html(template_name: str, context: dict, *, language: str) -> str:
    """The document's HTML in ``language`` (the step before WeasyPrint, kept separate for tests)."""
    with translation.override(language):
        base = {
            "language": language,
            "html_lang": HTML_LANG.get(language, language),
            "font_stack": mark_safe(FONT_STACKS.get(language, FONT_STACKS["en"])),  # safe: constant
            "page_counter": page_counter_css(),
            "header_css": mark_safe(css_string(context.get("header", ""))),  # safe: css_string
        }
        return render_to_string(template_name, {**base, **context})


def html_to_pdf(html: str, *, target=None) -> bytes | None:
    """PDF bytes of an HTML document (or, with ``target``, the PDF written to that path or file), loading
    nothing but the project's static files."""
    return HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyURLFetcher()).write_pdf(target)


def html_to_pdf_parts(htmls: list[str], *, processes: int) -> list[bytes]:
    """PDF bytes of each HTML document, the first rendered here while the others render in up to
    ``processes - 1`` worker processes at once. The workers are forked from a ``forkserver`` that has
    WeasyPrint loaded (never from this process: safe in a Celery prefork or solo worker, its threads and
    connections not copied); they live for this call only. Without worker processes, one after another."""
    if processes < 2 or len(htmls) < 2:
        return [html_to_pdf(html) for html in htmls]
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["portal.pdf"])
    try:
        with ProcessPoolExecutor(max_workers=min(processes - 1, len(htmls) - 1), mp_context=context) as pool:
            others = [pool.submit(html_to_pdf, html) for html in htmls[1:]]
            first = html_to_pdf(htmls[0])
            return [first, *(future.result() for future in others)]
    except (OSError, BrokenProcessPool) as exc:  # no worker process: rendered here
        logger.warning("rendering in worker processes failed (%s); rendering here", exc)
        return [html_to_pdf(html) for html in htmls]


def merge_pdfs(pdfs: list[bytes]) -> bytes:
    """One PDF of the pages of ``pdfs`` in order (pypdf)."""
    from pypdf import PdfReader, PdfWriter

    if len(pdfs) == 1:
        return pdfs[0]
    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(PdfReader(BytesIO(pdf)))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def render_pdf(template_name: str, context: dict, *, language: str) -> bytes:
    """Render a template of ``templates/pdf/`` to PDF bytes in ``language``."""
    return html_to_pdf(render_html(template_name, context, language=language))
