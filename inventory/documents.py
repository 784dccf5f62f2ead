"""An inbound order's documents (SPEC §5 step 2, §11): packing list, carton labels and the commercial
invoice / customs declaration draft, rendered by WeasyPrint in the seller's language.

Fonts come from fontconfig (Debian's fonts-noto-cjk), with the CJK face that fits the language first so
Japanese kanji take Japanese forms. The only resources a document may load are the project's own static
files: every other URL (network, ``file://``, ``data:``) is refused by :class:`StaticOnlyURLFetcher`.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
import posixpath
import re
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from urllib.parse import unquote, urlsplit

from barcode import Code128
from barcode.errors import BarcodeError
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files import File
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_noop
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from inventory.models import InboundLine, InboundOrder, OrderDocument
from portal.choices import Country
from tariffs.rules.money import MINOR_UNITS, round_money

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

PACKING_LIST = gettext_noop("Packing list")
CARTON_LABEL = gettext_noop("Carton label")
COMMERCIAL_INVOICE = gettext_noop("Commercial invoice")
CUSTOMS_DECLARATION_DRAFT = gettext_noop("Customs declaration draft")

# The glossary's terms (shared/GLOSSARY.md) for the document titles, used while the message catalog
# has no translation for them yet; a translation in the catalog always wins.
GLOSSARY_TITLES = {
    "zh-hans": {
        PACKING_LIST: "装箱单",
        CARTON_LABEL: "箱唛",
        COMMERCIAL_INVOICE: "商业发票",
        CUSTOMS_DECLARATION_DRAFT: "报关单草稿",
    },
    "ja": {
        PACKING_LIST: "パッキングリスト",
        CARTON_LABEL: "外箱ラベル",
        COMMERCIAL_INVOICE: "コマーシャルインボイス",
        CUSTOMS_DECLARATION_DRAFT: "通関申告（下書き）",
    },
    "vi": {
        PACKING_LIST: "Phiếu đóng gói",
        CARTON_LABEL: "Nhãn thùng",
        COMMERCIAL_INVOICE: "Hóa đơn thương mại",
        CUSTOMS_DECLARATION_DRAFT: "Tờ khai hải quan (bản nháp)",
    },
}

LABEL_MAX_LINES = 6  # lines printed on a carton label; more would not fit one 100 × 150 mm page
GRAMS_PER_KG = Decimal(1000)
MM3_PER_M3 = Decimal(10**9)
VOLUME_PLACES = Decimal("0.001")


# --- Fetching: the project's static files only ------------------------------------------------------


class StaticOnlyURLFetcher(URLFetcher):
    """Serves ``/static/...`` from the staticfiles finders and refuses every other URL (STYLE "PDFs")."""

    def fetch(self, url, headers=None):
        path = static_path_of(url)
        if path is None:
            raise ValueError(f"refused to fetch {url!r}: documents load only the project's static files")
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


def document_language(order: InboundOrder) -> str:
    """The seller's language when the portal speaks it, else the site's default."""
    language = order.seller.language
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


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


def document_title(msgid: str, language: str) -> str:
    """A document's title in ``language``: the catalog's translation, else the glossary's term."""
    text = gettext(msgid)
    if text == msgid:
        text = GLOSSARY_TITLES.get(language, {}).get(msgid, msgid)
    return text


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


def html_to_pdf(html: str) -> bytes:
    """PDF bytes of an HTML document, loading nothing but the project's static files."""
    return HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyURLFetcher()).write_pdf()


def render_pdf(template_name: str, context: dict, *, language: str) -> bytes:
    """Render a template of ``templates/pdf/`` to PDF bytes in ``language``."""
    return html_to_pdf(render_html(template_name, context, language=language))


# --- Numbers ----------------------------------------------------------------------------------------


def group_digits(value: Decimal, language: str) -> str:
    """``1,234.50``; Vietnamese writes ``1.234,50`` (GLOSSARY "Numbers and dates")."""
    text = f"{value:,f}"
    if language == "vi":
        text = text.translate(str.maketrans(",.", ".,"))
    return text


def format_money(amount: Decimal, currency: str, language: str) -> str:
    """``USD 12.50``, ``JPY 1,500``: the ISO code with the amount in the currency's minor unit (§2)."""
    return f"{currency} {group_digits(round_money(amount, currency), language)}"


def format_unit_value(amount: Decimal, currency: str, language: str) -> str:
    """A unit value as declared: the currency's minor unit, or more places when it has them."""
    places = max(MINOR_UNITS.get(currency, 2), -amount.normalize().as_tuple().exponent)
    return f"{currency} {group_digits(amount.quantize(Decimal(1).scaleb(-places)), language)}"


