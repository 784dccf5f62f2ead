"""Billing's reads (SPEC §9, §13). Seller-scoped: the list, one invoice, its section history and the ledger
rows behind a line (every query starts from ``portal.tenancy.scope``). For finance: open invoices, credit
balances, what each seller owes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from billing.models import MONEY, CreditNote, Invoice, InvoiceLine, Payment
from inventory.ledgers.kinds import KINDS
from inventory.ledgers.store_facts import rows_of_refs
from portal.models import Seller
from portal.tenancy import scope
from tariffs.rules import Period, RowSet
from tariffs.rules.lines import SECTIONS

HISTORY_MONTHS = 6


def seller_invoices(seller: Seller) -> QuerySet[Invoice]:
    """The seller's invoices, drafts included: a draft is shown as a preview, marked "draft" (and "stale"
    when rows changed after it was computed); its figures may still change until it is issued."""
    return scope(Invoice.objects.all(), seller).select_related(
        "warehouse", "service_line", "rate_card", "rate_card_version"
    )


def seller_invoice(seller: Seller, pk: int) -> Invoice:
    try:
        return seller_invoices(seller).get(pk=pk)
    except Invoice.DoesNotExist as exc:
        raise Http404("No invoice found.") from exc


def seller_credit_note(seller: Seller, pk: int) -> CreditNote:
    try:
        return scope(CreditNote.objects.select_related("invoice"), seller).get(pk=pk)
    except CreditNote.DoesNotExist as exc:
        raise Http404("No credit note found.") from exc


def issued_credit_notes(invoice: Invoice) -> QuerySet[CreditNote]:
    """The invoice's issued credit notes (drafts are finance's own), oldest first."""
    return invoice.credit_notes.filter(status=CreditNote.Status.ISSUED).order_by("issued_at", "pk")


def invoice_line(invoice: Invoice, position: int) -> InvoiceLine:
    """A line of an invoice already scoped to the seller."""
    try:
        return invoice.lines.select_related("rule").get(position=position)
    except InvoiceLine.DoesNotExist as exc:
        raise Http404("No such invoice line.") from exc


def period_of(invoice: Invoice) -> Period:
    return Period(invoice.period.year, invoice.period.month)


def months_before(period: Period, count: int) -> list[Period]:
    """The ``count`` months before ``period``, oldest first."""
    months = []
    year, month = period.year, period.month
    for _ in range(count):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        months.append(Period(year, month))
    return months[::-1]


@dataclass(frozen=True)
class MonthSections:
    period: Period
    sections: dict[str, Decimal]
    invoice_id: int | None = None
    is_draft: bool = False


def section_history(invoice: Invoice, months: int = HISTORY_MONTHS) -> list[MonthSections]:
    """This invoice's sections beside the seller's previous ``months`` months on the same service line
    (regular invoices; a month without one counts zero), oldest first."""
    periods = [*months_before(period_of(invoice), months), period_of(invoice)]
    found = {
        other.period: other
        for other in scope(Invoice.objects.all(), invoice.seller).filter(
            service_line_id=invoice.service_line_id,
            kind=Invoice.Kind.REGULAR,
            period__gte=periods[0].first_day,
            period__lt=invoice.period,
        )
    }
    found[invoice.period] = invoice
    history = []
    for period in periods:
        other = found.get(period.first_day)
        sections = {
            name: Decimal(str((other.sections or {}).get(name, "0"))) if other else Decimal(0)
            for name in SECTIONS
        }
        history.append(
            MonthSections(
                period=period,
                sections=sections,
                invoice_id=other.pk if other else None,
                is_draft=bool(other) and other.status == Invoice.Status.DRAFT,
            )
        )
    return history


def ref_of(value: Any, period: Period) -> Any:
    """A stored source ref (JSON) as ``rows_of_refs`` takes it: ``{"kind", "item_id"}`` is a ``RowSet``."""
    if isinstance(value, dict):
        return RowSet(value["kind"], period, value.get("item_id"))
    return value


def rows_of_line(line: InvoiceLine) -> QuerySet | None:
    """The stored warehouse rows behind an invoice line (None for a line over other lines, such as a
    minimum-charge shortfall). The invoice must come from ``seller_invoice`` (scoped)."""
    invoice = line.invoice
    if not line.ledger or line.ledger not in KINDS or not line.source_refs:
        return None
    period = period_of(invoice)
    return rows_of_refs(
        [ref_of(value, period) for value in line.source_refs],
        kind=line.ledger,
        seller=invoice.seller,
        warehouse=invoice.warehouse,
        period=period,
        service_line=invoice.service_line,
    ).select_related("warehouse", "service_line")


def storage_days(rows: QuerySet) -> list[dict[str, Any]]:
    """A storage line's rows summed per day (at most 31): items, units in stock and volume (m³)."""
    return list(
        rows.order_by()
        .values("business_date")
        .annotate(items=Count("pk"), stock=Sum("stock_qty"), volume=Sum("daily_volume_m3"))
        .order_by("business_date")
    )


ZERO = Decimal(0)
_MONEY = DecimalField(**MONEY)


def open_invoices(seller, currency: str) -> QuerySet[Invoice]:
    """The seller's issued invoices in ``currency`` that still owe something, oldest first (issue date, then
    number): the order a payment is allocated in."""
    return (
        Invoice.objects.filter(seller=seller, currency=currency, status=Invoice.Status.ISSUED)
        .filter(total__gt=F("amount_credited") + F("amount_paid"))
        .order_by("issue_date", "number_year", "number_sequence", "pk")
    )


def unallocated_payments(seller_id: int, currency: str) -> list[Payment]:
    """The seller's payments in ``currency`` with money not yet allocated (``.unallocated``), oldest first."""
    payments = (
        Payment.objects.filter(seller_id=seller_id, currency=currency)
        .annotate(allocated=Coalesce(Sum("allocations__amount"), Value(ZERO), output_field=_MONEY))
        .annotate(unallocated=F("amount") - F("allocated"))
        .filter(unallocated__gt=0)
        .order_by("received_on", "pk")
    )
    return list(payments)


def credit_balance(seller, currency: str) -> Decimal:
    """What the seller paid in ``currency`` and is not allocated to an invoice (offered on the next one)."""
    paid = Payment.objects.filter(seller=seller, currency=currency).aggregate(
        total=Coalesce(Sum("amount"), Value(ZERO), output_field=_MONEY)
    )["total"]
    allocated = Payment.objects.filter(seller=seller, currency=currency).aggregate(
        total=Coalesce(Sum("allocations__amount"), Value(ZERO), output_field=_MONEY)
    )["total"]
    return paid - allocated


def open_balances(today=None) -> list[dict]:
    """Per seller and currency: open invoices, what they owe, how much is overdue (the admin's summary)."""
    owed = F("total") - F("amount_credited") - F("amount_paid")
    rows = (
        Invoice.objects.filter(status=Invoice.Status.ISSUED)
        .filter(total__gt=F("amount_credited") + F("amount_paid"))
        .values("seller_id", "seller__code", "seller__name", "currency")
        .annotate(
            invoices=Count("pk"),
            owed=Sum(owed, output_field=_MONEY),
            overdue=Coalesce(
                Sum(owed, filter=Q(payment_status=Invoice.Payment.OVERDUE), output_field=_MONEY),
                Value(ZERO),
                output_field=_MONEY,
            ),
            overdue_invoices=Count("pk", filter=Q(payment_status=Invoice.Payment.OVERDUE)),
        )
        .order_by("seller__code", "currency")
    )
    return list(rows)
