"""Ledger uploads: all or nothing, stored once, superseded by date, in a real worker (SPEC §6, issue 6)."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from inventory.ledger_import import create_upload, import_ledger_file
from inventory.models import LedgerFile, OutboundParcelRow, StockLedgerRow
from tests.conftest import REPO, wait_for
from tests.factories import SellerFactory, WarehouseFactory

GOLDEN = REPO.parent / "shared" / "golden"
STOCK_HEADER = (
    "业务日期(day),仓库名称,卖家nick,后端货品id,长,高,宽,体积,sku总体积（立方）,销售出库件数,总库存件数"
)


@pytest.fixture
def cainiao(db):
    """The seller and warehouse the golden Cainiao ledger names."""
    return SellerFactory(code="shop123", name="123旗舰店"), WarehouseFactory(
        code="HK-XY", name="心怡香港海外备货仓"
    )


def upload(path_or_bytes, *, seller, warehouse, kind="stock", source="warehouse", name="ledger.csv"):
    data = path_or_bytes.read_bytes() if isinstance(path_or_bytes, Path) else path_or_bytes
    result = create_upload(
        uploaded=io.BytesIO(data),
        name=name,
        seller=seller,
        warehouse=warehouse,
        kind=kind,
        source=source,
        user=None,
        enqueue=False,
    )
    return result, import_ledger_file(result.ledger_file.pk) if result.created else result.ledger_file


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["utf8", "gbk", "utf8bom"])
def test_the_golden_ledger_is_stored_from_every_encoding(cainiao, encoding):
    seller, warehouse = cainiao
    _, ledger_file = upload(
        GOLDEN / f"cainiao_overseas_2016-06_{encoding}.csv", seller=None, warehouse=warehouse
    )
    assert ledger_file.status == LedgerFile.Status.STORED, ledger_file.message
    assert (ledger_file.rows_stored, str(ledger_file.period_start), str(ledger_file.period_end)) == (
        30,
        "2016-06-01",
        "2016-06-30",
    )
    rows = StockLedgerRow.objects.filter(ledger_file=ledger_file)
    assert rows.count() == 30 and {r.seller_id for r in rows} == {seller.pk}
    assert sum((r.daily_volume_m3 for r in rows), Decimal(0)) == Decimal("35.1780")


@pytest.mark.django_db
def test_the_same_file_twice_is_stored_once(cainiao):
    _, warehouse = cainiao
    first, stored = upload(GOLDEN / "cainiao_overseas_2016-06_utf8.csv", seller=None, warehouse=warehouse)
    second, again = upload(GOLDEN / "cainiao_overseas_2016-06_utf8.csv", seller=None, warehouse=warehouse)
    assert first.created and not second.created and again.pk == stored.pk
    assert StockLedgerRow.objects.count() == 30 and LedgerFile.objects.count() == 1


def stock_csv(days, *, stock=82, extra=""):
    lines = [STOCK_HEADER] + [
        f"201606{day:02d},HK-XY,shop123,50000001,434,150,220,14322000,1.1726,0,{stock}" for day in days
    ]
    return ("\n".join(lines) + "\n" + extra).encode()


@pytest.mark.django_db
def test_a_newer_upload_supersedes_the_same_days_and_keeps_the_old_version(cainiao):
    _, warehouse = cainiao
    _, old = upload(stock_csv(range(1, 31)), seller=None, warehouse=warehouse)
    _, new = upload(stock_csv(range(15, 31), stock=80), seller=None, warehouse=warehouse)
    current = StockLedgerRow.objects.filter(is_current=True)
    assert current.filter(ledger_file=old).count() == 14 and current.filter(ledger_file=new).count() == 16
    assert StockLedgerRow.objects.filter(ledger_file=old).count() == 30  # kept for audit
    assert set(current.filter(business_date__day__gte=15).values_list("stock_qty", flat=True)) == {80}


@pytest.mark.django_db
def test_one_bad_last_row_of_a_large_file_stores_nothing(cainiao):
    _, warehouse = cainiao
    lines = [STOCK_HEADER] + [
        f"201606{1 + n % 30:02d},HK-XY,shop123,ITEM{n // 30},434,150,220,,,{n % 3},82" for n in range(100_000)
    ]
    lines.append("20160631,HK-XY,shop123,ITEMX,434,150,220,,,0,82")
    _, ledger_file = upload(("\n".join(lines) + "\n").encode(), seller=None, warehouse=warehouse)
    assert ledger_file.status == LedgerFile.Status.FAILED
    assert ledger_file.row_count == 100_001 and ledger_file.error_count == 1
    assert [(e["row"], e["column"]) for e in ledger_file.errors] == [(100_002, "business_date")]
    assert not StockLedgerRow.objects.exists()
    report = ledger_file.error_file.read().decode()
    assert report.splitlines()[0] == "row,column,reason" and report.splitlines()[1].startswith(
        "100002,business_date,"
    )


@pytest.mark.django_db
def test_unknown_warehouse_and_seller_are_bad_rows(cainiao):
    _, warehouse = cainiao
    data = stock_csv([1]) + b"20160602,OTHER-WH,nobody,50000001,434,150,220,,,0,82\n"
    _, ledger_file = upload(data, seller=None, warehouse=warehouse)
    assert sorted((e["row"], e["column"]) for e in ledger_file.errors) == [(3, "seller"), (3, "warehouse")]
    assert not StockLedgerRow.objects.exists()


@pytest.mark.django_db
def test_a_sellers_upload_may_hold_only_its_own_rows(cainiao):
    seller, warehouse = cainiao
    other = SellerFactory(code="rival", name="Rival")
    data = stock_csv([1]) + b"20160602,HK-XY,rival,50000001,434,150,220,,,0,82\n"
    _, ledger_file = upload(data, seller=seller, warehouse=warehouse, source="seller")
    assert [(e["row"], e["column"]) for e in ledger_file.errors] == [(3, "seller")]
    assert other.pk and not StockLedgerRow.objects.exists()


@pytest.mark.django_db
def test_outbound_ledger_with_english_headers_is_stored(cainiao):
    _, warehouse = cainiao
    data = (
        b"Order_No,Ship_Date,Warehouse,Seller,Weight_KG,SKU_Kinds,Carrier\n"
        b"LP1,2016-06-02,HK-XY,shop123,3.5,2,SF\nLP2,2016-06-03,HK-XY,shop123,0.2,1,\n"
    )
    _, ledger_file = upload(data, seller=None, warehouse=warehouse, kind="outbound")
    assert ledger_file.status == LedgerFile.Status.STORED, ledger_file.errors
    assert list(OutboundParcelRow.objects.order_by("row_number").values_list("order_no", "carrier")) == [
        ("LP1", "SF"),
        ("LP2", ""),
    ]


@pytest.mark.django_db
def test_import_ledger_command_exits_1_listing_bad_rows(cainiao, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(stock_csv([1]) + b"2016-06-02,HK-XY,shop123,50000001,434,-150,220,,,0,82\n")
    with pytest.raises(CommandError, match=r"row 3, height_mm: must be greater than 0"):
        call_command("import_ledger", str(bad), "--kind", "stock", "--warehouse", "HK-XY")
    assert not StockLedgerRow.objects.exists()
    out = io.StringIO()
    call_command(
        "import_ledger",
        str(GOLDEN / "cainiao_overseas_2016-06_gbk.csv"),
        "--kind",
        "stock",
        "--warehouse",
        "HK-XY",
        stdout=out,
    )
    assert "30 rows stored (2016-06-01 to 2016-06-30)" in out.getvalue()


@pytest.mark.worker
def test_upload_is_imported_by_a_real_worker_over_redis(celery_worker_process, transactional_db):
    SellerFactory(code="shop123", name="123旗舰店")
    warehouse = WarehouseFactory(code="HK-XY", name="心怡香港海外备货仓")
    data = (GOLDEN / "cainiao_overseas_2016-06_utf8bom.csv").read_bytes()
    result = create_upload(
        uploaded=io.BytesIO(data),
        name="june.csv",
        seller=None,
        warehouse=warehouse,
        kind="stock",
        source="warehouse",
        user=None,
    )
    ledger_file = wait_for(
        lambda: LedgerFile.objects.filter(pk=result.ledger_file.pk, status=LedgerFile.Status.STORED).first(),
        timeout=60,
    )
    assert ledger_file.rows_stored == 30 and ledger_file.attempts == 1


@pytest.mark.django_db
def test_reported_volume_is_billed_and_a_volume_off_by_more_than_1_percent_is_flagged(cainiao):
    _, warehouse = cainiao
    # 434 × 220 × 150 mm per carton of 1, 82 in stock = 1.174404 m³ computed from the dimensions.
    data = (
        STOCK_HEADER + "\n" + "20160601,HK-XY,shop123,A,434,150,220,14322000,1.1726,0,82\n"
        "20160602,HK-XY,shop123,A,434,150,220,14322000,1.2000,0,82\n"
        "20160603,HK-XY,shop123,A,434,150,220,,,0,82\n"
    ).encode()
    _, ledger_file = upload(data, seller=None, warehouse=warehouse)
    rows = StockLedgerRow.objects.filter(ledger_file=ledger_file).order_by("business_date")
    assert [(str(r.daily_volume_m3), r.volume_mismatch) for r in rows] == [
        ("1.172600000", False),
        ("1.200000000", True),
        ("1.174404000", False),
    ]
