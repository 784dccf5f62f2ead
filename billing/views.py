"""Seller pages of invoices (SPEC §13, issue 12): the list with filters, the detail by section with every
line's formula and a chart of the previous six months, the rows behind each line (storage per day and
item), and the detail as CSV or XLSX. Drafts are shown as previews, marked as such."""

from __future__ import annotations

import json
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.db.models import Count
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from billing import selectors
from billing.exports import (
    CSV_TYPE,
    XLSX_TYPE,
    detail_csv,
    detail_filename,
    detail_xlsx,
    plain_number,
    section_amounts,
    text_of,
)
from billing.filters import InvoiceFilter
from billing.models import CreditNote, Invoice, StatementFile
from billing.statements import document_filename, request_statement
from billing.tables import InvoiceTable, StorageRowTable, cost_text
from inventory.ledgers.kinds import KINDS
from inventory.ledgers.views import row_table_class
from inventory.models import LedgerFile
from portal.paging import Key, SafeRequestConfig
from portal.tenancy import SellerObjectMixin, SellerViewMixin
from tariffs.rules import format_amount
from tariffs.rules.lines import SECTIONS

ROWS_PER_PAGE = 50
# A section lists this many lines on the page (a month of parcels may be a line each); the downloads hold all.
SECTION_LINES_SHOWN = 300


def section_labels() -> dict[str, str]:
    return {
        "fulfilment": _("Fulfilment"),
        "storage": _("Storage"),
        "services": _("Value-added and receiving services"),
        "pass_through": _("Pass-through taxes (customs)"),
        "adjustments": _("Adjustments"),
    }


def finding_label(kind: str) -> str:
    return {
        "unexplained_drop": _("Stock fell by more than the sales"),
        "volume_mismatch": _("Reported volume differs from the dimensions"),
    }.get(kind, _("Your records differ from the warehouse's"))


def ledger_label(kind: str) -> str:
    try:
        return str(LedgerFile.Kind(kind).label)
    except ValueError:
        return kind


class InvoiceListView(SellerViewMixin, TemplateView):
    """The seller's invoices, drafts (previews) included, filtered by month, status and payment."""

    template_name = "billing/invoice_list.html"

    def get_context_data(self, **kwargs):
        invoice_filter = InvoiceFilter(self.request.GET, queryset=selectors.seller_invoices(self.seller))
        queryset = invoice_filter.qs if invoice_filter.is_valid() else Invoice.objects.none()
        table = InvoiceTable(queryset)
        SafeRequestConfig(self.request, paginate={"per_page": 25}).configure(table)
        return super().get_context_data(filter=invoice_filter, table=table, **kwargs)


class InvoiceMixin(SellerObjectMixin):
    scoped_model = Invoice

    def get_invoice(self) -> Invoice:
        return selectors.seller_invoice(self.seller, self.kwargs["pk"])


