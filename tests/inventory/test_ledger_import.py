"""Ledger uploads: all or nothing, stored once, superseded by date, in a real worker (SPEC §6, issue 6)."""

import io
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from inventory.ledgers.imports import create_upload, import_ledger_file
from inventory.models import LedgerFile, OutboundParcelRow, StockLedgerRow
from portal.models import SellerAlias
from tests.conftest import REPO, wait_for
from tests.factories import (
    ContractFactory,
    SellerFactory,
    ServiceLineFactory,
    WarehouseFactory,
    preset_card,
)

GOLDEN = REPO.parent / "shared" / "golden"
STOCK_HEADER = (
    "业务日期(day),仓库名称,卖家nick,后端货品id,长,高,宽,体积,sku总体积（立方）,销售出库件数,总库存件数"
)


@pytest.fixture
def cainiao(db):
    """The seller and warehouse the golden Cainiao ledger names: its rows name the store, an alias."""
    seller = SellerFactory(code="shop123", name="123旗舰店")
    warehouse = WarehouseFactory(code="HK-XY", name="心怡香港海外备货仓")
    SellerAlias.objects.create(warehouse=warehouse, seller=seller, alias="123旗舰店")
    # Its line is contracted under the Cainiao card, which prices the VAS codes of SPEC §7.4 (issue 11).
    ContractFactory(seller=seller, service_line=ServiceLineFactory(warehouse=warehouse))
    return seller, warehouse


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
    seller = SellerFactory(code="shop123", name="123旗舰店")
    warehouse = WarehouseFactory(code="HK-XY", name="心怡香港海外备货仓")
    SellerAlias.objects.create(warehouse=warehouse, seller=seller, alias="123旗舰店")
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


