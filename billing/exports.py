"""Invoices as data (SPEC §12, §13): the JSON shape of ``export_invoices`` (lines and sections as
``simulate_invoice`` prints them), its CSV rows, and one invoice's detail as CSV or XLSX for the seller.

Descriptions, formulas and findings are stored as message ids with parameters beside the English text;
``text_of`` renders them in the active language (``translation.override`` to choose another). Text cells a
spreadsheet would run as formulas (``= + - @``) are escaped in CSV and XLSX; numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from billing.models import Invoice, InvoiceLine
from inventory.catalog.resources import escape_formula
from portal.money import MINOR_UNITS
from tariffs.messages import render
from tariffs.rules import format_amount
from tariffs.rules.lines import SECTIONS

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def text_of(message: Mapping[str, Any] | None, fallback: str) -> str:
    """A stored ``{"id", "params"}`` in the active language, or the stored English text."""
    if not message:
        return fallback
    return render(message.get("id"), message.get("params") or {}, fallback)


def plain_number(value: Decimal | None) -> str | None:
    """A stored quantity or price (9 decimal places in the column) as the engine prints it: no trailing
    zeros, no exponent (``35.178000000`` -> ``35.178``)."""
    if value is None:
        return None
    return f"{value.normalize():f}"


def section_amounts(invoice: Invoice) -> dict[str, str]:
    """The invoice's sections in the engine's order, as decimal strings in the currency's minor unit."""
    stored = invoice.sections or {}
    return {name: format_amount(Decimal(str(stored.get(name, "0"))), invoice.currency) for name in SECTIONS}


def line_dict(line: InvoiceLine, currency: str, *, localized: bool = False) -> dict[str, Any]:
    """One line in the shape of ``simulate_invoice`` (``tariffs.engine.Computation.as_dict``)."""
    return {
        "code": line.code,
        "section": line.section,
        "description": text_of(line.description_text, line.description) if localized else line.description,
        "quantity": plain_number(line.quantity),
        "unit": line.unit,
        "unit_price": plain_number(line.unit_price),
        "amount": format_amount(line.amount, currency),
        "formula": text_of(line.formula_text, line.formula) if localized else line.formula,
    }


def invoice_dict(invoice: Invoice, *, localized: bool = False) -> dict[str, Any]:
    """One invoice of ``export_invoices --format json`` (SPEC §12)."""
    money = lambda amount: format_amount(amount, invoice.currency)  # noqa: E731
    return {
        "seller": invoice.seller.code,
        "warehouse": invoice.warehouse.code,
        "service_line": invoice.service_line.code,
        "status": invoice.status,
        "number": invoice.number,
        "rate_card": invoice.rate_card.code,
        "version": invoice.rate_card_version.version,
        "currency": invoice.currency,
        "lines": [line_dict(line, invoice.currency, localized=localized) for line in invoice.lines.all()],
        "sections": section_amounts(invoice),
        "subtotal": money(invoice.subtotal),
        "service_tax": money(invoice.service_tax),
        "total": money(invoice.total),
        "not_billed": list(invoice.not_billed or []),
    }


def month_invoices(first_day) -> Iterable[Invoice]:
    """Every invoice of a month (all sellers; for ops' command line), in a stable order, lines prefetched."""
    return (
        Invoice.objects.filter(period=first_day)
        .select_related("seller", "warehouse", "service_line", "rate_card", "rate_card_version")
        .prefetch_related("lines")
        .order_by("seller__code", "warehouse__code", "service_line__code", "kind", "pk")
    )


EXPORT_CSV_HEADER = [
    "period",
    "seller",
    "warehouse",
    "service_line",
    "status",
    "number",
    "currency",
    "position",
    "code",
    "section",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "amount",
    "formula",
]