def volume_m3(length_mm: int, width_mm: int, height_mm: int) -> Decimal:
    return Decimal(length_mm) * Decimal(width_mm) * Decimal(height_mm) / MM3_PER_M3


def round_volume(value: Decimal) -> Decimal:
    return value.quantize(VOLUME_PLACES, rounding=ROUND_HALF_UP)


# --- Barcodes ---------------------------------------------------------------------------------------


def code128_modules(value: str) -> str:
    """The Code 128 module pattern of ``value`` ("1" bar, "0" space), by python-barcode."""
    return Code128(value).build()[0]


def code128_svg(
    value: str, *, width_mm: Decimal = Decimal(88), height_mm: Decimal = Decimal(18)
) -> SafeString:
    """Inline SVG of ``value`` as a Code 128 barcode: the bars as one path (one SVG node draws fast),
    a 10-module quiet zone each side."""
    modules = code128_modules(value)
    quiet = 10
    total = len(modules) + 2 * quiet
    bars = "".join(
        f"M{match.start() + quiet} 0h{len(match.group())}v1h-{len(match.group())}z"
        for match in re.finditer(r"1+", modules)
    )
    return mark_safe(  # safe: our markup; the value is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" class="barcode" data-symbology="code128" '
        f'data-value="{escape(value)}" width="{width_mm}mm" height="{height_mm}mm" '
        f'viewBox="0 0 {total} 1" preserveAspectRatio="none" shape-rendering="crispEdges">'
        f'<rect width="{total}" height="1" fill="#fff"/><path fill="#000" d="{bars}"/></svg>'
    )


# --- The order, read once ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LineRow:
    """One carton line as the documents print it: the copy taken at submission (finding 7), or the
    SKU's live data for an order not submitted yet."""

    sku_id: int
    sku_code: str
    name_zh: str
    name_en: str
    name_ja: str
    fnsku: str
    barcode: str
    batch_no: str
    units: int
    material: str = ""
    hs_code: str = ""
    declared_value: Decimal | None = None
    declared_currency: str = ""
    net_weight_g: Decimal | None = None
    origin_country: str = ""


def line_row(line: InboundLine, seller_country: str) -> LineRow:
    source = line if line.snapshot_at else line.sku
    return LineRow(
        sku_id=line.sku_id,
        sku_code=line.sku_code if line.snapshot_at else line.sku.code,
        name_zh=source.name_zh,
        name_en=source.name_en,
        name_ja=source.name_ja,
        fnsku=source.fnsku,
        barcode=source.barcode,
        batch_no=line.batch_no,
        units=line.units,
        material=source.material,
        hs_code=source.hs_code,
        declared_value=source.declared_value,
        declared_currency=source.declared_currency,
        net_weight_g=source.net_weight_g,
        origin_country=line.origin_country if line.snapshot_at else seller_country,
    )


@dataclass(frozen=True)
class CartonRow:
    index: int
    count: int
    carton_id: str
    length_mm: int
    width_mm: int
    height_mm: int
    gross_weight_kg: Decimal
    volume_m3: Decimal
    lines: list[LineRow]

    @property
    def units(self) -> int:
        return sum(line.units for line in self.lines)

    @property
    def label_lines(self) -> list[LineRow]:
        return self.lines[:LABEL_MAX_LINES]

    @property
    def lines_not_on_label(self) -> int:
        return max(0, len(self.lines) - LABEL_MAX_LINES)


@dataclass
class OrderData:
    order: InboundOrder
    cartons: list[CartonRow]
    units: int
    gross_weight_kg: Decimal
    volume_m3: Decimal
    lines_by_sku: dict = field(default_factory=dict)  # sku id -> its first line (what is printed of it)
    units_by_sku: dict = field(default_factory=dict)  # sku id -> units
    submitted_on: date | None = None