OTHER_KINDS = {
    "vas": (
        "date,warehouse,seller,service_code,quantity,amount,reference\n"
        "2016-06-02,HK-XY,shop123,card_insert,120,,R1\n2016-06-03,HK-XY,shop123,lab_test,1,350.00,R2\n"
    ),
    "tax": (
        "order_no,date,warehouse,seller,dutiable_value,tariff_rate,consumption_tax_rate,vat_rate\n"
        "T1,2016-06-02,HK-XY,shop123,100,0,0.3,0.17\n"
    ),
    "inbound": "date,warehouse,seller,line,packages,weight_kg,reference\n"
    "2016-06-02,HK-XY,shop123,lot,3,120.5,\n",
    "receiving": (
        "date,warehouse,seller,service,units,unit_value_cny,volume_m3,freight_rate_per_kg,weight_kg\n"
        "2016-06-02,HK-XY,shop123,count,50,25,,,\n2016-06-02,HK-XY,shop123,crate_shared,,,0.03,2400,\n"
        "2016-06-03,HK-XY,shop123,container_unload,,,,,800\n"
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(OTHER_KINDS))
def test_every_other_ledger_kind_is_stored(cainiao, kind):
    from inventory.ledgers.kinds import KINDS

    _, warehouse = cainiao
    _, ledger_file = upload(OTHER_KINDS[kind].encode(), seller=None, warehouse=warehouse, kind=kind)
    assert ledger_file.status == LedgerFile.Status.STORED, ledger_file.errors
    expected = OTHER_KINDS[kind].count("\n") - 1
    assert KINDS[kind].model.objects.filter(ledger_file=ledger_file, is_current=True).count() == expected


@pytest.mark.django_db
def test_unknown_service_code_stores_nothing(cainiao):
    _, warehouse = cainiao
    data = OTHER_KINDS["vas"] + "2016-06-04,HK-XY,shop123,gift_wrap,1,,\n"
    _, ledger_file = upload(data.encode(), seller=None, warehouse=warehouse, kind="vas")
    assert [(e["row"], e["column"]) for e in ledger_file.errors] == [(4, "service_code")]
    from inventory.models import VasRow

    assert not VasRow.objects.exists()


VAS_CARTONS = (
    "date,warehouse,seller,service_code,quantity,amount,reference\n2026-10-02,{wh},{seller},{code},3,,IN-1\n"
)


@pytest.mark.django_db
def test_a_service_code_the_warehouse_rate_card_prices_is_stored():
    """`receiving_carton` is priced by linkstar-jp-sample only: a warehouse whose line is contracted under
    that card stores it (issue 11: codes come from rate cards, not a list in the reader)."""
    from inventory.models import VasRow

    seller, warehouse = SellerFactory(code="jp1"), WarehouseFactory(code="JP-1", currency="JPY")
    line = ServiceLineFactory(warehouse=warehouse)
    ContractFactory(seller=seller, service_line=line, rate_card=preset_card("linkstar-jp-sample", "JPY"))
    data = VAS_CARTONS.format(wh="JP-1", seller="jp1", code="Receiving_Carton")
    _, ledger_file = upload(data.encode(), seller=None, warehouse=warehouse, kind="vas")
    assert ledger_file.status == LedgerFile.Status.STORED, ledger_file.errors
    assert list(VasRow.objects.values_list("service_code", "quantity")) == [("receiving_carton", 3)]


@pytest.mark.django_db
def test_a_code_no_rate_card_of_the_warehouse_prices_is_a_row_error_listing_the_valid_ones(cainiao):
    from inventory.models import VasRow

    _, warehouse = cainiao
    data = VAS_CARTONS.format(wh="HK-XY", seller="shop123", code="receiving_carton")
    _, ledger_file = upload(data.encode(), seller=None, warehouse=warehouse, kind="vas")
    assert ledger_file.status == LedgerFile.Status.FAILED
    assert ledger_file.errors == [
        {
            "row": 2,
            "column": "service_code",
            "reason": 'unknown service code "receiving_carton": the rate cards of warehouse HK-XY price '
            "air_column_bag, card_insert, declaration_amendment, destruction, inspection_fee, kitting, "
            "lab_test, labeling, repack, special_packaging, unplanned_receiving",
        }
    ]
    assert not VasRow.objects.exists()


@pytest.mark.django_db
def test_a_sellers_own_upload_checks_codes_against_its_own_contracts_only():
    """Another seller's card at the same warehouse prices `receiving_carton`; this seller's card does not,
    so its own upload is refused, and the reason lists only its own card's codes (nothing of the other's)."""
    from inventory.models import VasRow

    warehouse = WarehouseFactory(code="JP-2", currency="JPY")
    line = ServiceLineFactory(warehouse=warehouse)
    other, seller = SellerFactory(code="jp-other"), SellerFactory(code="jp-own")
    ContractFactory(seller=other, service_line=line, rate_card=preset_card("linkstar-jp-sample", "JPY"))
    ContractFactory(seller=seller, service_line=line, rate_card=preset_card("cainiao-bonded", "CNY"))
    data = VAS_CARTONS.format(wh="JP-2", seller="jp-own", code="receiving_carton")
    _, ledger_file = upload(data.encode(), seller=seller, warehouse=warehouse, kind="vas", source="seller")
    assert ledger_file.status == LedgerFile.Status.FAILED
    assert ledger_file.errors == [
        {
            "row": 2,
            "column": "service_code",
            "reason": 'unknown service code "receiving_carton": the rate cards of warehouse JP-2 price '
            "air_column_bag, card_insert, declaration_amendment, destruction, inspection_fee, kitting, "
            "lab_test, labeling, repack, special_packaging, unplanned_receiving",
        }
    ]
    assert not VasRow.objects.exists()
    _, stored = upload(data.encode(), seller=None, warehouse=warehouse, kind="vas")  # the warehouse's file
    assert stored.status == LedgerFile.Status.STORED, stored.errors


@pytest.mark.django_db
def test_no_vas_code_is_valid_where_no_rate_card_prices_vas():
    from inventory.models import VasRow

    SellerFactory(code="s9")
    warehouse = WarehouseFactory(code="WH-9")
    data = VAS_CARTONS.format(wh="WH-9", seller="s9", code="card_insert")
    _, ledger_file = upload(data.encode(), seller=None, warehouse=warehouse, kind="vas")
    assert [e["reason"] for e in ledger_file.errors] == [
        'unknown service code "card_insert": no rate card of warehouse WH-9 prices VAS'
    ]
    assert not VasRow.objects.exists()


@pytest.mark.django_db
def test_ops_upload_in_admin_is_queued_for_a_worker(
    admin_client, cainiao, django_capture_on_commit_callbacks
):
    from unittest import mock

    from django.core.files.uploadedfile import SimpleUploadedFile

    _, warehouse = cainiao
    with (
        mock.patch("inventory.tasks.import_ledger_file_task.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = admin_client.post(
            "/admin/inventory/ledgerfile/add/",
            {
                "kind": "stock",
                "warehouse": warehouse.pk,
                "source": "warehouse",
                "seller": "",
                "upload": SimpleUploadedFile(
                    "june.csv", (GOLDEN / "cainiao_overseas_2016-06_gbk.csv").read_bytes()
                ),
            },
        )
    ledger_file = LedgerFile.objects.get()
    assert response.status_code == 302 and ledger_file.status == LedgerFile.Status.QUEUED
    delay.assert_called_once_with(ledger_file.pk)


@pytest.mark.django_db
def test_an_oversize_upload_is_refused_before_it_is_stored(owner_client, owner, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tests.factories import ContractFactory, ServiceLineFactory

    warehouse = WarehouseFactory()
    ContractFactory(seller=owner.seller, service_line=ServiceLineFactory(warehouse=warehouse))
    settings.LEDGER_MAX_BYTES = 1000
    response = owner_client.post(
        reverse("inventory:ledger-list"),
        {"kind": "stock", "warehouse": warehouse.pk, "file": SimpleUploadedFile("big.csv", b"x" * 1001)},
    )
    assert response.status_code == 400 and "the limit is 1,000 bytes" in response.content.decode()
    assert not LedgerFile.objects.exists()


def test_cached_stock_volumes_equal_the_rows_own():
    from inventory.ledgers.schemas import StockRow, StockVolumes

    volumes = StockVolumes()
    for total, upc, stock in [
        (None, 1, 82),
        (None, 3, 7),
        (Decimal("1.1726"), 1, 82),
        (Decimal("2.0"), 6, 40),
        (None, 3, 7),
    ]:
        row = StockRow(
            date(2016, 6, 1),
            "W",
            "S",
            "I",
            Decimal("434"),
            Decimal("150"),
            Decimal("220"),
            upc,
            None,
            total,
            0,
            stock,
            None,
            2,
        )
        daily, flag = volumes(row)
        assert daily.quantize(Decimal("1e-12")) == row.daily_volume_m3.quantize(Decimal("1e-12"))
        assert flag == row.volume_mismatch


# --- two identical uploads at the same moment (issue 10, finding 8) ------------------------------------


def someone_waits_on_my_transaction() -> bool:
    """True once another connection is blocked by this one's open transaction (a row or advisory lock)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted "
            "AND pg_backend_pid() = ANY(pg_blocking_pids(pid)))"
        )
        return cursor.fetchone()[0]


def at_once(*jobs):
    """Run each job in its own thread (its own database connection), started together at a barrier. Each
    job runs in a transaction that stays open until the other thread waits on it or has finished, so the
    second upload always checks for a duplicate before the first one commits: the race, every time."""
    from django.db import connection, transaction

    barrier = threading.Barrier(len(jobs))
    finished, results = [], [None] * len(jobs)

    def run(index, job):
        try:
            with transaction.atomic():
                barrier.wait(timeout=30)
                results[index] = job()
                wait_for(lambda: finished or someone_waits_on_my_transaction(), timeout=30, interval=0.02)
        except Exception as exc:  # reported by the test's assertions
            results[index] = exc
        finally:
            finished.append(index)
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def media_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


@pytest.mark.django_db(transaction=True)
def test_two_identical_uploads_at_once_store_one_file_and_call_the_other_a_duplicate(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    warehouse = WarehouseFactory(code="HK-XY", name="心怡香港海外备货仓")
    SellerFactory(code="shop123")
    data = stock_csv([1, 2, 3])

    def upload_it():
        return create_upload(
            uploaded=io.BytesIO(data),
            name="june.csv",
            seller=None,
            warehouse=warehouse,
            kind="stock",
            source="warehouse",
            user=None,
            enqueue=False,
        )

    results = at_once(upload_it, upload_it)
    assert not [r for r in results if isinstance(r, Exception)], results
    first, second = sorted(results, key=lambda r: not r.created)
    stored = LedgerFile.objects.get()
    assert (first.created, first.ledger_file.pk) == (True, stored.pk)
    assert (second.created, second.ledger_file.pk) == (False, stored.pk)
    assert media_files(settings.MEDIA_ROOT) == [settings.MEDIA_ROOT / stored.file.name]
    assert stored.file.read() == data


@pytest.mark.django_db(transaction=True)
def test_an_upload_racing_an_identical_one_is_told_it_is_a_duplicate_not_a_500(
    client, owner, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tests.factories import ContractFactory, ServiceLineFactory

    settings.MEDIA_ROOT = tmp_path / "media"
    warehouse = WarehouseFactory(code="HK-XY")
    ContractFactory(seller=owner.seller, service_line=ServiceLineFactory(warehouse=warehouse))
    client.force_login(owner.user)
    data = stock_csv([1]).replace(b"shop123", owner.seller.code.encode())
    tab_holds_its_row = threading.Event()

    def upload_in_another_tab():
        result = create_upload(
            uploaded=io.BytesIO(data),
            name="june.csv",
            seller=owner.seller,
            warehouse=warehouse,
            kind="stock",
            source="seller",
            user=owner.user,
            enqueue=False,
        )
        tab_holds_its_row.set()  # not committed yet: the page's check will not see it
        return result

    def upload_through_the_page():
        assert tab_holds_its_row.wait(timeout=30)
        return client.post(
            reverse("inventory:ledger-list"),
            {"kind": "stock", "warehouse": warehouse.pk, "file": SimpleUploadedFile("june.csv", data)},
        )

    results = at_once(upload_in_another_tab, upload_through_the_page)
    assert not [r for r in results if isinstance(r, Exception)], results
    tab, page = results
    stored = LedgerFile.objects.get()
    assert tab.created and tab.ledger_file.pk == stored.pk
    assert (page.status_code, page.url) == (302, reverse("inventory:ledger-file", kwargs={"pk": stored.pk}))
    shown = client.get(page.url).content.decode()
    assert "This file was uploaded before" in shown and "it is stored once." in shown
    assert media_files(settings.MEDIA_ROOT) == [settings.MEDIA_ROOT / stored.file.name]
