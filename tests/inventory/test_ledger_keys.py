"""Natural keys and service lines of stored ledger rows (SPEC §6, issue 11), through PostgreSQL: no row is
billed twice, a replacement still passes, rows restored by a withdrawal respect the keys, and every row
records the service line it is billed on."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from inventory.ledgers.imports import (
    WithdrawalRefused,
    close_ledger_period,
    create_upload,
    import_ledger_file,
    withdraw_ledger_file,
)
from inventory.ledgers.kinds import KINDS
from inventory.models import LedgerFile, OutboundParcelRow, StockLedgerRow, VasRow
from portal.models import ServiceLine
from tests.factories import ContractFactory, SellerFactory, ServiceLineFactory, UserFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

STOCK = "business_date,warehouse,seller,item_id,length_mm,height_mm,width_mm,sales_qty,stock_qty{extra}\n"
PARCELS = "order_no,ship_date,warehouse,seller,weight_kg,sku_kinds\n"
NOW = datetime(2016, 8, 5, 9, 0, tzinfo=UTC)


def upload(text: str, warehouse, *, kind="stock", name="ledger.csv", seller=None, source="warehouse"):
    result = create_upload(
        uploaded=io.BytesIO(text.encode()),
        name=name,
        seller=seller,
        warehouse=warehouse,
        kind=kind,
        source=source,
        user=None,
        enqueue=False,
    )
    return import_ledger_file(result.ledger_file.pk)


def stock(rows, *, line_column=False) -> str:
    """rows: (day, seller, item, stock_qty[, service line])"""
    out = STOCK.format(extra=",service_line" if line_column else "")
    for row in rows:
        day, seller, item, qty, *line = row
        out += f"2016-06-{day:02d},WH-K,{seller},{item},400,100,250,0,{qty}"
        out += f",{line[0] if line else ''}\n" if line_column else "\n"
    return out


def parcels(rows) -> str:
    """rows: (order_no, day, seller)"""
    return PARCELS + "".join(f"{o},2016-{d},WH-K,{s},1.5,1\n" for o, d, s in rows)


@pytest.fixture
def wh():
    SellerFactory(code="s1")
    SellerFactory(code="s2")
    return WarehouseFactory(code="WH-K")


def reasons(ledger_file) -> list[tuple]:
    return [(e["row"], e["column"], e["reason"]) for e in ledger_file.errors]


# --- the keys in the database ---------------------------------------------------------------------------


postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's catalogue")


@postgresql_only
def test_every_kind_has_its_key_as_a_unique_index_over_the_rows_in_force_in_postgresql():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)",
            [[kind.key_constraint_name for kind in KINDS.values()]],
        )
        found = dict(cursor.fetchall())
    assert set(found) == {kind.key_constraint_name for kind in KINDS.values()}
    for kind in KINDS.values():
        definition = found[kind.key_constraint_name]
        assert definition.startswith("CREATE UNIQUE INDEX"), definition
        assert "is_current" in definition.split(" WHERE ")[1], definition


def test_the_registry_names_the_fields_the_database_keys():
    for kind in KINDS.values():
        (constraint,) = [c for c in kind.model._meta.constraints if c.name == kind.key_constraint_name]
        fields = [kind.model._meta.get_field(name).name for name in constraint.fields]
        assert fields == list(kind.natural_key.columns)


def test_the_database_refuses_two_stock_rows_in_force_for_one_key(wh):
    line = ServiceLine.objects.get(warehouse=wh)
    seller = SellerFactory(code="s3")
    file = LedgerFile.objects.create(
        warehouse=wh, kind="stock", source="warehouse", dedupe_key="k", sha256="0"
    )
    row = {
        "ledger_file": file,
        "warehouse": wh,
        "seller": seller,
        "service_line": line,
        "source": "warehouse",
        "business_date": date(2016, 6, 1),
        "item_id": "A",
        "length_mm": 1,
        "height_mm": 1,
        "width_mm": 1,
        "daily_volume_m3": 0,
        "sales_qty": 0,
        "stock_qty": 1,
    }
    StockLedgerRow.objects.create(row_number=2, **row)
    StockLedgerRow.objects.create(row_number=3, **row | {"is_current": False})  # out of force: allowed
    StockLedgerRow.objects.create(row_number=4, **row | {"source": "seller"})  # the seller's own records
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLedgerRow.objects.create(row_number=5, **row)


def test_the_database_refuses_one_order_number_twice_at_a_warehouse_even_for_two_sellers(wh):
    upload(parcels([("P-1", "06-01", "s1")]), wh, kind="outbound")
    file = LedgerFile.objects.create(
        warehouse=wh, kind="outbound", source="warehouse", dedupe_key="k", sha256="0"
    )
    seller2 = SellerFactory(code="s4")
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboundParcelRow.objects.create(
            ledger_file=file,
            warehouse=wh,
            seller=seller2,
            source="warehouse",
            row_number=2,
            order_no="P-1",
            ship_date=date(2016, 6, 2),
            weight_kg=1,
            sku_kinds=1,
        )


# --- duplicates inside a file, keys held by other uploads ------------------------------------------------


def test_a_stock_day_twice_in_one_file_is_a_row_error_and_nothing_is_stored(wh):
    refused = upload(stock([(1, "s1", "A", 5), (2, "s1", "A", 5), (1, "s1", "A", 7), (1, "s2", "A", 1)]), wh)
    assert refused.status == LedgerFile.Status.FAILED
    assert reasons(refused) == [
        (
            4,
            "business_date",
            'item "A" on 2016-06-01 is also on row 2 of this file: one row per item, day, seller and service '
            "line",
        )
    ]
    assert not StockLedgerRow.objects.exists()


def test_an_order_number_twice_in_one_file_is_a_row_error(wh):
    refused = upload(
        parcels([("P-1", "06-01", "s1"), ("P-2", "06-01", "s1"), ("P-1", "06-03", "s2")]), wh, kind="outbound"
    )
    assert refused.status == LedgerFile.Status.FAILED
    assert [(row, column) for row, column, _ in reasons(refused)] == [(4, "order_no")]
    assert 'order_no "P-1" is also on row 2 of this file' in refused.errors[0]["reason"]
    assert refused.error_count == 1


def test_an_order_number_in_force_from_an_upload_not_replaced_is_a_row_error_naming_that_upload(wh):
    june = upload(
        parcels([("P-1", "06-01", "s1"), ("P-2", "06-30", "s1")]), wh, kind="outbound", name="june.csv"
    )
    july = upload(
        parcels([("P-3", "07-01", "s1"), ("P-2", "07-02", "s1")]), wh, kind="outbound", name="july.csv"
    )
    assert july.status == LedgerFile.Status.FAILED
    ((row, column, reason),) = reasons(july)
    assert (row, column) == (3, "order_no")
    assert f'order_no "P-2" is already in force from upload #{june.pk} (june.csv, ' in reason
    assert "does not replace" in reason
    assert sorted(OutboundParcelRow.objects.filter(is_current=True).values_list("order_no", flat=True)) == [
        "P-1",
        "P-2",
    ]


def test_a_replacement_with_the_same_keys_passes_and_retires_the_old_rows(wh):
    first = upload(stock([(1, "s1", "A", 5), (2, "s1", "A", 5), (1, "s1", "B", 1)]), wh)
    second = upload(stock([(1, "s1", "A", 6), (2, "s1", "A", 6)]), wh)
    assert (first.status, second.status) == ("stored", "stored")
    in_force = StockLedgerRow.objects.filter(is_current=True).order_by("business_date", "item_id")
    assert [(r.ledger_file_id, r.business_date.day, r.item_id, r.stock_qty) for r in in_force] == [
        (second.pk, 1, "A", 6),
        (second.pk, 2, "A", 6),
    ]
    assert StockLedgerRow.objects.filter(ledger_file=first, replaced_by=second).count() == 3


def test_an_order_moved_to_another_day_by_a_replacement_of_the_same_days_passes(wh):
    upload(parcels([("P-1", "06-01", "s1"), ("P-2", "06-02", "s1")]), wh, kind="outbound")
    again = upload(
        parcels([("P-1", "06-02", "s1"), ("P-2", "06-01", "s1")]), wh, kind="outbound", name="fix.csv"
    )
    assert again.status == "stored", again.errors
    current = OutboundParcelRow.objects.filter(is_current=True)
    assert sorted((r.order_no, r.ship_date.day) for r in current) == [("P-1", 2), ("P-2", 1)]


def test_vas_references_are_keys_only_where_given(wh):
    ContractFactory(seller=SellerFactory(code="s5"), service_line=ServiceLine.objects.get(warehouse=wh))
    head = "date,warehouse,seller,service_code,quantity,reference\n"
    ok = upload(
        head
        + "2016-06-01,WH-K,s5,labeling,1,\n"
        + "2016-06-01,WH-K,s5,labeling,1,\n"
        + "2016-06-02,WH-K,s5,labeling,1,R1\n",
        wh,
        kind="vas",
    )
    assert ok.status == "stored", ok.errors
    assert VasRow.objects.filter(is_current=True).count() == 3
    refused = upload(head + "2016-07-01,WH-K,s5,labeling,1,R1\n", wh, kind="vas", name="july.csv")
    assert [(row, column) for row, column, _ in reasons(refused)] == [(2, "reference")]


# --- withdrawal restores rows only when their keys are free ---------------------------------------------


def test_a_withdrawal_that_would_bring_back_a_key_held_by_a_newer_upload_is_refused(wh):
    ops = UserFactory()
    a = upload(parcels([("P-1", "06-01", "s1"), ("P-2", "06-02", "s1")]), wh, kind="outbound", name="a.csv")
    c = upload(parcels([("P-2", "06-01", "s1"), ("P-3", "06-02", "s1")]), wh, kind="outbound", name="c.csv")
    d = upload(parcels([("P-1", "07-01", "s1")]), wh, kind="outbound", name="d.csv")
    assert (a.status, c.status, d.status) == ("stored", "stored", "stored")
    with pytest.raises(WithdrawalRefused) as refused:
        withdraw_ledger_file(c, by=ops, reason="wrong file")
    assert f'order_no "P-1" of upload #{a.pk} is in force from upload #{d.pk} (d.csv' in str(refused.value)
    c.refresh_from_db()
    assert c.status == "stored"
    withdraw_ledger_file(d, by=ops, reason="wrong month")
    done = withdraw_ledger_file(c, by=ops, reason="wrong file")
    assert (done.rows_withdrawn, done.rows_restored) == (2, 2)
    current = OutboundParcelRow.objects.filter(is_current=True)
    assert sorted((r.ledger_file_id, r.order_no) for r in current) == [(a.pk, "P-1"), (a.pk, "P-2")]


# --- service lines -----------------------------------------------------------------------------------------


@pytest.fixture
def two_lines(wh):
    bonded = ServiceLine.objects.get(warehouse=wh)  # "standard"
    imports = ServiceLineFactory(warehouse=wh, code="tmall-import")
    seller = SellerFactory(code="youpin")
    ContractFactory(seller=seller, service_line=bonded)
    ContractFactory(seller=seller, service_line=imports)
    one = SellerFactory(code="solo")
    ContractFactory(seller=one, service_line=imports)
    return bonded, imports


def test_a_row_of_a_seller_with_two_contracts_at_the_warehouse_must_name_its_service_line(wh, two_lines):
    refused = upload(
        stock([(1, "youpin", "A", 5, ""), (1, "youpin", "B", 5, "standard")], line_column=True), wh
    )
    assert reasons(refused) == [
        (
            2,
            "service_line",
            "the service_line column is required: seller youpin has contracts on several service lines at "
            "WH-K (standard, tmall-import)",
        )
    ]


def test_each_row_records_its_named_or_implied_service_line(wh, two_lines):
    bonded, imports = two_lines
    stored = upload(
        stock(
            [
                (1, "youpin", "A", 5, "standard"),
                (1, "youpin", "A", 3, "TMALL-IMPORT"),
                (1, "solo", "A", 2, ""),
            ],
            line_column=True,
        ),
        wh,
    )
    assert stored.status == "stored", stored.errors
    rows = StockLedgerRow.objects.filter(ledger_file=stored)
    assert sorted((r.seller.code, r.service_line_id, r.stock_qty) for r in rows) == [
        ("solo", imports.pk, 2),
        ("youpin", bonded.pk, 5),
        ("youpin", imports.pk, 3),
    ]


def test_an_unknown_service_line_or_one_the_seller_has_no_contract_on_is_a_row_error(wh, two_lines):
    refused = upload(
        stock([(1, "youpin", "A", 5, "nope"), (1, "solo", "A", 5, "standard")], line_column=True), wh
    )
    assert reasons(refused) == [
        (
            2,
            "service_line",
            'unknown service line "nope": the service lines of warehouse WH-K are standard, tmall-import',
        ),
        (
            3,
            "service_line",
            'seller solo has no contract on service line "standard" at WH-K (its lines there: tmall-import)',
        ),
    ]


def test_a_seller_without_contract_at_a_warehouse_of_several_lines_must_name_one(wh, two_lines):
    refused = upload(stock([(1, "s1", "A", 5)]), wh)
    assert reasons(refused) == [
        (
            2,
            "service_line",
            "the service_line column is required: seller s1 has no contract at WH-K, whose service lines are "
            "standard, tmall-import",
        )
    ]


def test_the_inbound_line_column_is_the_service_line(db):
    SellerFactory(code="vn1")
    warehouse = WarehouseFactory(code="VN-1", default_line=False)
    for code in ("ecommerce", "general", "lot"):
        ServiceLineFactory(warehouse=warehouse, code=code)
    text = (
        "date,warehouse,seller,line,packages,weight_kg\n"
        "2016-06-01,VN-1,vn1,lot,3,12.5\n2016-06-01,VN-1,vn1,general,1,2\n"
    )
    stored = upload(text, warehouse, kind="inbound")
    assert stored.status == "stored", stored.errors
    from inventory.models import InboundWeightRow

    rows = InboundWeightRow.objects.filter(ledger_file=stored).select_related("service_line")
    assert sorted((r.line, r.service_line.code) for r in rows) == [("general", "general"), ("lot", "lot")]


def test_the_same_item_and_day_on_two_lines_of_one_seller_are_two_keys(wh, two_lines):
    stored = upload(
        stock([(1, "youpin", "A", 5, "standard"), (1, "youpin", "A", 3, "tmall-import")], line_column=True),
        wh,
    )
    assert stored.status == "stored", stored.errors


def test_a_closed_month_closes_only_its_service_line(wh, two_lines):
    bonded, imports = two_lines
    youpin = bonded.contracts.get().seller
    close_ledger_period(
        seller=youpin, month=date(2016, 6, 1), service_line=bonded, reference="INV-1", now=NOW
    )
    refused = upload(stock([(1, "youpin", "A", 5, "standard")], line_column=True), wh)
    assert refused.status == "failed"
    assert "2016-06 is closed for seller youpin at WH-K, service line standard" in refused.errors[0]["reason"]
    stored = upload(stock([(1, "youpin", "A", 5, "tmall-import")], line_column=True), wh, name="other.csv")
    assert stored.status == "stored", stored.errors


# --- what is stored is what the file says --------------------------------------------------------------


def test_the_decimal_places_a_file_column_accepts_are_the_ones_its_stored_column_keeps():
    from django.db import models

    for kind in KINDS.values():
        for column in kind.schema.columns:
            if column.name in kind.stored_columns:
                field = kind.model._meta.get_field(column.name)
                if isinstance(field, models.DecimalField):
                    assert column.places == field.decimal_places, (kind.key, column.name)


def test_a_figure_with_more_decimals_than_the_store_keeps_is_a_row_error_not_a_rounding(wh):
    text = STOCK.format(extra="") + "2016-06-01,WH-K,s1,A,400.1234,100,250.5000,0,5\n"
    refused = upload(text, wh)
    assert reasons(refused) == [(2, "length_mm", "'400.1234' has more than 3 decimal places")]
    stored = upload(
        STOCK.format(extra="") + "2016-06-01,WH-K,s1,A,400.123,100,250.5000,0,5\n", wh, name="ok.csv"
    )
    assert stored.status == "stored", stored.errors
    row = StockLedgerRow.objects.get(ledger_file=stored)
    assert (row.length_mm, row.width_mm) == (Decimal("400.123"), Decimal("250.5"))
