"""The close of a batch of sellers (issue 12, "Speed"): a worker's task closes ``close.BATCH_SIZE`` sellers,
reading their facts, findings and drafts in a few set-based queries. It must give exactly what closing each
seller alone gives, and fall back to the locked path when an invoice changed after the batch read it."""

from unittest import mock

import pytest

from billing import close
from billing.models import CloseRun, Invoice
from inventory.ledgers import checks
from inventory.ledgers.store_facts import month_facts, month_facts_of_sellers
from tariffs.rules import Period
from tests.factories import ContractFactory, SellerFactory, ServiceLineFactory, preset_card
from tests.inventory.test_store_facts import csv_bytes, store

JUNE = Period(2016, 6)
# item A: 10 -> 6 with 1 sold on the 2nd (3 units unaccounted for); item B: a reported volume 40x its
# dimensions' (a volume mismatch)
STOCK = [
    "2016-06-01,{wh},{seller},A,100,300,200,3,,1,10",
    "2016-06-02,{wh},{seller},A,100,300,200,3,,1,6",
    "2016-06-03,{wh},{seller},A,100,300,200,3,,1,{last}",
    "2016-06-01,{wh},{seller},B,100,200,300,1,0.5,0,2",
]
OUTBOUND = [
    "{seller}-P1,2016-06-03,{wh},{seller},1.2,1,,,,,,",
    "{seller}-P2,2016-06-04,{wh},{seller},3.001,5,2,SF,HK,300,200,100",
]


@pytest.fixture
def world(db):
    """Sellers a, b, c and e on one service line (e without rows), d on a line of another warehouse; c also
    sent its own stock records, which disagree with the warehouse's on one day."""
    line = ServiceLineFactory(code="bonded")
    other = ServiceLineFactory(code="general")
    card = preset_card("cainiao-bonded")
    sellers = {code: SellerFactory(code=code, status="active") for code in "abcde"}
    for code, seller in sellers.items():
        ContractFactory(seller=seller, service_line=other if code == "d" else line, rate_card=card)
    for index, code in enumerate("abcd"):
        on = other if code == "d" else line
        rows = [row.format(wh=on.warehouse.code, seller=code, last=5 - index) for row in STOCK]
        store("stock", csv_bytes("stock", rows), warehouse=on.warehouse, name=f"stock-{code}.csv")
        rows = [row.format(wh=on.warehouse.code, seller=code) for row in OUTBOUND[: 1 + index % 2]]
        store("outbound", csv_bytes("outbound", rows), warehouse=on.warehouse, name=f"outbound-{code}.csv")
    mine = [row.format(wh=line.warehouse.code, seller="c", last=9) for row in STOCK[:3]]
    store("stock", csv_bytes("stock", mine), warehouse=line.warehouse, seller=sellers["c"], source="seller")
    return sellers, line, other


def test_the_facts_of_a_batch_equal_each_sellers_own(world):
    sellers, line, _other = world
    ids = [sellers[code].pk for code in "abce"]

    batch = month_facts_of_sellers(seller_ids=ids, warehouse=line.warehouse, period=JUNE, service_line=line)

    assert sorted(batch) == sorted(ids)
    for seller_id in ids:
        alone = month_facts(seller=seller_id, warehouse=line.warehouse, period=JUNE, service_line=line)
        assert batch[seller_id] == alone
    assert batch[sellers["e"].pk].ledgers == {}
    assert set(batch[sellers["a"].pk].ledgers) == {"stock", "outbound"}


def test_the_findings_of_a_batch_equal_each_sellers_own(world):
    sellers, line, _other = world
    ids = [sellers[code].pk for code in "abce"]
    first, last = JUNE.first_day, JUNE.last_day

    batch = checks.stock_findings_of_sellers(ids, [line.warehouse.pk], first, last)

    for seller_id in ids:
        assert batch[seller_id] == checks.stock_findings(seller_id, [line.warehouse.pk], first, last)
    kinds = {code: sorted({f.kind for f in batch[sellers[code].pk][0]}) for code in "abce"}
    assert kinds == {
        "a": ["unexplained_drop", "volume_mismatch"],
        "b": ["unexplained_drop", "volume_mismatch"],
        "c": ["source_mismatch", "unexplained_drop", "volume_mismatch"],
        "e": [],
    }


def test_the_drops_of_a_batch_keep_each_sellers_first_ones_and_count(world):
    sellers, line, _other = world
    ids = [sellers[code].pk for code in "ab"]

    found = checks.unexplained_drops_of_sellers(
        ids, [line.warehouse.pk], JUNE.first_day, JUNE.last_day, limit=1
    )

    for seller_id in ids:
        alone = checks.unexplained_drops(
            seller_id, [line.warehouse.pk], JUNE.first_day, JUNE.last_day, limit=1
        )
        assert found[seller_id] == alone
    assert found[sellers["b"].pk][1] == 2  # the 2nd and the 3rd (6 -> 4 with 1 sold) of item A


def written() -> dict[str, tuple]:
    return {
        invoice.seller.code: (
            invoice.service_line.code,
            invoice.content_digest,
            invoice.total,
            list(invoice.lines.order_by("position").values_list("code", "amount", "rows_count")),
        )
        for invoice in Invoice.objects.select_related("seller", "service_line")
    }


