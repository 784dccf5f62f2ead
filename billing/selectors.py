"""Billing's reads (SPEC §9): open invoices, credit balances, what each seller owes."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from billing.models import MONEY, Invoice, Payment

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