class InvoiceDetailView(InvoiceMixin, TemplateView):
    template_name = "billing/invoice_detail.html"

    def get_context_data(self, **kwargs):
        invoice = self.get_invoice()
        labels = section_labels()
        amounts = section_amounts(invoice)
        counts = dict(
            invoice.lines.order_by()
            .values_list("section")
            .annotate(n=Count("pk"))
            .values_list("section", "n")
        )
        sections = []
        for name in SECTIONS:
            shown = (
                list(invoice.lines.filter(section=name).defer("inputs", "source_refs")[:SECTION_LINES_SHOWN])
                if counts.get(name)
                else []
            )
            section_lines = [
                {
                    "line": line,
                    "description": text_of(line.description_text, line.description),
                    "formula": text_of(line.formula_text, line.formula),
                    "quantity": plain_number(line.quantity),
                    "unit_price": plain_number(line.unit_price),
                    "amount": format_amount(line.amount, invoice.currency),
                    "drills": bool(line.ledger and line.rows_count),
                }
                for line in shown
            ]
            sections.append(
                {
                    "name": name,
                    "label": labels[name],
                    "lines": section_lines,
                    "amount": amounts[name],
                    "more": counts.get(name, 0) - len(shown),
                }
            )
        findings = [
            {
                "label": finding_label(finding.get("kind", "")),
                "item_id": finding.get("item_id", ""),
                "day": finding.get("day", ""),
                "text": text_of(finding.get("text"), finding.get("detail", "")),
            }
            for finding in invoice.findings or []
        ]
        history = selectors.section_history(invoice)
        chart = {
            "labels": [
                date_format(month.period.first_day, "YEAR_MONTH_FORMAT") + (" *" if month.is_draft else "")
                for month in history
            ],
            "datasets": [
                {"label": labels[name], "data": [str(month.sections[name]) for month in history]}
                for name in SECTIONS
            ],
        }
        kwargs.pop("pk", None)
        return super().get_context_data(
            invoice=invoice,
            sections=sections,
            findings=findings,
            tax_breakdown=[
                {
                    "percent": plain_number(Decimal(item["rate"]) * 100),
                    "taxable": format_amount(Decimal(item["taxable"]), invoice.currency),
                    "tax": format_amount(Decimal(item["tax"]), invoice.currency),
                }
                for item in (invoice.tax_breakdown or [])
            ],
            totals={
                name: format_amount(getattr(invoice, name), invoice.currency)
                for name in ("subtotal", "service_tax", "total")
            },
            balance={
                "credited": format_amount(invoice.amount_credited, invoice.currency),
                "paid": format_amount(invoice.amount_paid, invoice.currency),
                "due": format_amount(invoice.balance, invoice.currency),
            },
            credit_notes=[
                {"note": note, "amount": format_amount(note.total, note.currency)}
                for note in selectors.issued_credit_notes(invoice)
            ],
            chart_json=json.dumps(chart),
            has_history=any(month.invoice_id for month in history[:-1]),
            findings_hidden=max(invoice.findings_total - len(findings), 0),
            not_billed=[ledger_label(kind) for kind in invoice.not_billed or []],
            **kwargs,
        )


class InvoiceLineRowsView(InvoiceMixin, TemplateView):
    """The ledger rows behind one line, in keyset pages; a storage line per day and item with the volume
    and its cost at the line's rate, and the month's days summed."""

    template_name = "billing/invoice_line.html"

    def get_context_data(self, **kwargs):
        invoice = self.get_invoice()
        line = selectors.invoice_line(invoice, self.kwargs["position"])
        rows = selectors.rows_of_line(line)
        context = {
            "invoice": invoice,
            "line": line,
            "description": text_of(line.description_text, line.description),
            "formula": text_of(line.formula_text, line.formula),
            "quantity": plain_number(line.quantity),
            "unit_price": plain_number(line.unit_price),
            "section_label": section_labels().get(line.section, line.section),
            "amount": format_amount(line.amount, invoice.currency),
            "table": None,
        }
        if rows is not None:
            kind = line.ledger
            day = KINDS[kind].date_field
            config = SafeRequestConfig(self.request)
            if kind == "stock":
                keys = [Key(day), Key("item_id"), Key("id")]
                rate, rate_text = self.daily_rate(line, invoice)
                page = config.keyset_page(rows, keys, per_page=ROWS_PER_PAGE)
                table = StorageRowTable(
                    page.object_list, rate=rate, rate_text=rate_text, currency=invoice.currency
                )
                days = selectors.storage_days(rows)
                volume = sum((d["volume"] for d in days), Decimal(0))
                context.update(
                    storage=True,
                    rate=rate_text,
                    days=[
                        {
                            **d,
                            "volume_text": plain_number(d["volume"]),
                            "cost": None if rate is None else cost_text(d["volume"] * rate, invoice.currency),
                        }
                        for d in days
                    ],
                    days_volume_text=plain_number(volume),
                    days_cost=None if rate is None else cost_text(volume * rate, invoice.currency),
                )
            else:
                keys = [Key(day), Key("id")]
                page = config.keyset_page(rows, keys, per_page=ROWS_PER_PAGE)
                table = row_table_class(kind)(
                    page.object_list,
                    attrs={"class": "table table-sm table-hover mb-0 text-nowrap", "id": "line-rows"},
                )
                table.order_by = None
            table.keyset_page = page
            context.update(table=table, page=page, row_count=line.rows_count, kind_label=ledger_label(kind))
        kwargs.pop("pk", None)
        kwargs.pop("position", None)
        return super().get_context_data(**context, **kwargs)

    @staticmethod
    def daily_rate(line, invoice) -> tuple[Decimal | None, str]:
        """The line's price per CBM-day (a monthly price spread over the month's days) and how to show it."""
        if line.unit_price is None:
            return None, "—"
        if line.unit == "cbm_month":
            days = selectors.period_of(invoice).days
            return line.unit_price / days, f"{plain_number(line.unit_price)} / {days}"
        return line.unit_price, plain_number(line.unit_price)


