"""The monthly close (SPEC §9, issue 12): drafts from the stored rows in force, one per seller, contract and
month; idempotent; stale after a new warehouse upload; issued invoices untouched; problems listed for ops."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from billing import close
from billing.models import CloseRun, Invoice, InvoiceLine
from inventory.ledgers.imports import withdraw_ledger_file
from portal.models import AuditEvent
from tariffs.engine import MonthFacts, compute_invoice
from tariffs.rules import Period
from tariffs.selectors import rule_specs, version_in_force
from tests.factories import ContractFactory, SellerFactory, ServiceLineFactory, preset_card
from tests.inventory.test_store_facts import csv_bytes, store

JUNE = Period(2016, 6)
STOCK = [
    "2016-06-01,{wh},{seller},A,100,300,200,3,,1,10",
    "2016-06-02,{wh},{seller},A,100,300,200,3,,0,20",
    "2016-06-01,{wh},{seller},B,400,500,600,1,,0,2",
]
OUTBOUND = [
    "P1,2016-06-03,{wh},{seller},1.2,1,,,,,,",
    "P2,2016-06-04,{wh},{seller},3.001,5,2,SF,HK,300,200,100",
]


@pytest.fixture
def world(db):
    seller = SellerFactory(code="shop", status="active")
    line = ServiceLineFactory(code="bonded")
    contract = ContractFactory(seller=seller, service_line=line, rate_card=preset_card("cainiao-bonded"))
    return seller, line, contract


def upload(kind, rows, *, seller, line, **fmt):
    data = csv_bytes(kind, [row.format(wh=line.warehouse.code, seller=seller.code, **fmt) for row in rows])
    return store(kind, data, warehouse=line.warehouse)


def test_the_close_writes_one_draft_priced_like_the_engine(world):
    seller, line, contract = world
    upload("stock", STOCK, seller=seller, line=line)
    upload("outbound", OUTBOUND, seller=seller, line=line)

    result = close.close_seller_month(seller=seller, period=JUNE)

    assert result.run.status == CloseRun.Status.DONE and result.run.drafts_written == 1
    invoice = Invoice.objects.get()
    assert (invoice.seller, invoice.service_line, invoice.contract) == (seller, line, contract)
    assert (invoice.status, invoice.period, invoice.number, invoice.currency) == (
        "draft",
        date(2016, 6, 1),
        None,
        "CNY",
    )
    # Storage: (0.1*0.3*0.2/3*10 + 0.1*0.3*0.2/3*20 + 0.4*0.5*0.6*2) CBM-days at 3.00
    #   = (0.02 + 0.04 + 0.24) * 3 = 0.90
    # Fulfilment (weight_step 13 + 3/kg above the first kg; 0.5 per SKU kind above 4):
    #   P1 1.2 kg -> 2 kg: 13 + 3 = 16.00; P2 3.001 kg -> 4 kg, 5 kinds: 13 + 3*3 + 0.5 = 22.50
    assert invoice.sections["storage"] == "0.90"
    assert invoice.sections["fulfilment"] == "38.50"
    assert invoice.total == Decimal("39.40")
    lines = list(invoice.lines.order_by("position"))
    assert sum(item.amount for item in lines) == invoice.total
    assert {item.section for item in lines} == {"storage", "fulfilment"}
    storage = next(item for item in lines if item.section == "storage")
    assert storage.rule.kind == "storage_daily_volume" and storage.ledger == "stock"
    assert storage.rows_count == 3 and sorted(ref["item_id"] for ref in storage.source_refs) == ["A", "B"]
    assert "=" in storage.formula
    assert sum(item.rows_count for item in lines) == 5  # every stored row on exactly one line
    assert AuditEvent.objects.filter(action="invoice.draft_written", object_id=str(invoice.pk)).count() == 1


def test_the_draft_equals_the_engine_over_the_same_facts(world):
    from inventory.ledgers.store_facts import month_facts

    seller, line, contract = world
    upload("stock", STOCK, seller=seller, line=line)
    close.close_seller_month(seller=seller, period=JUNE)
    version = version_in_force(contract.rate_card, JUNE)
    facts = month_facts(seller=seller, warehouse=line.warehouse, period=JUNE, service_line=line)
    expected = compute_invoice(MonthFacts(JUNE, facts.ledgers), rule_specs(version), currency="CNY")
    invoice = Invoice.objects.get()
    assert invoice.total == expected.totals.total
    assert [(item.code, item.amount) for item in invoice.lines.order_by("position")] == [
        (item.code, item.amount) for item in expected.lines
    ]


def test_a_second_close_with_no_new_data_writes_nothing(world):
    seller, line, _ = world
    upload("stock", STOCK, seller=seller, line=line)
    close.close_seller_month(seller=seller, period=JUNE)
    invoice = Invoice.objects.get()
    line_ids = set(InvoiceLine.objects.values_list("pk", flat=True))
    events = AuditEvent.objects.count()

    again = close.close_seller_month(seller=seller, period=JUNE)

    assert again.run.drafts_written == 0 and again.run.drafts_unchanged == 1
    assert set(InvoiceLine.objects.values_list("pk", flat=True)) == line_ids
    assert Invoice.objects.get().computed_at == invoice.computed_at
    assert AuditEvent.objects.count() == events
    assert CloseRun.objects.get().attempts == 2


def test_a_new_warehouse_upload_marks_the_draft_stale_and_the_next_close_replaces_it(world):
    seller, line, _ = world
    upload("stock", STOCK, seller=seller, line=line)
    close.close_seller_month(seller=seller, period=JUNE)
    assert not Invoice.objects.get().is_stale

    upload("outbound", OUTBOUND, seller=seller, line=line)

    invoice = Invoice.objects.get()
    assert invoice.is_stale
    assert AuditEvent.objects.filter(action="invoice.draft_stale", object_id=str(invoice.pk)).exists()
    result = close.close_seller_month(seller=seller, period=JUNE)
    invoice.refresh_from_db()
    assert result.run.drafts_written == 1 and not invoice.is_stale
    assert invoice.sections["fulfilment"] == "38.50" and Invoice.objects.count() == 1
    assert AuditEvent.objects.filter(action="invoice.draft_replaced", object_id=str(invoice.pk)).count() == 1


def test_a_seller_upload_does_not_make_the_draft_stale(world):
    seller, line, _ = world
    upload("stock", STOCK, seller=seller, line=line)
    close.close_seller_month(seller=seller, period=JUNE)
    data = csv_bytes("stock", [row.format(wh=line.warehouse.code, seller=seller.code) for row in STOCK[:1]])
    store("stock", data, warehouse=line.warehouse, seller=seller, source="seller")
    assert not Invoice.objects.get().is_stale


def test_withdrawing_the_only_upload_removes_the_draft_at_the_next_close(world):
    seller, line, _ = world
    ledger_file = upload("stock", STOCK, seller=seller, line=line)
    close.close_seller_month(seller=seller, period=JUNE)
    withdraw_ledger_file(ledger_file, by=None, reason="wrong month")
    assert Invoice.objects.get().is_stale

    close.close_seller_month(seller=seller, period=JUNE)

    assert not Invoice.objects.exists()
    assert AuditEvent.objects.filter(action="invoice.draft_removed").count() == 1


def test_an_issued_invoice_is_never_touched_by_a_close(world):
    seller, line, _ = world
    upload("stock", STOCK, seller=seller, line=line)
    close.close_seller_month(seller=seller, period=JUNE)
    Invoice.objects.update(status="issued", number="INV-1", issue_date=date(2016, 7, 1))
    upload("outbound", OUTBOUND, seller=seller, line=line)  # (a closed-period check would refuse it later)
    lines = list(InvoiceLine.objects.values_list("pk", "amount"))

    result = close.close_seller_month(seller=seller, period=JUNE)

    assert result.run.drafts_written == 0
    assert list(InvoiceLine.objects.values_list("pk", "amount")) == lines
    assert Invoice.objects.get().sections["fulfilment"] == "0.00"


def test_a_kind_the_card_neither_prices_nor_lists_stops_that_invoice_only(db):
    seller = SellerFactory(code="shop", status="active")
    tmall_line = ServiceLineFactory(code="general")  # the inbound ledger's ``line`` names it
    bonded_line = ServiceLineFactory(code="bonded")
    ContractFactory(seller=seller, service_line=tmall_line, rate_card=preset_card("tmall-import"))
    ContractFactory(seller=seller, service_line=bonded_line, rate_card=preset_card("cainiao-bonded"))
    inbound = ["2016-06-08,{wh},{seller},general,3,12.5,IN-1"]
    upload("inbound", inbound, seller=seller, line=tmall_line)  # tmall-import neither prices nor lists it
    upload("stock", STOCK, seller=seller, line=bonded_line)

    result = close.close_seller_month(seller=seller, period=JUNE)

    assert result.run.status == CloseRun.Status.FAILED
    assert [(p["service_line"], p["rate_card"]) for p in result.run.problems] == [("general", "tmall-import")]
    assert "inbound" in result.run.problems[0]["message"]
    assert list(Invoice.objects.values_list("service_line__code", flat=True)) == ["bonded"]
    with pytest.raises(CommandError) as error:
        call_command("close_period", "2016-06", "--seller", "shop")
    assert "shop" in str(error.value) and "inbound" in str(error.value)


def test_stock_on_a_card_that_does_not_bill_it_is_listed_as_not_billed(db):
    seller = SellerFactory(code="shop", status="active")
    line = ServiceLineFactory(code="tmall")
    ContractFactory(seller=seller, service_line=line, rate_card=preset_card("tmall-import"))
    upload("stock", STOCK, seller=seller, line=line)
    upload("outbound", OUTBOUND[:1], seller=seller, line=line)

    result = close.close_seller_month(seller=seller, period=JUNE)

    assert result.run.status == CloseRun.Status.DONE
    invoice = Invoice.objects.get()
    assert invoice.not_billed == ["stock"] and invoice.sections["storage"] == "0.00"
    assert invoice.total == Decimal("26.00")  # tmall-import: 13 + 13 per kg above the first; 1.2 kg -> 2 kg


def test_close_period_command_closes_every_seller_of_the_month(world, capsys):
    seller, line, _ = world
    upload("stock", STOCK, seller=seller, line=line)
    other = SellerFactory(code="other", status="active")
    ContractFactory(seller=other, service_line=line, rate_card=preset_card("cainiao-bonded"))
    upload("stock", STOCK[:1], seller=other, line=line)

    call_command("close_period", "2016-06")

    assert sorted(Invoice.objects.values_list("seller__code", flat=True)) == ["other", "shop"]
    output = capsys.readouterr().out
    assert "shop 2016-06: 1 draft(s) written" in output and "other 2016-06: 1 draft(s) written" in output
    with pytest.raises(CommandError, match="unknown seller"):
        call_command("close_period", "2016-06", "--seller", "nobody")
    with pytest.raises(CommandError, match="period"):
        call_command("close_period", "2016-13")