def export_csv_rows(invoices: Iterable[Invoice], period: str, *, localized: bool = False) -> Iterable[list]:
    """``export_invoices --format csv``: one row per line, the invoice's seller, service line, number and
    currency repeated."""
    yield EXPORT_CSV_HEADER
    for invoice in invoices:
        for line in invoice.lines.all():
            data = line_dict(line, invoice.currency, localized=localized)
            yield safe_cells(
                [
                    period,
                    invoice.seller.code,
                    invoice.warehouse.code,
                    invoice.service_line.code,
                    invoice.status,
                    invoice.number or "",
                    invoice.currency,
                    line.position,
                    data["code"],
                    data["section"],
                    data["description"],
                    data["quantity"],
                    data["unit"],
                    data["unit_price"] or "",
                    data["amount"],
                    data["formula"],
                ]
            )


def safe_cells(cells: list) -> list:
    """Text cells escaped against formula injection; numbers (and decimal strings of numbers) kept."""
    return [
        escape_formula(cell) if isinstance(cell, str) and not _is_number(cell) else cell for cell in cells
    ]


def _is_number(text: str) -> bool:
    try:
        return Decimal(text).is_finite() and text.strip() == text and text[:1] in "-0123456789"
    except ArithmeticError:
        return False


# --- One invoice's detail for the seller (CSV, XLSX) ----------------------------------------------------

DETAIL_HEADER = [
    "invoice",
    "period",
    "service_line",
    "currency",
    "position",
    "section",
    "code",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "amount",
    "formula",
    "ledger_rows",
]


def invoice_label(invoice: Invoice) -> str:
    return invoice.number or _("DRAFT %(id)s") % {"id": invoice.pk}


def detail_rows(invoice: Invoice) -> list[list]:
    """The detail: one row per line (its formula, in the active language), then the section totals,
    subtotal, service tax and total (``code`` says which; ``position`` empty). Amounts are Decimals in the
    currency's minor unit."""
    head = [invoice_label(invoice), f"{invoice.period:%Y-%m}", invoice.service_line.code, invoice.currency]
    rows = []
    for line in invoice.lines.all():
        rows.append(
            [
                *head,
                line.position,
                line.section,
                line.code,
                text_of(line.description_text, line.description),
                Decimal(plain_number(line.quantity)),
                line.unit,
                None if line.unit_price is None else Decimal(plain_number(line.unit_price)),
                Decimal(format_amount(line.amount, invoice.currency)),
                text_of(line.formula_text, line.formula),
                line.rows_count,
            ]
        )
    for name, amount in section_amounts(invoice).items():
        rows.append([*head, None, name, "section_total", "", None, "", None, Decimal(amount), "", None])
    for code, amount in (
        ("subtotal", invoice.subtotal),
        ("service_tax", invoice.service_tax),
        ("total", invoice.total),
    ):
        rows.append(
            [
                *head,
                None,
                "",
                code,
                "",
                None,
                "",
                None,
                Decimal(format_amount(amount, invoice.currency)),
                "",
                None,
            ]
        )
    return [safe_cells(row) for row in rows]


def detail_csv(invoice: Invoice) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads UTF-8 (Chinese, Japanese, Vietnamese text) only with a BOM
    writer = csv.writer(out)
    writer.writerow(DETAIL_HEADER)
    for row in detail_rows(invoice):
        writer.writerow(["" if cell is None else cell for cell in row])
    return out.getvalue().encode("utf-8")


def detail_xlsx(invoice: Invoice) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = re.sub(r"[\[\]:*?/\\]", "-", invoice_label(invoice))[:31]
    sheet.append(DETAIL_HEADER)
    digits = MINOR_UNITS.get(invoice.currency, 2)
    money_format = "0." + "0" * digits if digits else "0"
    amount_column = DETAIL_HEADER.index("amount") + 1
    for row in detail_rows(invoice):
        sheet.append(row)
        sheet.cell(row=sheet.max_row, column=amount_column).number_format = money_format
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def detail_filename(invoice: Invoice, extension: str) -> str:
    label = invoice.number or f"draft-{invoice.pk}"
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in label)
    return f"invoice-{safe}-{invoice.period:%Y-%m}.{extension}"