class InvoiceDownloadView(InvoiceMixin, View):
    """The detail (every line with its formula, then the totals) as CSV or XLSX."""

    file_format = "csv"

    def get(self, request, pk):
        invoice = self.get_invoice()
        if self.file_format == "xlsx":
            content, content_type = detail_xlsx(invoice), XLSX_TYPE
        else:
            content, content_type = detail_csv(invoice), CSV_TYPE
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="{detail_filename(invoice, self.file_format)}"'
        )
        return response


class DocumentPdfMixin:
    """Serves an issued document's PDF in a language (``?language=``, default the seller's), rendered once
    on a worker and then from its stored file. Until it is stored the page says it is being prepared and
    reloads itself (the request renders nothing)."""

    REFRESH_SECONDS = 3

    def language(self, request) -> str:
        languages = dict(settings.LANGUAGES)
        language = request.GET.get("language")
        if language not in languages:
            language = self.seller.language if self.seller.language in languages else settings.LANGUAGE_CODE
        return language

    def serve(self, request, document, *, invoice: Invoice, credit_note: CreditNote | None = None):
        language = self.language(request)
        stored = request_statement(document, language)
        if stored.status == StatementFile.Status.READY:
            return FileResponse(
                stored.file.open("rb"),
                as_attachment=True,
                filename=document_filename(document, language),
                content_type="application/pdf",
            )
        return render(
            request,
            "billing/statement_preparing.html",
            {
                "invoice": invoice,
                "credit_note": credit_note,
                "stored": stored,
                "language_name": dict(settings.LANGUAGES)[language],
                "refresh": self.REFRESH_SECONDS,
                "failed": stored.status == StatementFile.Status.FAILED,
            },
        )


class InvoicePdfView(InvoiceMixin, DocumentPdfMixin, View):
    """The statement PDF of an issued invoice. A draft has no PDF for sellers yet."""

    def get(self, request, pk):
        invoice = self.get_invoice()
        if not invoice.is_issued:
            messages.info(request, _("The PDF statement is available once the invoice is issued."))
            return redirect("billing:invoice-detail", pk=invoice.pk)
        return self.serve(request, invoice, invoice=invoice)


class CreditNotePdfView(SellerObjectMixin, DocumentPdfMixin, View):
    """The PDF of one of the seller's issued credit notes; a draft one has none yet."""

    scoped_model = CreditNote

    def get(self, request, pk):
        note = selectors.seller_credit_note(self.seller, pk)
        if note.status != CreditNote.Status.ISSUED:
            messages.info(request, _("The PDF of a credit note is available once it is issued."))
            return redirect("billing:invoice-detail", pk=note.invoice_id)
        return self.serve(request, note, invoice=note.invoice, credit_note=note)
