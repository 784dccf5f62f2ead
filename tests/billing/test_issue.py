"""Issuing invoices (SPEC §9): gap-free numbers per operator and year, issue and due dates, stale drafts
refused, the ledger month closed and the rate card version frozen; supplementary invoices; sends."""

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from billing import close
from billing.models import Invoice
from billing.services import (
    BillingError,
    create_supplementary_invoice,
    issue_invoice,
    record_send,
)
from inventory.models import ClosedPeriod
from portal.models import AuditEvent
from tests.billing.documents import billing_world, draft_invoice
from tests.billing.test_close import JUNE, OUTBOUND, STOCK, upload
from tests.factories import ContractFactory, SellerFactory, ServiceLineFactory

NOW = datetime(2026, 7, 3, 9, 0, tzinfo=UTC)


def test_issue_numbers_dates_closes_the_month_and_freezes_the_version(db):
    seller, line, contract = billing_world(terms=14)
    invoice = draft_invoice(contract)

    issued = issue_invoice(invoice=invoice, now=NOW)

    issued.refresh_from_db()
    assert (issued.status, issued.number, issued.number_year, issued.number_sequence) == (
        "issued",
        "ACME-2026-000001",
        2026,
        1,
    )
    assert (issued.issue_date, issued.due_date, issued.issued_at) == (
        date(2026, 7, 3),
        date(2026, 7, 17),
        NOW,
    )
    assert (issued.payment_status, issued.delivery_status) == ("unpaid", "not_sent")
    closed = ClosedPeriod.objects.get()
    assert (closed.seller, closed.service_line, closed.month, closed.reference) == (
        seller,
        line,
        date(2016, 6, 1),
        "ACME-2026-000001",
    )
    issued.rate_card_version.refresh_from_db()
    assert issued.rate_card_version.frozen_at == NOW
    event = AuditEvent.objects.get(action="invoice.issued")
    assert (event.object_id, event.data["number"], event.data["total"]) == (
        str(invoice.pk),
        issued.number,
        "100.00",
    )


def test_numbers_follow_per_operator_and_restart_each_year(db):
    _, _, contract = billing_world()
    _, _, other_operator = billing_world(operator_code="beta", seller_code="shop2")
    first = issue_invoice(invoice=draft_invoice(contract, period=date(2016, 6, 1)), now=NOW)
    second = issue_invoice(invoice=draft_invoice(contract, period=date(2016, 7, 1)), now=NOW)
    elsewhere = issue_invoice(invoice=draft_invoice(other_operator), now=NOW)
    next_year = issue_invoice(
        invoice=draft_invoice(contract, period=date(2016, 8, 1)), now=datetime(2027, 1, 2, tzinfo=UTC)
    )
    assert [first.number, second.number, elsewhere.number, next_year.number] == [
        "ACME-2026-000001",
        "ACME-2026-000002",
        "BETA-2026-000001",
        "ACME-2027-000001",
    ]


def test_a_rolled_back_issue_leaves_no_gap(db):
    _, _, contract = billing_world()
    june, july = draft_invoice(contract), draft_invoice(contract, period=date(2016, 7, 1))
    with pytest.raises(RuntimeError), transaction.atomic():
        issue_invoice(invoice=june, now=NOW)
        raise RuntimeError("the caller failed after the number was taken")
    assert Invoice.objects.get(pk=june.pk).status == "draft"
    assert issue_invoice(invoice=july, now=NOW).number == "ACME-2026-000001"


def test_a_stale_draft_is_refused_and_takes_no_number(db):
    _, _, contract = billing_world()
    stale = draft_invoice(contract)
    Invoice.objects.filter(pk=stale.pk).update(is_stale=True)
    with pytest.raises(BillingError, match="stale"):
        issue_invoice(invoice=stale, now=NOW)
    stale.refresh_from_db()
    assert (stale.status, stale.number) == ("draft", None)
    assert ClosedPeriod.objects.count() == 0
    assert issue_invoice(invoice=draft_invoice(contract, period=date(2016, 7, 1)), now=NOW).number.endswith(
        "1"
    )


def test_a_draft_whose_rows_changed_is_refused_and_marked_stale(db):
    _, _, contract = billing_world()
    invoice = draft_invoice(contract)
    Invoice.objects.filter(pk=invoice.pk).update(inputs_digest="computed from other rows")

    with pytest.raises(BillingError, match="changed since its draft was computed"):
        issue_invoice(invoice=invoice, now=NOW)

    invoice.refresh_from_db()
    assert (invoice.status, invoice.is_stale, invoice.number) == ("draft", True, None)
    assert AuditEvent.objects.filter(action="invoice.draft_stale", object_id=str(invoice.pk)).count() == 1
    assert ClosedPeriod.objects.count() == 0  # the close of the ledger month rolled back


