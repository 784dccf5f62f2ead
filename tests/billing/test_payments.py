"""Payments (SPEC §9): allocated to open invoices oldest first unless finance chooses; the excess is a credit
balance offered on the next invoice; payment status unpaid -> partially_paid -> paid, overdue past due."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from billing.models import Allocation, Payment
from billing.selectors import credit_balance, open_balances
from billing.services import BillingError, issue_invoice, mark_overdue, record_payment
from billing.tasks import mark_overdue_task
from portal.models import AuditEvent
from tests.billing.documents import billing_world, draft_invoice

NOW = datetime(2026, 7, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(db):
    seller, _, contract = billing_world(terms=60)
    june = issue_invoice(invoice=draft_invoice(contract, total=Decimal("100.00")), now=NOW)
    july = issue_invoice(
        invoice=draft_invoice(contract, period=date(2016, 7, 1), total=Decimal("50.00")),
        now=datetime(2026, 8, 3, tzinfo=UTC),
    )
    return seller, contract, june, july


def pay(seller, amount, **kwargs):
    kwargs.setdefault("received_on", date(2026, 8, 10))
    kwargs.setdefault("now", datetime(2026, 8, 10, tzinfo=UTC))
    return record_payment(
        seller=seller, currency="CNY", amount=Decimal(amount), bank_reference="BANK-1", **kwargs
    )


def state(invoice):
    invoice.refresh_from_db()
    return invoice.amount_paid, invoice.payment_status


def test_a_payment_goes_to_the_oldest_open_invoice_first(world):
    seller, _, june, july = world
    payment = pay(seller, "120.00")

    assert state(june) == (Decimal("100.00"), "paid")
    assert state(july) == (Decimal("20.00"), "partially_paid")
    assert list(payment.allocations.values_list("invoice__number", "amount")) == [
        ("ACME-2026-000001", Decimal("100.00")),
        ("ACME-2026-000002", Decimal("20.00")),
    ]
    assert credit_balance(seller, "CNY") == Decimal("0.00")
    assert AuditEvent.objects.filter(action="invoice.payment_allocated").count() == 2
    assert AuditEvent.objects.filter(action="payment.recorded", object_id=str(payment.pk)).count() == 1


def test_finance_chooses_the_invoices_and_amounts(world):
    seller, _, june, july = world
    pay(seller, "60.00", allocate_to=[(july, Decimal("50.00")), (june, Decimal("10.00"))])
    assert state(july) == (Decimal("50.00"), "paid")
    assert state(june) == (Decimal("10.00"), "partially_paid")

    pay(seller, "200.00", allocate_to=[june])  # an invoice without an amount takes what it owes
    assert state(june) == (Decimal("100.00"), "paid")
    assert credit_balance(seller, "CNY") == Decimal("110.00")


def test_an_explicit_allocation_is_checked_and_nothing_is_recorded_when_refused(world):
    seller, contract, june, july = world
    other_seller, _, other_contract = billing_world(operator_code="beta", seller_code="other")
    foreign = issue_invoice(invoice=draft_invoice(other_contract), now=NOW)
    draft = draft_invoice(contract, period=date(2016, 8, 1))
    cases = [
        ([(june, Decimal("100.01"))], "owes 100.00 CNY"),
        ([(june, Decimal("40.00")), (july, Decimal("30.00"))], "more than the payment"),
        ([foreign], "not an invoice of"),
        ([draft], "draft"),
        ([(july, Decimal("30.00")), (july, Decimal("30.00"))], "less than allocated to it"),
    ]
    for allocate_to, message in cases:
        with pytest.raises(BillingError, match=message):
            pay(seller, "60.00", allocate_to=allocate_to)
    assert (Payment.objects.count(), Allocation.objects.count()) == (0, 0)
    assert state(june) == (Decimal("0.00"), "unpaid")


def test_the_excess_is_a_credit_balance_offered_on_the_next_invoice(world):
    seller, contract, june, july = world
    pay(seller, "180.00")
    assert credit_balance(seller, "CNY") == Decimal("30.00")
    assert credit_balance(seller, "JPY") == Decimal("0")

    august = issue_invoice(
        invoice=draft_invoice(contract, period=date(2016, 8, 1), total=Decimal("45.00")),
        now=datetime(2026, 9, 3, tzinfo=UTC),
    )

    assert state(august) == (Decimal("30.00"), "partially_paid")
    assert credit_balance(seller, "CNY") == Decimal("0.00")
    assert Allocation.objects.filter(invoice=august).get().amount == Decimal("30.00")


def test_payment_amounts_are_checked(world):
    seller, *_ = world
    for amount, message in [("0", "more than zero"), ("1.005", "decimal places")]:
        with pytest.raises(BillingError, match=message):
            pay(seller, amount)
    with pytest.raises(BillingError, match="bank reference"):
        record_payment(
            seller=seller, currency="CNY", amount=Decimal(1), received_on=date(2026, 8, 1), bank_reference=""
        )
    assert Payment.objects.count() == 0


def test_the_overdue_job_marks_unpaid_invoices_past_their_due_date(world):
    seller, _, june, july = world  # due 2026-09-01 and 2026-10-02
    pay(seller, "40.00")  # June partly paid

    assert mark_overdue(today=date(2026, 9, 1)) == 0
    assert mark_overdue(today=date(2026, 9, 2)) == 1
    assert state(june) == (Decimal("40.00"), "overdue")
    assert state(july) == (Decimal("0.00"), "unpaid")
    assert mark_overdue(today=date(2026, 9, 2)) == 0  # idempotent

    pay(seller, "60.00", now=datetime(2026, 9, 20, tzinfo=UTC))
    assert state(june) == (Decimal("100.00"), "paid")
    assert mark_overdue(today=date(2026, 10, 3)) == 1
    assert state(july) == (Decimal("0.00"), "overdue")
    assert AuditEvent.objects.filter(action="invoice.overdue").count() == 2


def test_the_overdue_task_calls_the_service(world, settings):
    _, _, june, july = world  # both due in 2026 (issued invoices' dates cannot be changed to test this)
    assert mark_overdue_task.apply().get() == 2
    assert (state(june)[1], state(july)[1]) == ("overdue", "overdue")
    assert "mark-overdue-invoices" in settings.CELERY_BEAT_SCHEDULE


def test_open_balances_sum_what_each_seller_owes_and_what_is_overdue(world):
    seller, _, june, july = world
    pay(seller, "30.00")
    mark_overdue(today=date(2026, 9, 5))
    assert open_balances() == [
        {
            "seller_id": seller.pk,
            "seller__code": "shop",
            "seller__name": seller.name,
            "currency": "CNY",
            "invoices": 2,
            "owed": Decimal("120.00"),
            "overdue": Decimal("70.00"),
            "overdue_invoices": 1,
        }
    ]


def test_the_mark_overdue_command_runs_the_job(world, capsys):
    _, _, june, july = world
    call_command("mark_overdue", "--today", "2026-09-02")
    assert capsys.readouterr().out == "1 invoice(s) marked overdue\n"
    assert (state(june)[1], state(july)[1]) == ("overdue", "unpaid")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("mark_overdue", "--today", "2026-13-01")
