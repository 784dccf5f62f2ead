"""django-tables2 table of the seller's disputes."""

import django_tables2 as tables
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from billing.models import Dispute
from billing.tables import RIGHT, money

STATE_COLOURS = {
    Dispute.State.OPEN: "warning",
    Dispute.State.PROPOSED: "info",
    Dispute.State.ACCEPTED: "success",
    Dispute.State.REJECTED: "danger",
    Dispute.State.CLOSED: "secondary",
    Dispute.State.WITHDRAWN: "secondary",
}


def state_badge(dispute: Dispute):
    return format_html(
        '<span class="badge text-bg-{}" data-state="{}">{}</span>',
        STATE_COLOURS.get(dispute.state, "secondary"),
        dispute.state,
        dispute.get_state_display(),
    )


class DisputeTable(tables.Table):
    id = tables.Column(
        verbose_name=_("Dispute"),
        linkify=("disputes:dispute-detail", {"pk": tables.A("pk")}),
        order_by=("id",),
    )
    invoice = tables.Column(
        verbose_name=_("Invoice"), accessor="invoice__number", order_by=("invoice__number", "id")
    )
    period = tables.Column(
        verbose_name=_("Month"), accessor="invoice__period", order_by=("invoice__period", "id")
    )
    line = tables.Column(verbose_name=_("Line"), empty_values=(), orderable=False)
    reason = tables.Column(verbose_name=_("Reason"), empty_values=())
    origin = tables.Column(verbose_name=_("Opened by"), empty_values=())
    state = tables.Column(verbose_name=_("State"), empty_values=())
    difference = tables.Column(verbose_name=_("Proposed difference"), attrs=RIGHT, empty_values=())
    opened_at = tables.Column(verbose_name=_("Opened"))

    class Meta:
        model = Dispute
        fields = ("id", "invoice", "period", "line", "reason", "origin", "state", "difference", "opened_at")
        order_by = ("-opened_at",)
        empty_text = _("No dispute.")
        attrs = {"class": "table table-sm table-hover align-middle mb-0 text-nowrap", "id": "dispute-table"}
        row_attrs = {
            "data-state": lambda record: record.state,
            "id": lambda record: f"dispute-row-{record.pk}",
        }

    def render_id(self, value):
        return f"D-{value}"

    def render_period(self, value):
        return date_format(value, "YEAR_MONTH_FORMAT")

    def render_line(self, record):
        if record.line is None:
            return "—"
        return f"#{record.line.position} · {record.line.code}"

    def render_reason(self, record):
        return record.get_reason_display()

    def render_origin(self, record):
        return record.get_origin_display()

    def render_state(self, record):
        return state_badge(record)

    def render_difference(self, record):
        if record.difference is None:
            return "—"
        return money(record.difference, record.invoice.currency)

    def render_opened_at(self, value):
        return date_format(value, "SHORT_DATE_FORMAT")