def load_order(order: InboundOrder) -> OrderData:
    """The order with its seller, warehouse, operator, cartons and lines, in a few queries; the lines
    carry the SKU data copied at submission (live SKU data only before it)."""
    order = InboundOrder.objects.select_related("seller", "warehouse__operator").get(pk=order.pk)
    cartons = list(order.cartons.order_by("index"))
    lines_of: dict = defaultdict(list)
    for line in (
        InboundLine.objects.filter(carton__order=order).select_related("sku").order_by("carton", "id")
    ):
        lines_of[line.carton_id].append(line_row(line, order.seller.country))
    count = len(cartons)
    rows = []
    lines_by_sku: dict = {}
    units_by_sku: dict = defaultdict(int)
    for carton in cartons:
        lines = lines_of.get(carton.pk, [])
        for line in lines:
            lines_by_sku.setdefault(line.sku_id, line)
            units_by_sku[line.sku_id] += line.units
        rows.append(
            CartonRow(
                index=carton.index,
                count=count,
                carton_id=carton.carton_id,
                length_mm=carton.length_mm,
                width_mm=carton.width_mm,
                height_mm=carton.height_mm,
                gross_weight_kg=carton.gross_weight_kg,
                volume_m3=round_volume(volume_m3(carton.length_mm, carton.width_mm, carton.height_mm)),
                lines=lines,
            )
        )
    total_volume = sum(
        (volume_m3(c.length_mm, c.width_mm, c.height_mm) for c in cartons),
        Decimal(0),
    )
    submitted = order.events.filter(to_state=InboundOrder.State.SUBMITTED).order_by("at").first()
    return OrderData(
        order=order,
        cartons=rows,
        units=sum(row.units for row in rows),
        gross_weight_kg=sum((c.gross_weight_kg for c in cartons), Decimal(0)),
        volume_m3=round_volume(total_volume),
        lines_by_sku=lines_by_sku,
        units_by_sku=dict(units_by_sku),
        submitted_on=timezone.localdate(submitted.at) if submitted else None,
    )


LAYOUT_VERSION = "2"  # bump when a template of templates/pdf/ changes what the documents print


def content_version(data: OrderData) -> str:
    """A hash of everything the three documents print: equal hashes render equal documents, so each
    version is rendered once (issue 10). After submission the lines are copies, so it stays put."""
    order = data.order
    seller, warehouse, operator = order.seller, order.warehouse, order.warehouse.operator
    header = (
        LAYOUT_VERSION,
        order.number,
        order.trade_term,
        order.shipping_mode,
        data.submitted_on,
        (seller.name, seller.legal_name, seller.code, getattr(seller, "tax_id", ""), seller.country),
        seller.billing_email,
        (warehouse.code, warehouse.name, warehouse.address, warehouse.country),
        (operator.name, operator.legal_name, operator.address, operator.country),
    )
    digest = hashlib.sha256(repr(header).encode())
    for carton in data.cartons:
        digest.update(repr(carton).encode())
    return digest.hexdigest()


def common_context(data: OrderData, title_msgid: str, language: str, english_title: str) -> dict:
    order = data.order
    title = document_title(title_msgid, language)
    return {
        "order": order,
        "seller": order.seller,
        "warehouse": order.warehouse,
        "operator": order.warehouse.operator,
        "cartons": data.cartons,
        "totals": {
            "cartons": len(data.cartons),
            "units": data.units,
            "gross_weight_kg": data.gross_weight_kg,
            "volume_m3": data.volume_m3,
        },
        "title": title,
        "english_title": english_title if title != english_title else "",
        "header": f"{order.number} · {title}",
    }


# --- The three documents ----------------------------------------------------------------------------


def packing_list_context(order: InboundOrder, *, language: str, data: OrderData | None = None) -> dict:
    data = data or load_order(order)
    with translation.override(language):
        context = common_context(data, PACKING_LIST, language, "Packing list")
    context["isf_reminder"] = data.order.warehouse.country == "US"
    context["first_part"] = context["last_part"] = True
    return context


def carton_labels_context(
    order: InboundOrder, *, language: str, data: OrderData | None = None, cartons=None
) -> dict:
    """The labels of ``cartons`` (default: every carton of the order)."""
    data = data or load_order(order)
    with translation.override(language):
        context = common_context(data, CARTON_LABEL, language, "Carton label")
    context["labels"] = [
        {"carton": carton, "barcode": safe_code128_svg(carton.carton_id)}
        for carton in (data.cartons if cartons is None else cartons)
    ]
    return context


def safe_code128_svg(value: str) -> SafeString | None:
    """The barcode, or None when the value has characters Code 128 cannot carry."""
    if not value:
        return None
    try:
        return code128_svg(value)
    except BarcodeError:  # a character outside Code 128 (e.g. CJK)
        return None


@dataclass(frozen=True)
class InvoiceRow:
    sku_code: str
    hs_code: str
    name_en: str
    name_zh: str
    name_ja: str
    material: str
    units: int
    currency: str
    unit_value: str
    line_value: str


