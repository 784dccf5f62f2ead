"""django-tables2 tables of the seller's invoice pages."""

from decimal import Decimal

import django_tables2 as tables
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from billing.models import Invoice
from portal.money import MINOR_UNITS
from tariffs.rules import format_amount

RIGHT = {"td": {"class": "text-end"}, "th": {"class": "text-end"}}


def money(amount: Decimal, currency: str) -> str:
    return f"{format_amount(amount, currency)} {currency}"


class InvoiceTable(tables.Table):
    number = tables.Column(
        verbose_name=_("Invoice"),
        linkify=("billing:invoice-detail", {"pk": tables.A("pk")}),
        order_by=("number", "id"),
        empty_values=(),
    )
    period = tables.Column(verbose_name=_("Month"), order_by=("period", "id"))
    service_line = tables.Column(
        verbose_name=_("Service line"), order_by=("service_line__name", "id"), accessor="service_line"
    )
    rate_card = tables.Column(
        verbose_name=_("Rate card"), accessor="rate_card__code", order_by=("rate_card__code", "id")
    )
    status = tables.Column(verbose_name=_("Status"), empty_values=())
    payment_status = tables.Column(verbose_name=_("Payment"), empty_values=())
    issue_date = tables.Column(verbose_name=_("Issued"))
    due_date = tables.Column(verbose_name=_("Due"))
    total = tables.Column(verbose_name=_("Total"), attrs=RIGHT)

    class Meta:
        model = Invoice
        fields = (
            "number",
            "period",
            "service_line",
            "rate_card",
            "status",
            "payment_status",
            "issue_date",
            "due_date",
            "total",
        )
        order_by = ("-period", "service_line__name")
        empty_text = _("No invoice yet.")
        attrs = {"class": "table table-sm table-hover align-middle mb-0 text-nowrap", "id": "invoice-table"}
        row_attrs = {"data-status": lambda record: record.status}

    def render_number(self, record):
        if record.number:
            return record.number
        return format_html('<span class="text-muted">{}</span>', _("Draft #%(id)s") % {"id": record.pk})

    def render_period(self, value):
        return date_format(value, "YEAR_MONTH_FORMAT")

    def render_service_line(self, record):
        return f"{record.service_line.name} · {record.warehouse.code}"

    def render_status(self, record):
        if record.status == Invoice.Status.ISSUED:
            return format_html('<span class="badge text-bg-success">{}</span>', record.get_status_display())
        badge = format_html(
            '<span class="badge text-bg-warning" title="{}">{}</span>',
            _("A preview: its figures may change until the invoice is issued."),
            _("draft"),
        )
        if record.is_stale:
            badge += format_html(
                ' <span class="badge text-bg-danger" title="{}">{}</span>',
                _("Rows changed after this draft was computed; the month will be closed again."),
                _("stale"),
            )
        return badge

    def render_payment_status(self, record):
        if record.status != Invoice.Status.ISSUED:
            return "—"
        colour = {
            Invoice.Payment.PAID: "success",
            Invoice.Payment.PARTIALLY_PAID: "info",
            Invoice.Payment.OVERDUE: "danger",
        }.get(record.payment_status, "secondary")
        return format_html(
            '<span class="badge text-bg-{}">{}</span>', colour, record.get_payment_status_display()
        )

    def render_issue_date(self, value):
        return date_format(value, "SHORT_DATE_FORMAT")

    def render_due_date(self, value):
        return date_format(value, "SHORT_DATE_FORMAT")

    def render_total(self, record):
        return money(record.total, record.currency)


class StorageRowTable(tables.Table):
    """A storage line's stock rows, one per day and item: the volume and its cost at the line's rate."""

    business_date = tables.Column(verbose_name=_("Day"))
    item_id = tables.Column(verbose_name=_("Item"))
    stock_qty = tables.Column(verbose_name=_("Units in stock"), attrs=RIGHT)
    daily_volume_m3 = tables.Column(verbose_name=_("Volume (m³)"), attrs=RIGHT)
    rate = tables.Column(verbose_name=_("Rate"), empty_values=(), orderable=False, attrs=RIGHT)
    cost = tables.Column(verbose_name=_("Volume × rate"), empty_values=(), orderable=False, attrs=RIGHT)

    class Meta:
        orderable = False
        template_name = "billing/_rows_table.html"
        attrs = {"class": "table table-sm table-hover mb-0 text-nowrap", "id": "line-rows"}

    def __init__(self, *args, rate: Decimal | None, rate_text: str, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.rate = rate
        self.rate_text = rate_text
        self.currency = currency

    def render_business_date(self, value):
        return date_format(value, "SHORT_DATE_FORMAT")

    def render_daily_volume_m3(self, value):
        return f"{value.normalize():f}"

    def render_rate(self):
        return "—" if self.rate is None else self.rate_text

    def render_cost(self, record):
        if self.rate is None:
            return "—"
        return cost_text(record.daily_volume_m3 * self.rate, self.currency)


def cost_text(exact: Decimal, currency: str) -> str:
    """A part of a line's amount shown at two more decimals than the currency's minor unit (a line is rounded
    once, as a whole)."""
    return f"{exact.quantize(Decimal(1).scaleb(-(MINOR_UNITS.get(currency, 2) + 2))):f}"