def test_a_batch_writes_what_closing_each_seller_alone_writes(world):
    sellers, _line, _other = world

    results = close.close_sellers_month(sellers=list(sellers.values()), period=JUNE)

    assert [result.run.seller.code for result in results] == list("abcde")
    assert [result.run.drafts_written for result in results] == [1, 1, 1, 1, 0]
    assert {run.status for run in CloseRun.objects.all()} == {CloseRun.Status.DONE}
    batch = written()
    assert sorted(batch) == list("abcd")
    assert batch["d"][0] == "general"
    assert Invoice.objects.get(seller__code="c").findings_total == 4  # 2 drops, a volume, its own records

    Invoice.objects.all().delete()
    for seller in sellers.values():
        close.close_seller_month(seller=seller, period=JUNE)
    assert written() == batch

    again = close.close_sellers_month(sellers=list(sellers.values()), period=JUNE)
    assert [result.run.drafts_written for result in again] == [0] * 5
    assert [result.run.drafts_unchanged for result in again] == [1, 1, 1, 1, 0]
    assert written() == batch


def test_an_invoice_changed_after_the_batch_read_it_is_closed_again_under_its_lock(world):
    sellers, line, _other = world
    close.close_sellers_month(sellers=list(sellers.values()), period=JUNE)
    draft = Invoice.objects.get(seller=sellers["a"])
    rows = [OUTBOUND[1].format(wh=line.warehouse.code, seller="a").replace("P2", "P9")]
    store("outbound", csv_bytes("outbound", rows), warehouse=line.warehouse, name="late.csv")
    draft.refresh_from_db()
    assert draft.is_stale  # the new upload marked it

    read_facts = close._facts_of_sellers

    def facts_then_another_close_writes(contracts, period, *stock):
        facts = read_facts(contracts, period, *stock)
        Invoice.objects.filter(pk=draft.pk).update(content_digest="written meanwhile")
        return facts

    with (
        mock.patch.object(close, "_facts_of_sellers", facts_then_another_close_writes),
        mock.patch.object(close, "_close_contract_locked", wraps=close._close_contract_locked) as locked,
    ):
        results = close.close_sellers_month(sellers=list(sellers.values()), period=JUNE)

    assert [call.args[0].seller.code for call in locked.call_args_list] == ["a"]
    assert [result.run.drafts_written for result in results] == [1, 0, 0, 0, 0]
    draft.refresh_from_db()
    assert not draft.is_stale and draft.content_digest != "written meanwhile"
    assert draft.lines.filter(code__isnull=False).count() >= 1
    alone = dict(written())
    Invoice.objects.filter(pk=draft.pk).delete()
    close.close_seller_month(seller=sellers["a"], period=JUNE)
    assert written()["a"] == alone["a"]


def test_queue_close_hands_the_sellers_to_tasks_in_batches(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    sellers, _line, _other = world
    monkeypatch.setattr(close, "BATCH_SIZE", 2)

    with (
        mock.patch("billing.tasks.close_sellers_month_task.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert close.queue_close(JUNE, list(reversed(sellers.values()))) == 5

    batches = [[sellers_by_pk(pk) for pk in call.args[0]] for call in delay.call_args_list]
    assert batches == [["a", "b"], ["c", "d"], ["e"]]
    assert {call.args[1] for call in delay.call_args_list} == {"2016-06"}
    assert set(CloseRun.objects.values_list("status", flat=True)) == {CloseRun.Status.QUEUED}


def sellers_by_pk(pk: int) -> str:
    from portal.models import Seller

    return Seller.objects.get(pk=pk).code


def test_one_scan_of_the_stock_month_gives_what_the_separate_reads_give(world, monkeypatch):
    """PostgreSQL: ``read_stock_month_of_sellers`` (the close's one scan: window and sums together) gives each
    seller's stock facts, drops and input counts exactly as ``month_facts``, ``unexplained_drops`` and
    ``month_inputs`` read them apart; a seller with more drops than kept has its first ones found again."""
    from django.db import connection

    from inventory.ledgers.store_facts import read_stock_month_of_sellers

    if connection.vendor != "postgresql":
        pytest.skip("the one scan is PostgreSQL's")
    sellers, line, other = world
    read = read_stock_month_of_sellers([seller.pk for seller in sellers.values()], JUNE)

    for code, seller in sellers.items():
        on = other if code == "d" else line
        scope = {"warehouse": on.warehouse, "period": JUNE, "service_line": on}
        groups = read.groups.get((seller.pk, on.warehouse_id, on.pk))
        facts = month_facts_of_sellers(
            seller_ids=[seller.pk], stock_groups={seller.pk: groups} if groups else {}, **scope
        )
        assert facts[seller.pk] == month_facts(seller=seller.pk, **scope)
        drops = read.drops.get((seller.pk, on.warehouse_id), ([], 0))
        first, last = JUNE.first_day, JUNE.last_day
        assert drops == checks.unexplained_drops(seller.pk, [on.warehouse_id], first, last, limit=1000)
        counted = close.month_inputs_of_sellers([seller.pk], JUNE).get(seller.pk, {})
        assert read.inputs.get(seller.pk, {}) == {key: n for key, n in counted.items() if key[0] == "stock"}
    assert read.drops[sellers["b"].pk, line.warehouse_id][1] == 2

    monkeypatch.setattr(checks, "MAX_FINDINGS", 1)  # b's two drops: more than are kept
    ids = [sellers[code].pk for code in "abce"]
    given = {seller_id: read.drops.get((seller_id, line.warehouse_id), ([], 0)) for seller_id in ids}
    first, last = JUNE.first_day, JUNE.last_day
    assert checks.stock_findings_of_sellers(ids, [line.warehouse.pk], first, last, drops=given) == (
        checks.stock_findings_of_sellers(ids, [line.warehouse.pk], first, last)
    )