def commercial_invoice_context(
    order: InboundOrder, *, language: str, today=None, data: OrderData | None = None
) -> dict:
    data = data or load_order(order)
    rows = []
    totals: dict[str, Decimal] = defaultdict(Decimal)
    missing_values = []
    net_weight_g = Decimal(0)
    net_weight_known = True
    for sku_id, sku in sorted(data.lines_by_sku.items(), key=lambda item: item[1].sku_code):
        units = data.units_by_sku[sku_id]
        currency = sku.declared_currency
        if sku.declared_value is None:
            unit_value = line_value = "—"
            missing_values.append(sku.sku_code)
        else:
            amount = round_money(sku.declared_value * units, currency)
            totals[currency] += amount
            unit_value = format_unit_value(sku.declared_value, currency, language)
            line_value = format_money(amount, currency, language)
        if sku.net_weight_g is None:
            net_weight_known = False
        else:
            net_weight_g += sku.net_weight_g * units
        rows.append(
            InvoiceRow(
                sku_code=sku.sku_code,
                hs_code=sku.hs_code,
                name_en=sku.name_en,
                name_zh=sku.name_zh,
                name_ja=sku.name_ja if data.order.warehouse.country == "JP" else "",
                material=sku.material,
                units=units,
                currency=currency,
                unit_value=unit_value,
                line_value=line_value,
            )
        )
    origins = sorted({line.origin_country for line in data.lines_by_sku.values()} - {""})
    with translation.override(language):
        context = common_context(data, COMMERCIAL_INVOICE, language, "Commercial invoice")
        context["subtitle"] = document_title(CUSTOMS_DECLARATION_DRAFT, language)
        context["country_of_origin"] = (
            ", ".join(str(Country(code).label) for code in origins)
            if origins
            else data.order.seller.get_country_display()
        )
        context["destination_country"] = data.order.warehouse.get_country_display()
    context.update(
        english_subtitle="Customs declaration draft" if language != "en" else "",
        rows=rows,
        currency_totals=[(c, format_money(totals[c], c, language)) for c in sorted(totals)],
        missing_values=missing_values,
        net_weight_kg=(net_weight_g / GRAMS_PER_KG).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if net_weight_known
        else None,
        issue_date=today or data.submitted_on or timezone.localdate(),
    )
    return context


def packing_list_pdf(order: InboundOrder) -> bytes:
    """The packing list: order, seller, destination, cartons with their lines, and totals."""
    language = document_language(order)
    context = packing_list_context(order, language=language)
    return render_pdf("pdf/packing_list.html", context, language=language)


def carton_labels_pdf(order: InboundOrder) -> bytes:
    """One 100 × 150 mm label per carton: shipping mark, lines and the carton id as Code 128."""
    language = document_language(order)
    context = carton_labels_context(order, language=language)
    return render_pdf("pdf/carton_labels.html", context, language=language)


def commercial_invoice_pdf(order: InboundOrder, *, today=None) -> bytes:
    """The commercial invoice / customs declaration draft, watermarked DRAFT."""
    language = document_language(order)
    context = commercial_invoice_context(order, language=language, today=today)
    return render_pdf("pdf/commercial_invoice.html", context, language=language)


# --- Rendering on a worker: once per content version, labels in chunks ----------------------------

MAX_ATTEMPTS = 3


def write_merged_pdf(parts: Iterable[tuple[str, int]], out, progress: Callable[[int], None] | None) -> int:
    """Render each part (its HTML, and how many cartons it covers) to a temporary PDF and merge them with
    pypdf into ``out``. WeasyPrint keeps every page's layout in memory, so rendering in parts keeps the
    peak at that of one part (5,000 labels under 1 GB, issue 10); the parts are generated one at a time.
    ``progress`` gets the cartons done after each part."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    done = 0
    with tempfile.TemporaryDirectory(prefix="document-") as folder:
        for index, (html, count) in enumerate(parts):
            path = os.path.join(folder, f"{index:06d}.pdf")
            HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyURLFetcher()).write_pdf(path)
            writer.append(path)
            done += count
            if progress:
                progress(done)
        writer.write(out)
    return done


def write_labels_pdf(
    data: OrderData, out, *, language: str, chunk: int, progress: Callable[[int], None] | None = None
) -> int:
    """Every carton label into the file ``out``, ``chunk`` labels per WeasyPrint document."""

    def parts():
        for start in range(0, len(data.cartons), chunk):
            cartons = data.cartons[start : start + chunk]
            context = carton_labels_context(data.order, language=language, data=data, cartons=cartons)
            yield render_html("pdf/carton_labels.html", context, language=language), len(cartons)

    return write_merged_pdf(parts(), out, progress)


def write_packing_list_pdf(
    data: OrderData, out, *, language: str, chunk: int, progress: Callable[[int], None] | None = None
) -> int:
    """The packing list into the file ``out``. A long one (more than ``chunk`` cartons) is rendered in
    parts of ``chunk`` cartons, as the labels are: the first part carries the header, the last the
    totals, and each page's footer reads "Part k / n · Page x / y"."""
    context = packing_list_context(data.order, language=language, data=data)
    if len(data.cartons) <= chunk:
        html = render_html("pdf/packing_list.html", context, language=language)
        HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyURLFetcher()).write_pdf(out)
        if progress:
            progress(len(data.cartons))
        return len(data.cartons)
    starts = range(0, len(data.cartons), chunk)

    def parts():
        for part, start in enumerate(starts, start=1):
            cartons = data.cartons[start : start + chunk]
            with translation.override(language):
                part_counter = mark_safe(  # safe: css_string and the page counters
                    css_string(
                        gettext("Part %(part)d / %(parts)d") % {"part": part, "parts": len(starts)} + " · "
                    )
                    + " "
                    + page_counter_css()
                )
            part_context = {
                **context,
                "cartons": cartons,
                "first_part": part == 1,
                "last_part": part == len(starts),
                "page_counter": part_counter,
            }
            yield render_html("pdf/packing_list.html", part_context, language=language), len(cartons)

    return write_merged_pdf(parts(), out, progress)


