"""The demo's ledgers and invoices (issue 12): two recent months closed for every demo seller, this month's
rows for the dashboard, and loading it again adds nothing."""

from datetime import date
from unittest import mock

from billing.models import Invoice, InvoiceLine, SellerFigures
from inventory.models import ClosedPeriod, LedgerFile
from portal.dashboard.demo import load_demo_data
from portal.dashboard.demo_billing import demo_months
from portal.models import AuditEvent

TODAY = date(2026, 11, 30)


def test_demo_months_are_the_two_before_this_one():
    before, last, this = demo_months(date(2026, 1, 10))
    assert (str(before), str(last), str(this)) == ("2025-11", "2025-12", "2026-01")


def test_the_demo_closes_two_months_for_each_seller_and_is_idempotent(db):
    with mock.patch("django.utils.timezone.localdate", return_value=TODAY):
        load_demo_data()
    invoices = Invoice.objects.all()
    # youpin: 3 contracts, sakura-goods: 1, saigon-home: 2 -> 6 invoices a month, September and October
    assert invoices.count() == 12
    assert set(invoices.values_list("period", flat=True)) == {date(2026, 9, 1), date(2026, 10, 1)}
    assert all(invoice.total > 0 and invoice.lines.exists() for invoice in invoices)
    sakura = invoices.get(seller__code="sakura-goods", period=date(2026, 10, 1))
    assert sakura.currency == "JPY" and sakura.service_tax > 0  # the JP sample card's JCT 10 %
    invoice_events = AuditEvent.objects.filter(action__startswith="invoice.")
    september = invoices.filter(period=date(2026, 9, 1))
    assert set(september.values_list("status", "delivery_status")) == {("issued", "sent")}
    assert sorted(september.values_list("number", flat=True)) == sorted(
        set(september.values_list("number", flat=True))
    )
    paid = september.get(seller__code="youpin", service_line__code="cainiao-bonded")
    assert (paid.payment_status, paid.amount_paid) == ("paid", paid.total)
    assert september.exclude(pk=paid.pk).filter(payment_status="unpaid").count() == 5
    assert set(invoices.filter(period=date(2026, 10, 1)).values_list("status", flat=True)) == {"draft"}
    assert ClosedPeriod.objects.filter(month=date(2026, 9, 1)).count() == 6
    files, lines, events = LedgerFile.objects.count(), InvoiceLine.objects.count(), invoice_events.count()
    assert set(SellerFigures.objects.values_list("status", flat=True)) == {"fresh"}

    with mock.patch("django.utils.timezone.localdate", return_value=TODAY):
        load_demo_data()

    assert (LedgerFile.objects.count(), InvoiceLine.objects.count()) == (files, lines)
    assert invoice_events.count() == events  # nothing written again


def test_the_demo_has_one_open_and_one_resolved_dispute_on_the_issued_invoice(db):
    from billing.models import Dispute

    with mock.patch("django.utils.timezone.localdate", return_value=TODAY):
        load_demo_data()
        load_demo_data()  # idempotent
    disputes = Dispute.objects.order_by("pk")
    assert [(d.state, d.decision) for d in disputes] == [("closed", "credit_note"), ("proposed", "")]
    resolved, pending = disputes
    assert resolved.invoice == pending.invoice
    assert (resolved.invoice.seller.code, resolved.invoice.service_line.code) == (
        "youpin",
        "cainiao-overseas",
    )
    assert resolved.credit_note.total == -resolved.difference > 0
    assert pending.difference is not None and pending.line.ledger == "stock"
