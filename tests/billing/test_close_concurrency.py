"""The close under concurrency on PostgreSQL (issue 12, "Tests"): eight threads closing the same seller and
month at once leave one draft, and none of them sees an IntegrityError."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from billing import close
from billing.models import CloseRun, Invoice, InvoiceLine
from tests.billing.test_close import JUNE, OUTBOUND, STOCK, upload
from tests.factories import ContractFactory, SellerFactory, ServiceLineFactory, preset_card

THREADS = 8


@pytest.mark.django_db(transaction=True)
def test_eight_threads_closing_the_same_seller_and_month_leave_one_draft():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and a shared database: PostgreSQL (make test)")
    seller = SellerFactory(code="shop", status="active")
    line = ServiceLineFactory(code="bonded")
    ContractFactory(seller=seller, service_line=line, rate_card=preset_card("cainiao-bonded"))
    upload("stock", STOCK, seller=seller, line=line)
    upload("outbound", OUTBOUND, seller=seller, line=line)
    start = threading.Barrier(THREADS)
    results, errors = [], []

    def close_it() -> None:
        try:
            start.wait(timeout=30)
            results.append(close.close_seller_month(seller=seller, period=JUNE))
        except BaseException as exc:  # noqa: BLE001 - every failure is reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's connection

    threads = [threading.Thread(target=close_it) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not [thread for thread in threads if thread.is_alive()]  # every thread returned
    assert errors == []
    assert len(results) == THREADS
    invoice = Invoice.objects.get()  # one draft
    assert (invoice.status, invoice.total, invoice.is_stale) == ("draft", Decimal("39.40"), False)
    # one thread wrote it; the seven others found the same draft and wrote nothing
    assert sorted(result.run.drafts_written for result in results) == [0] * (THREADS - 1) + [1]
    assert InvoiceLine.objects.filter(invoice=invoice).count() == 3  # storage + two parcels
    assert sum(line.amount for line in invoice.lines.all()) == Decimal("39.40")
    run = CloseRun.objects.get()
    assert (run.status, run.attempts) == (CloseRun.Status.DONE, THREADS)
