"""A worker killed with ``kill -9`` in the middle of the close (issue 12, "The close"): no partial invoice is
left, and the task that was running is redelivered (acks_late; the Redis broker puts an unacknowledged message
back after the visibility timeout, shortened here to 3 s by ``CELERY_VISIBILITY_TIMEOUT``) and runs again to
completion in the next worker; the result equals a clean close."""

import signal
import time
import uuid

import pytest
from django.conf import settings as django_settings

from billing import close
from billing.models import CloseRun, Invoice
from inventory.ledgers.store_facts import month_facts
from tariffs.engine import compute_invoice
from tariffs.rules import Period
from tariffs.selectors import rule_specs, version_in_force
from tests.bench import bench_close
from tests.conftest import start_worker, stop_worker, wait_for

JUNE = Period(2016, 6)
SELLERS = 12
BATCH = 5
VISIBILITY_TIMEOUT = 3


def clean_close(contract) -> tuple:
    """What a clean close of the contract's June gives: total, and each line's code and amount in order."""
    line = contract.service_line
    facts = month_facts(seller=contract.seller, warehouse=line.warehouse, period=JUNE, service_line=line)
    version = version_in_force(contract.rate_card, JUNE)
    computation = compute_invoice(
        facts,
        rule_specs(version),
        currency=contract.rate_card.currency,
        customer_class=contract.customer_class,
        service_tax_rate=contract.rate_card.service_tax_rate,
        not_billed_kinds=version.not_billed_kinds,
    )
    return computation.totals.total, [(item.code, item.amount) for item in computation.lines]


def written(invoice) -> tuple:
    return invoice.total, list(invoice.lines.order_by("position").values_list("code", "amount"))


def assert_no_partial_invoice(expected: dict) -> None:
    for invoice in Invoice.objects.select_related("seller"):
        total, lines = written(invoice)
        assert sum(amount for _code, amount in lines) == total == invoice.subtotal
        assert (total, lines) == expected[invoice.seller.code]  # every line, as a clean close writes them


@pytest.mark.worker
@pytest.mark.slow
def test_a_worker_killed_mid_close_leaves_no_partial_invoice_and_the_task_runs_again(
    transactional_db, tmp_path, monkeypatch
):
    from django.db import connection

    from portal.celery import app

    if connection.vendor != "postgresql" or not django_settings.REDIS_URL:
        pytest.skip("a real worker needs PostgreSQL and Redis (make test)")
    warehouse, line, sellers, files = bench_close.setup_world(SELLERS)
    bench_close.generate(warehouse, line, sellers, files, stock_rows=SELLERS * 3000, parcels=SELLERS * 1500)
    contracts = {
        seller.code: seller.contracts.select_related("rate_card", "service_line__warehouse").get()
        for seller in sellers
    }
    expected = {code: clean_close(contract) for code, contract in contracts.items()}
    codes = sorted(contracts)  # the close takes its sellers in code order
    queue = f"test-close-{uuid.uuid4().hex[:8]}"
    broker_env = {
        "REDIS_URL": django_settings.REDIS_URL,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
    }
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    first = start_worker(broker_env=broker_env, tmp_path=tmp_path, queue=queue)
    second = None
    try:
        monkeypatch.setattr(close, "BATCH_SIZE", BATCH)  # three tasks: 5, 5 and 2 sellers
        close.queue_close(JUNE, sellers)

        def in_the_middle() -> bool:
            done = Invoice.objects.count()
            return (
                2 <= done <= SELLERS - 3 and CloseRun.objects.filter(status=CloseRun.Status.RUNNING).exists()
            )

        wait_for(in_the_middle, timeout=120, interval=0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = time.monotonic()

        interrupted = list(
            CloseRun.objects.filter(status=CloseRun.Status.RUNNING).values_list("seller__code", flat=True)
        )
        # the rest of the batch the worker was running when it died; the batches after it still queued
        batches = [codes[start : start + BATCH] for start in range(0, SELLERS, BATCH)]
        [batch] = [batch for batch in batches if set(interrupted) & set(batch)]
        assert len(interrupted) >= 1 and set(interrupted) <= set(batch)
        # a batch's drafts are written in one transaction: all of the batch's sellers, or none of them
        written_of_batch = set(
            Invoice.objects.filter(seller__code__in=batch).values_list("seller__code", flat=True)
        )
        assert written_of_batch in (set(), set(batch))
        later = [code for b in batches[batches.index(batch) + 1 :] for code in b]
        assert set(
            CloseRun.objects.filter(status=CloseRun.Status.QUEUED).values_list("seller__code", flat=True)
        ) == set(later)
        assert 2 <= Invoice.objects.count() < SELLERS
        assert_no_partial_invoice(expected)

        # a new worker after the visibility timeout: the unacknowledged task comes back and runs to the end
        time.sleep(max(0.0, VISIBILITY_TIMEOUT + 0.5 - (time.monotonic() - killed_at)))
        (tmp_path / "second").mkdir()
        second = start_worker(broker_env=broker_env, tmp_path=tmp_path / "second", queue=queue)
        wait_for(
            lambda: CloseRun.objects.filter(status=CloseRun.Status.DONE).count() == SELLERS,
            timeout=180,
            interval=0.1,
        )
    finally:
        app.conf.task_default_queue = previous_queue
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                stop_worker(proc)

    assert Invoice.objects.count() == SELLERS
    assert_no_partial_invoice(expected)  # and all of them there: the result of a clean close
    attempts = dict(CloseRun.objects.values_list("seller__code", "attempts"))
    assert attempts == {code: 2 if code in batch else 1 for code in contracts}  # the batch ran again
