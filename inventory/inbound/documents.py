"""An inbound order's documents (SPEC §5 step 2, §11): packing list, carton labels and the commercial
invoice / customs declaration draft, rendered in the seller's language by the base's PDF module
(``portal.pdf``: WeasyPrint, the fonts, the fetcher that loads only the project's static files).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from barcode import Code128
from barcode.errors import BarcodeError
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_noop

from inventory.models import InboundLine, InboundOrder, OrderDocument
from portal.choices import Country
from portal.money import MINOR_UNITS, round_money
from portal.pdf import (  # noqa: F401  (tests reach them here)
    BASE_URL,
    StaticOnlyURLFetcher,
    css_string,
    html_to_pdf,
    page_counter_css,
    render_html,
    render_pdf,
)

logger = logging.getLogger(__name__)

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


# --- Rendering ---------------------------------------------------------------------------------------


def document_language(order: InboundOrder) -> str:
    """The seller's language when the portal speaks it, else the site's default."""
    language = order.seller.language
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def document_title(msgid: str, language: str) -> str:
    """A document's title in ``language``: the catalog's translation, else the glossary's term."""
    text = gettext(msgid)
    if text == msgid:
        text = GLOSSARY_TITLES.get(language, {}).get(msgid, msgid)
    return text


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
        seller.main_billing_email,
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
            html_to_pdf(html, target=path)
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
        html_to_pdf(html, target=out)
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
            html_to_pdf(render_html("pdf/commercial_invoice.html", context, language=language), target=out)
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
