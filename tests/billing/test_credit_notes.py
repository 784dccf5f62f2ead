"""Credit notes (SPEC §9): reference the invoice, own gap-free series, never more than the invoice in all;
what had been paid beyond what the invoice now owes goes back to the credit balance."""

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection, connections

from billing.models import CreditNote, Invoice
from billing.selectors import credit_balance
from billing.services import (
    BillingError,
    create_credit_note,
    issue_credit_note,
    issue_invoice,
    record_payment,
)
from portal.models import AuditEvent
from tests.billing.documents import billing_world, draft_invoice

NOW = datetime(2026, 7, 3, 9, 0, tzinfo=UTC)


def credit(invoice, *amounts, reason="Over-billed storage"):
    note = create_credit_note(
        invoice=invoice,
        lines=[{"description": f"Refund {n}", "amount": amount} for n, amount in enumerate(amounts, 1)],
        reason=reason,
        now=NOW,
    )
    return issue_credit_note(credit_note=note, now=NOW)


@pytest.fixture
def issued(db):
    _, _, contract = billing_world()
    return issue_invoice(invoice=draft_invoice(contract), now=NOW)


def test_a_credit_note_has_its_own_series_and_lowers_what_the_invoice_owes(issued):
    first = credit(issued, "10.00", "5.50")
    second = credit(issued, "4.50")

    assert (first.number, first.total, first.currency, first.invoice) == (
        "CN-ACME-2026-000001",
        Decimal("15.50"),
        "CNY",
        issued,
    )
    assert second.number == "CN-ACME-2026-000002"
    assert [(line.description, line.amount) for line in first.lines.all()] == [
        ("Refund 1", Decimal("10.00")),
        ("Refund 2", Decimal("5.50")),
    ]
    issued.refresh_from_db()
    assert (issued.amount_credited, issued.balance, issued.number) == (
        Decimal("20.00"),
        Decimal("80.00"),
        "ACME-2026-000001",
    )
    assert AuditEvent.objects.filter(action="credit_note.issued").count() == 2


def test_credit_notes_never_total_more_than_the_invoice(issued):
    credit(issued, "60.00")
    with pytest.raises(BillingError, match="at most 40.00 CNY can still be credited"):
        create_credit_note(invoice=issued, lines=[{"description": "x", "amount": "40.01"}], reason="x")
    draft = create_credit_note(invoice=issued, lines=[{"description": "x", "amount": "30.00"}], reason="x")
    other = create_credit_note(invoice=issued, lines=[{"description": "y", "amount": "30.00"}], reason="y")
    issue_credit_note(credit_note=draft, now=NOW)

    with pytest.raises(BillingError, match="at most 10.00 CNY"):
        issue_credit_note(credit_note=other, now=NOW)

    other.refresh_from_db()
    assert (other.status, other.number) == ("draft", None)
    issued.refresh_from_db()
    assert issued.amount_credited == Decimal("90.00")
    assert credit(issued, "10.00").number == "CN-ACME-2026-000003"  # no gap after the refusal


def test_only_issued_invoices_are_credited_and_lines_are_checked(issued):
    draft = draft_invoice(issued.contract, period=date(2016, 7, 1))
    with pytest.raises(BillingError, match="draft"):
        create_credit_note(invoice=draft, lines=[{"description": "x", "amount": "1.00"}], reason="x")
    with pytest.raises(BillingError, match="more than zero"):
        create_credit_note(invoice=issued, lines=[{"description": "x", "amount": "-1.00"}], reason="x")
    with pytest.raises(BillingError, match="decimal places"):
        create_credit_note(invoice=issued, lines=[{"description": "x", "amount": "1.001"}], reason="x")
    with pytest.raises(BillingError, match="reason"):
        create_credit_note(invoice=issued, lines=[{"description": "x", "amount": "1.00"}], reason=" ")
    assert CreditNote.objects.count() == 0


def test_a_credit_note_on_a_paid_invoice_returns_the_excess_to_the_credit_balance(issued):
    record_payment(
        seller=issued.seller,
        currency="CNY",
        amount=Decimal("100.00"),
        received_on=date(2026, 7, 10),
        bank_reference="B-1",
        now=NOW,
    )
    issued.refresh_from_db()
    assert (issued.payment_status, credit_balance(issued.seller, "CNY")) == ("paid", Decimal("0.00"))

    credit(issued, "25.00")

    issued.refresh_from_db()
    assert (issued.amount_paid, issued.amount_credited, issued.balance, issued.payment_status) == (
        Decimal("75.00"),
        Decimal("25.00"),
        Decimal("0.00"),
        "paid",
    )
    assert credit_balance(issued.seller, "CNY") == Decimal("25.00")


def test_a_credit_note_that_settles_the_rest_makes_a_partly_paid_invoice_paid(issued):
    record_payment(
        seller=issued.seller, currency="CNY", amount=Decimal("70.00"), received_on=date(2026, 7, 10),
        bank_reference="B-1", now=NOW,
    )  # fmt: skip
    credit(issued, "30.00")
    issued.refresh_from_db()
    assert (issued.payment_status, issued.balance, credit_balance(issued.seller, "CNY")) == (
        "paid",
        Decimal("0.00"),
        Decimal("0.00"),
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_credit_notes_stay_within_the_invoice():
    _, _, contract = billing_world()
    invoice = issue_invoice(invoice=draft_invoice(contract), now=NOW)
    notes = [
        create_credit_note(invoice=invoice, lines=[{"description": "x", "amount": "30.00"}], reason="x")
        for _ in range(8)
    ]
    refused: list[str] = []
    errors: list[BaseException] = []

    def worker(note):
        try:
            issue_credit_note(credit_note=note, now=NOW)
        except BillingError as exc:
            refused.append(exc.message)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(note,)) for note in notes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(refused) == 5
    assert Invoice.objects.get().amount_credited == Decimal("90.00")
    assert sorted(CreditNote.objects.filter(status="issued").values_list("number_sequence", flat=True)) == [
        1,
        2,
        3,
    ]
