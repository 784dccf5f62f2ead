"""A property of the close (issue 12, "Tests"): for random ledgers of one or two sellers, each draft's lines
add up to its amounts (subtotal = total − tax, and each section), and every stored row in force is on exactly
one line (its ``source_refs`` turned back into rows by ``inventory.ledgers.store_facts.rows_of_refs``, as
many as its ``rows_count``). Credit notes do not exist yet: lines against totals only."""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import close
from billing.models import Invoice
from inventory.ledgers.store_facts import rows_in_force, rows_of_refs
from tariffs.rules import RowSet
from tests.billing.test_close import JUNE
from tests.factories import ContractFactory, SellerFactory, ServiceLineFactory, preset_card
from tests.inventory.test_store_facts import csv_bytes, store

SELLERS = ("shop-a", "shop-b")

stock_rows = st.lists(
    st.tuples(
        st.integers(0, 1),  # seller
        st.sampled_from("ABCD"),  # item
        st.integers(1, 30),  # day of June
        st.integers(10, 900),  # length, height, width (mm)
        st.integers(10, 900),
        st.integers(10, 900),
        st.integers(1, 4),  # units per carton
        st.one_of(st.none(), st.decimals("0.001", "2", places=3)),  # reported volume
        st.integers(0, 20),  # sold
        st.integers(0, 200),  # in stock
    ),
    max_size=8,
    unique_by=lambda row: (row[0], row[1], row[2]),  # the natural key: seller, item, day
)
parcels = st.lists(
    st.tuples(
        st.integers(0, 1),  # seller
        st.integers(1, 30),  # day of June
        st.decimals("0.01", "40", places=3),  # weight (kg)
        st.integers(1, 8),  # SKU kinds
        st.booleans(),  # dimensions given
    ),
    max_size=6,
)


class _Rollback(Exception):
    """Ends an example: its rows and drafts go, the next example starts from the same world."""


@pytest.fixture
def world(db):
    line = ServiceLineFactory(code="bonded")
    sellers = [SellerFactory(code=code, status="active") for code in SELLERS]
    for seller in sellers:
        ContractFactory(seller=seller, service_line=line, rate_card=preset_card("cainiao-bonded"))
    return line, sellers


def stock_csv(rows, line) -> bytes:
    return csv_bytes(
        "stock",
        [
            f"2016-06-{day:02d},{line.warehouse.code},{SELLERS[s]},{item},{length},{height},{width},{per_carton},"
            f"{'' if volume is None else volume},{sold},{stock}"
            for s, item, day, length, height, width, per_carton, volume, sold, stock in rows
        ],
    )


def parcel_csv(rows, line) -> bytes:
    return csv_bytes(
        "outbound",
        [
            f"P{n},2016-06-{day:02d},{line.warehouse.code},{SELLERS[s]},{weight},{kinds},,,,"
            + ("300,200,100" if sized else ",,")
            for n, (s, day, weight, kinds, sized) in enumerate(rows)
        ],
    )


def refs_of(line) -> list:
    return [
        RowSet(kind=ref["kind"], period=JUNE, item_id=ref["item_id"]) if isinstance(ref, dict) else ref
        for ref in line.source_refs
    ]


@pytest.mark.slow  # 25 examples, each storing two uploads and closing two sellers (~20 s)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stock=stock_rows, outbound=parcels)
def test_lines_add_up_to_the_invoice_and_every_row_is_on_exactly_one_line(world, stock, outbound):
    line, sellers = world
    try:
        with transaction.atomic():
            if stock:
                store("stock", stock_csv(stock, line), warehouse=line.warehouse)
            if outbound:
                store("outbound", parcel_csv(outbound, line), warehouse=line.warehouse)
            for seller in sellers:
                result = close.close_seller_month(seller=seller, period=JUNE)
                assert result.problems == []
                check_the_draft(seller, line)
            raise _Rollback
    except _Rollback:
        pass


def check_the_draft(seller, line) -> None:
    scope = {"seller": seller, "warehouse": line.warehouse, "period": JUNE, "service_line": line}
    in_force = {
        kind: set(rows_in_force(kind, **scope).values_list("pk", flat=True)) for kind in ("stock", "outbound")
    }
    invoices = list(Invoice.objects.filter(seller=seller))
    if not any(in_force.values()):
        assert invoices == []  # no rows, no invoice
        return
    [invoice] = invoices
    lines = list(invoice.lines.order_by("position"))
    # amounts: the lines are the subtotal, the subtotal is the total less the tax, and each section adds up
    assert (
        sum((item.amount for item in lines), Decimal(0))
        == invoice.subtotal
        == invoice.total - invoice.service_tax
    )
    assert invoice.service_tax == Decimal("0.00")  # cainiao-bonded: no service tax
    for section, amount in invoice.sections.items():
        assert sum((item.amount for item in lines if item.section == section), Decimal(0)) == Decimal(amount)
    assert {item.section for item in lines} <= set(invoice.sections)
    # rows: each row in force on exactly one line, as many as the line says
    billed = {"stock": [], "outbound": []}
    for item in lines:
        rows = list(rows_of_refs(refs_of(item), kind=item.ledger, **scope).values_list("pk", flat=True))
        assert len(rows) == item.rows_count
        billed[item.ledger].extend(rows)
    for kind, pks in billed.items():
        assert sorted(pks) == sorted(in_force[kind])  # no row twice, none left out


def test_rows_on_a_line_without_a_contract_are_listed_and_the_covered_line_is_closed(db):
    """(An example beside the property: the rows no contract covers are counted from the same per-upload
    counts as the inputs digest.)"""
    from datetime import date

    from billing.models import CloseRun
    from tariffs.models import Contract
    from tests.billing.test_close import STOCK, upload

    seller = SellerFactory(code="shop", status="active")
    bonded = ServiceLineFactory(code="bonded")
    general = ServiceLineFactory(code="general", warehouse=bonded.warehouse)
    ContractFactory(seller=seller, service_line=bonded, rate_card=preset_card("cainiao-bonded"))
    upload("stock", STOCK, seller=seller, line=bonded)
    later = ContractFactory(seller=seller, service_line=general, rate_card=preset_card("tmall-import"))
    inbound = ["2016-06-08,{wh},{seller},general,3,12.5,IN-1", "2016-06-09,{wh},{seller},general,1,2.5,IN-2"]
    upload("inbound", inbound, seller=seller, line=general)
    Contract.objects.filter(pk=later.pk).update(starts_on=date(2016, 7, 1))  # not in force in June after all

    result = close.close_seller_month(seller=seller, period=JUNE)

    assert result.run.status == CloseRun.Status.FAILED
    [problem] = result.run.problems
    warehouse = bonded.warehouse.code
    assert problem["message"] == (
        f"2 inbound row(s) at {warehouse} on service line general have no contract in force in 2016-06"
    )
    assert problem["text"]["params"]["count"] == 2 and problem["contract"] is None
    invoice = Invoice.objects.get()
    assert invoice.service_line == bonded and invoice.total == Decimal("0.90")
    assert invoice.inputs_digest == close.inputs_digest(seller.pk, bonded, JUNE)