def render_order_document(document_id: int, *, now=None) -> OrderDocument:
    """Render one ``OrderDocument`` to its file (issue 10). Running it again does nothing more; a
    document that keeps failing is given up after ``MAX_ATTEMPTS`` with the reason shown."""
    with transaction.atomic():
        document = OrderDocument.objects.select_for_update().get(pk=document_id)
        if document.status in (OrderDocument.Status.READY, OrderDocument.Status.FAILED):
            return document
        document.attempts += 1
        if document.attempts > MAX_ATTEMPTS:
            return _document_failed(
                document, gettext("Gave up after %(n)d attempts.") % {"n": MAX_ATTEMPTS}, now=now
            )
        document.status = OrderDocument.Status.RENDERING
        document.save(update_fields=["attempts", "status"])
    data = load_order(document.order)
    if content_version(data) != document.version:
        return _document_failed(document, gettext("The order changed; a newer version replaces it."), now=now)
    K = OrderDocument.Kind
    total = len(data.cartons) if document.kind in (K.LABELS, K.PACKING_LIST) else 1
    OrderDocument.objects.filter(pk=document.pk).update(pages_total=total)
    try:
        return _render_to_file(document, data, total, now=now)
    except Exception as exc:  # a crash is shown on the order page, not retried for ever
        logger.exception("rendering %s failed", document)
        return _document_failed(document, gettext("Rendering failed: %(error)s") % {"error": exc}, now=now)


def _render_to_file(document: OrderDocument, data: OrderData, total: int, *, now=None) -> OrderDocument:
    language = document.language
    K = OrderDocument.Kind
    with tempfile.TemporaryFile() as out:
        if document.kind == K.LABELS:
            write_labels_pdf(
                data,
                out,
                language=language,
                chunk=settings.DOCUMENT_LABELS_PER_CHUNK,
                progress=lambda n: OrderDocument.objects.filter(pk=document.pk).update(pages_done=n),
            )
        elif document.kind == K.PACKING_LIST:
            write_packing_list_pdf(
                data,
                out,
                language=language,
                chunk=settings.DOCUMENT_PACKING_LIST_CARTONS_PER_CHUNK,
                progress=lambda n: OrderDocument.objects.filter(pk=document.pk).update(pages_done=n),
            )
        else:
            context = commercial_invoice_context(data.order, language=language, data=data)
            HTML(
                string=render_html("pdf/commercial_invoice.html", context, language=language),
                base_url=BASE_URL,
                url_fetcher=StaticOnlyURLFetcher(),
            ).write_pdf(out)
        out.seek(0)
        with transaction.atomic():
            document = OrderDocument.objects.select_for_update().get(pk=document.pk)
            if document.status == OrderDocument.Status.READY:
                return document
            document.file.save(
                f"{document.kind}-{document.language}-{document.version[:12]}.pdf", File(out), save=False
            )
            document.status = OrderDocument.Status.READY
            document.pages_done = total
            document.finished_at = now or timezone.now()
            document.save()
    return document


def _document_failed(document: OrderDocument, message: str, *, now=None) -> OrderDocument:
    document.status = OrderDocument.Status.FAILED
    document.error = message
    document.finished_at = now or timezone.now()
    document.save(update_fields=["status", "error", "finished_at"])
    return document