def test_a_warehouse_upload_after_the_close_makes_the_draft_unissuable_until_the_next_close(db):
    seller = SellerFactory(code="shop", status="active")
    line = ServiceLineFactory(code="bonded")
    ContractFactory(seller=seller, service_line=line)
    upload("stock", STOCK, seller=seller, line=line)
    close.close_seller_month(seller=seller, period=JUNE)
    upload("outbound", OUTBOUND, seller=seller, line=line)

    with pytest.raises(BillingError, match="stale"):
        issue_invoice(invoice=Invoice.objects.get(), now=NOW)

    close.close_seller_month(seller=seller, period=JUNE)
    issued = issue_invoice(invoice=Invoice.objects.get(), now=NOW)
    assert (issued.number, issued.total) == (
        f"{issued.operator.code.upper()}-2026-000001",
        Decimal("39.40"),
    )


def test_an_issued_invoice_is_not_issued_again(db):
    _, _, contract = billing_world()
    invoice = issue_invoice(invoice=draft_invoice(contract), now=NOW)
    with pytest.raises(BillingError, match="already issued"):
        issue_invoice(invoice=invoice, now=NOW)
    assert Invoice.objects.get().number == "ACME-2026-000001"


def test_a_closed_draft_is_issued_and_later_uploads_for_its_month_are_refused(db):
    seller = SellerFactory(code="shop", status="active")
    line = ServiceLineFactory(code="bonded")
    ContractFactory(seller=seller, service_line=line)
    upload("stock", STOCK, seller=seller, line=line)
    close.close_seller_month(seller=seller, period=JUNE)
    invoice = Invoice.objects.get()

    issue_invoice(invoice=invoice, now=NOW)

    with pytest.raises(AssertionError, match="2016-06 is closed for seller shop"):
        upload("outbound", OUTBOUND, seller=seller, line=line)  # the helper asserts the upload was stored
    assert Invoice.objects.get().total == Decimal("0.90")


def test_a_supplementary_invoice_references_the_original_and_takes_the_next_number(db):
    _, _, contract = billing_world()
    original = issue_invoice(invoice=draft_invoice(contract), now=NOW)
    with pytest.raises(BillingError, match="draft"):
        create_supplementary_invoice(
            original=draft_invoice(contract, period=date(2016, 7, 1)),
            lines=[{"section": "services", "description": "x", "amount": "1.00"}],
        )

    supplement = create_supplementary_invoice(
        original=original,
        lines=[
            {"section": "services", "description": "Crating missed in June", "amount": "40.00"},
            {"section": "pass_through", "description": "Duty paid for you", "amount": "12.50"},
        ],
        now=NOW,
    )

    assert (supplement.kind, supplement.original, supplement.status, supplement.period) == (
        "supplementary",
        original,
        "draft",
        original.period,
    )
    assert (supplement.subtotal, supplement.total, supplement.lines.count()) == (
        Decimal("52.50"),
        Decimal("52.50"),
        2,
    )
    issued = issue_invoice(invoice=supplement, now=NOW)
    assert issued.number == "ACME-2026-000002"


def test_record_send_counts_each_send_and_refuses_a_draft(db):
    _, _, contract = billing_world()
    draft = draft_invoice(contract, period=date(2016, 7, 1))
    with pytest.raises(BillingError, match="draft"):
        record_send(invoice=draft)
    invoice = issue_invoice(invoice=draft_invoice(contract), now=NOW)
    record_send(invoice=invoice, now=NOW)
    later = datetime(2026, 7, 5, tzinfo=UTC)
    record_send(invoice=invoice, now=later)
    invoice.refresh_from_db()
    assert (invoice.delivery_status, invoice.sent_count, invoice.last_sent_at) == ("sent", 2, later)
    assert AuditEvent.objects.filter(action="invoice.sent").count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_200_issues_from_16_threads_with_rollbacks_give_numbers_1_to_n():
    _, _, contract = billing_world()
    drafts = [
        draft_invoice(contract, period=date(2016 + n // 12, n % 12 + 1, 1), total=Decimal("1.00"))
        for n in range(200)
    ]
    work = list(enumerate(drafts))
    lock = threading.Lock()
    errors: list[BaseException] = []

    class ForcedRollback(Exception):
        pass

    def worker():
        try:
            while True:
                with lock:
                    if not work:
                        return
                    index, invoice = work.pop()
                try:
                    with transaction.atomic():
                        issue_invoice(invoice=invoice, now=NOW)
                        if index % 7 == 3:
                            raise ForcedRollback
                except ForcedRollback:
                    pass
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    rolled_back = sum(1 for n in range(200) if n % 7 == 3)
    numbers = sorted(Invoice.objects.filter(status="issued").values_list("number_sequence", flat=True))
    assert numbers == list(range(1, 200 - rolled_back + 1))
    assert Invoice.objects.filter(status="draft").count() == rolled_back
