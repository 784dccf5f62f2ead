"""Template tags of the invoice pages for disputes (SPEC §13): a line under dispute shows its dispute, and a
line of an issued invoice inside the window offers "Dispute this line"."""

from django import template
from django.utils import timezone

from billing.disputes import window_closes
from billing.models import Dispute

register = template.Library()


@register.simple_tag
def line_disputes(invoice) -> dict:
    """{line id: its latest dispute} of an invoice (one query)."""
    found = {}
    for dispute in Dispute.objects.filter(invoice=invoice, line__isnull=False).order_by("opened_at", "pk"):
        found[dispute.line_id] = dispute
    return found


@register.simple_tag
def dispute_window_open(invoice) -> bool:
    last = window_closes(invoice) if invoice.is_issued else None
    return last is not None and timezone.localdate() <= last


@register.filter
def of_line(disputes: dict, line_id):
    return disputes.get(line_id)
