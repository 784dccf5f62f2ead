"""Untrusted files (issue 10, finding 4): every cap of ``portal.uploads`` refuses while reading, with a
message naming the row/column or the cap and its limit, and nothing is stored; the size caps admit a
warehouse's month; a seller's quota; refused files deleted after the retention."""

import io
import os
import zipfile
from datetime import timedelta

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from inventory.catalog.resources import import_skus
from inventory.catalog.sku_import import SkuImportRefused, create_sku_import
from inventory.ledgers.imports import UploadRefused, create_upload, import_ledger_file, ledger_limits
from inventory.models import Certificate, LedgerFile, Sku, SkuImportJob, StockLedgerRow
from inventory.upload_policy import purge_refused_uploads, seller_upload_usage
from portal.uploads import (
    DEFAULT_LIMITS,
    UploadError,
    UploadLimits,
    bytes_text,
    check_zip,
    open_source,
    upload_limits,
    xlsx_records,
)
from tests.bench.hostile import shared_strings_xlsx
from tests.factories import SellerFactory, SkuFactory, WarehouseFactory

HEADER = "业务日期(day),仓库名称,卖家nick,后端货品id,长,高,宽,体积,sku总体积（立方）,销售出库件数,总库存件数"
ROW = "20160601,HK-XY,shop123,50000001,434,150,220,14322000,1.1726,0,82"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def cainiao(db):
    return SellerFactory(code="shop123", name="123旗舰店"), WarehouseFactory(
        code="HK-XY", name="心怡香港海外备货仓"
    )


def ledger(data: bytes, warehouse, *, seller=None, source="warehouse") -> LedgerFile:
    """Upload and import (as the worker would), returning the refreshed upload."""
    result = create_upload(
        uploaded=io.BytesIO(data),
        name="ledger.csv",
        seller=seller,
        warehouse=warehouse,
        kind="stock",
        source=source,
        user=None,
        enqueue=False,
    )
    return import_ledger_file(result.ledger_file.pk)


def assert_refused(ledger_file: LedgerFile, message: str, row: int | None, column: str | None = None) -> None:
    assert ledger_file.status == LedgerFile.Status.FAILED
    assert ledger_file.message == message
    assert ledger_file.errors == [{"row": row, "column": column, "reason": message}]
    assert not StockLedgerRow.objects.exists()


# --- CSV caps, checked while reading ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_line_over_the_cap_is_refused_naming_its_row(cainiao, settings):
    settings.UPLOAD_MAX_LINE_CHARS = 1000
    data = f"{HEADER}\n{ROW}\n{ROW},{'x' * 2000}\n{ROW}\n".encode()
    assert_refused(
        ledger(data, cainiao[1]), "row 3: a line is longer than the limit of 1,000 characters", row=3
    )


@pytest.mark.django_db
def test_a_quoted_cell_over_the_cell_cap_is_refused_even_across_lines(cainiao, settings):
    settings.UPLOAD_MAX_FIELD_CHARS = 100
    cell = "\n".join(["short line"] * 20)  # 219 characters over 20 lines, none of them long
    data = f'{HEADER}\n{ROW}\n{ROW},"{cell}"\n'.encode()
    assert_refused(
        ledger(data, cainiao[1]),
        "row 3, column L: the cell has 219 characters, more than the limit of 100",
        row=3,
        column="L",
    )


@pytest.mark.django_db
def test_a_quoted_record_over_the_row_cap_is_refused_before_the_closing_quote(cainiao, settings):
    settings.UPLOAD_MAX_RECORD_CHARS = 500
    settings.UPLOAD_MAX_FIELD_CHARS = 100_000
    data = f'{HEADER}\n{ROW},"never closed\n'.encode() + b"more text\n" * 10_000
    assert_refused(
        ledger(data, cainiao[1]),
        "row 2: a quoted cell runs over several lines beyond the limit of 500 characters for one row "
        "(is a closing double quote missing?)",
        row=2,
    )


@pytest.mark.django_db
def test_an_unquoted_cell_over_the_cap_is_refused_naming_its_column(cainiao, settings):
    settings.UPLOAD_MAX_FIELD_CHARS = 100
    data = f"{HEADER}\n{ROW}\n20160602,HK-XY,shop123,{'9' * 150},434,150,220,14322000,1.1726,0,82\n".encode()
    assert_refused(
        ledger(data, cainiao[1]),
        "row 3, column D: the cell has 150 characters, more than the limit of 100",
        row=3,
        column="D",
    )


@pytest.mark.django_db
def test_too_many_columns_are_refused(cainiao, settings):
    settings.UPLOAD_MAX_COLUMNS = 20
    data = f"{HEADER}\n{ROW}{',' * 25}\n".encode()
    assert_refused(ledger(data, cainiao[1]), "row 2: 36 columns, more than the limit of 20", row=2)


@pytest.mark.django_db
def test_too_many_rows_are_refused(cainiao, settings):
    settings.UPLOAD_MAX_ROWS = 3
    data = (HEADER + "\n" + f"{ROW}\n" * 3).encode()
    assert_refused(ledger(data, cainiao[1]), "the file has more than 3 rows, the limit", row=4)


def test_the_sku_import_uses_the_same_caps(owner, settings):
    settings.UPLOAD_MAX_LINE_CHARS = 100
    content = ("code,name_zh\nA," + "长" * 200 + "\n").encode()
    result = import_skus(seller=owner.seller, file=SimpleUploadedFile("skus.csv", content))
    assert [(p.row, p.reason) for p in result.problems] == [
        (None, "row 2: a line is longer than the limit of 100 characters")
    ]
    assert not Sku.objects.exists()


# --- XLSX caps ----------------------------------------------------------------------------------------


def workbook(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_shared_strings(count: int) -> bytes:
    """A workbook with two rows whose sharedStrings.xml also holds ``count`` tiny unused strings."""
    return shared_strings_xlsx([["code", "name_zh"], ["A", "甲"]], extra_strings=count)


def refusal(data: bytes, limits: UploadLimits, *, check_directory: bool = True) -> str:
    opened = open_source(data, max_bytes=limits.max_file_bytes)
    with pytest.raises(UploadError) as caught:
        if check_directory:
            check_zip(opened, limits)
        with xlsx_records(opened, limits) as rows:
            list(rows)
    return str(caught.value)


def test_shared_strings_over_their_size_cap_are_refused_from_the_central_directory():
    data = with_shared_strings(20_000)
    limits = DEFAULT_LIMITS.replace(xlsx_max_shared_strings_bytes=100_000)
    size = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/sharedStrings.xml").file_size
    assert refusal(data, limits) == (
        f"the XLSX part xl/sharedStrings.xml would expand to {size:,} bytes, more than the limit of "
        "100,000 bytes"
    )


def test_shared_strings_are_counted_while_read_whatever_the_headers_say():
    """The counter on the decompressed bytes refuses even when the central directory is not checked."""
    data = with_shared_strings(20_000)
    limits = DEFAULT_LIMITS.replace(xlsx_max_shared_strings_bytes=100_000)
    assert refusal(data, limits, check_directory=False) == (
        "the XLSX part xl/sharedStrings.xml expands to more than the limit of 100,000 bytes"
    )


def test_too_many_shared_strings_are_refused():
    limits = DEFAULT_LIMITS.replace(xlsx_max_shared_strings=1000)
    assert refusal(with_shared_strings(1001), limits) == (
        "the XLSX shared strings table has more than 1,000 strings, the limit"
    )


def test_an_unpacked_size_over_the_total_or_member_cap_is_refused():
    data = workbook([["code", "name_zh"], *[[f"A{i}", "甲" * 50] for i in range(2000)]])
    sheet = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml").file_size
    assert refusal(data, DEFAULT_LIMITS.replace(xlsx_max_member_bytes=50_000)) == (
        f"the XLSX part xl/worksheets/sheet1.xml would expand to {bytes_text(sheet)}, more than the limit "
        "of 50,000 bytes"
    )
    assert refusal(data, DEFAULT_LIMITS.replace(xlsx_max_unpacked_bytes=50_000)).startswith(
        "the XLSX file would expand to "
    )


def test_a_zip_bomb_is_refused_by_its_compression_ratio():
    data = with_shared_strings(300_000)  # ~6 MB of repetitive XML
    assert refusal(data, DEFAULT_LIMITS.replace(xlsx_max_compression_ratio=3)).endswith(
        "to 1, more than 3 to 1: refused as a possible zip bomb"
    )


def test_an_xlsx_cell_over_the_cap_is_refused_naming_row_and_column():
    data = workbook([["code", "name_zh"], ["A", "x" * 300]])
    limits = DEFAULT_LIMITS.replace(max_field_chars=200)
    assert refusal(data, limits) == "row 2, column B: the cell has 300 characters, more than the limit of 200"


@pytest.mark.django_db
def test_an_xlsx_ledger_over_a_cap_is_refused_and_nothing_stored(cainiao, settings):
    settings.UPLOAD_XLSX_MAX_SHARED_STRINGS = 5
    data = shared_strings_xlsx([HEADER.split(","), *[ROW.split(",") for _ in range(3)]])
    ledger_file = ledger(data, cainiao[1])
    assert ledger_file.status == LedgerFile.Status.FAILED
    assert ledger_file.message == "the XLSX shared strings table has more than 5 strings, the limit"
    assert not StockLedgerRow.objects.exists()


# --- file size ------------------------------------------------------------------------------------------


def test_a_warehouse_month_of_five_million_rows_fits_the_caps(settings):
    """The defaults (and the settings read from the environment) admit 5M rows of ~300 bytes."""
    wide_row = ROW + "," + "x" * (300 - len(ROW) - 1)
    month = 5_000_000 * len(wide_row.encode()) + len(HEADER.encode())
    limits = upload_limits("warehouse_ledger")
    assert month == 1_500_000_000 + len(HEADER.encode())
    assert limits.max_file_bytes >= month and limits.max_rows >= 5_000_001
    assert ledger_limits("warehouse") == limits
    assert ledger_limits("seller").max_file_bytes == settings.SELLER_LEDGER_MAX_BYTES < limits.max_file_bytes


class DeclaredSize(io.BytesIO):
    """A small upload declaring a large size: what the size cap looks at."""

    def __init__(self, data: bytes, size: int):
        super().__init__(data)
        self.size = size


@pytest.mark.django_db
def test_the_size_cap_depends_on_the_source(cainiao):
    seller, warehouse = cainiao
    big = 1_500_000_000
    result = create_upload(
        uploaded=DeclaredSize(b"x", big),
        name="month.csv",
        seller=None,
        warehouse=warehouse,
        kind="stock",
        source="warehouse",
        user=None,
        enqueue=False,
    )
    assert result.created and result.ledger_file.size == big
    with pytest.raises(UploadRefused) as caught:
        create_upload(
            uploaded=DeclaredSize(b"y", big),
            name="mine.csv",
            seller=seller,
            warehouse=warehouse,
            kind="stock",
            source="seller",
            user=None,
            enqueue=False,
        )
    assert str(caught.value) == "The file is 1430.5 MB; the limit is 200.0 MB."
    assert LedgerFile.objects.count() == 1


# --- quota ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_quota_refuses_seller_uploads_and_spares_the_warehouse(cainiao, owner, settings):
    seller, warehouse = cainiao
    seller.upload_quota_bytes = 1000
    seller.save()
    LedgerFile.objects.create(
        seller=seller, warehouse=warehouse, kind="stock", source="seller", file="ledgers/a.csv",
        original_name="a.csv", size=700, sha256="a", dedupe_key="a", status="stored",
    )  # fmt: skip
    LedgerFile.objects.create(
        seller=seller, warehouse=warehouse, kind="stock", source="warehouse", file="ledgers/w.csv",
        original_name="w.csv", size=10_000, sha256="w", dedupe_key="w", status="stored",
    )  # fmt: skip
    assert seller_upload_usage(seller) == 700
    data = (HEADER + "\n" + f"{ROW}\n" * 5).encode()  # 400 bytes
    with pytest.raises(UploadRefused) as caught:
        create_upload(
            uploaded=io.BytesIO(data), name="mine.csv", seller=seller, warehouse=warehouse, kind="stock",
            source="seller", user=None, enqueue=False,
        )  # fmt: skip
    assert str(caught.value) == (
        f"Your stored uploads already use 700 B of your 1000 B quota; this file ({len(data)} B) would go "
        "over it. Delete old certificates or ask us to raise the quota."
    )
    assert LedgerFile.objects.count() == 2
    ops = create_upload(
        uploaded=io.BytesIO(data), name="ops.csv", seller=seller, warehouse=warehouse, kind="stock",
        source="warehouse", user=None, enqueue=False,
    )  # fmt: skip
    assert ops.created
    with pytest.raises(SkuImportRefused, match="already use 700 B of your 1000 B quota"):
        create_sku_import(seller=seller, uploaded=SimpleUploadedFile("skus.csv", data), enqueue=False)
    assert not SkuImportJob.objects.exists()


def test_the_quota_is_a_form_error_on_the_sku_import_and_certificate_pages(owner_client, owner, settings):
    settings.SELLER_UPLOAD_QUOTA_BYTES = 50
    response = owner_client.post(
        reverse("inventory:sku-import"),
        {"file": SimpleUploadedFile("skus.csv", b"code,name_zh\n" + b"A,b\n" * 20)},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        "Your stored uploads already use 0 B of your 50 B quota; this file (93 B) would go over it. Delete "
        "old certificates or ask us to raise the quota."
    ]
    sku = SkuFactory(seller=owner.seller)
    pdf = SimpleUploadedFile("pse.pdf", b"%PDF-1.4\n" + b"0" * 100)
    response = owner_client.post(
        reverse("inventory:sku-detail", args=[sku.pk]), {"kind": "PSE", "number": "P-1", "file": pdf}
    )
    assert response.status_code == 400
    assert "of your 50 B quota" in response.context["certificate_form"].errors["file"][0]
    assert not Certificate.objects.exists() and not SkuImportJob.objects.exists()


# --- retention ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_retention_deletes_only_old_refused_files_and_keeps_the_rows(
    cainiao, settings, media, django_capture_on_commit_callbacks
):
    seller, warehouse = cainiao
    settings.REFUSED_UPLOAD_RETENTION_DAYS = 30
    now = timezone.now()

    def ledger_file(name, status, age_days):
        upload = LedgerFile(
            seller=seller, warehouse=warehouse, kind="stock", source="seller", original_name=name, size=4,
            sha256=name, dedupe_key=name, status=status, finished_at=now - timedelta(days=age_days),
            message="1 error(s) in 1 row(s).", errors=[{"row": 2, "column": "stock_qty", "reason": "bad"}],
        )  # fmt: skip
        upload.file.save(name, ContentFile(b"data"), save=False)
        upload.save()
        return upload

    old_refused = ledger_file("old.csv", "failed", 31)
    recent_refused = ledger_file("recent.csv", "failed", 29)
    old_stored = ledger_file("stored.csv", "stored", 90)
    job = SkuImportJob(seller=seller, original_name="skus.csv", size=4, status="refused")
    job.finished_at = now - timedelta(days=40)
    job.file.save("skus.csv", ContentFile(b"data"), save=False)
    job.save()
    done_job = SkuImportJob(
        seller=seller, original_name="ok.csv", size=4, status="done", finished_at=job.finished_at
    )
    done_job.file.save("ok.csv", ContentFile(b"data"), save=False)
    done_job.save()
    old_path, job_path = old_refused.file.path, job.file.path
    assert seller_upload_usage(seller) == 20

    with django_capture_on_commit_callbacks(execute=True):
        result = purge_refused_uploads(now=now)

    assert (result.ledger_files, result.sku_imports) == (1, 1)
    old_refused.refresh_from_db()
    job.refresh_from_db()
    assert not old_refused.file and old_refused.message == (
        "1 error(s) in 1 row(s). The stored file was deleted after 30 days (refused uploads are not kept)."
    )
    assert old_refused.errors and old_refused.status == "failed"  # the row and its report stay
    assert not job.file and job.file_deleted_at == now and job.problems == []
    assert not os.path.exists(old_path) and not os.path.exists(job_path)
    for kept in (recent_refused, old_stored, done_job):
        kept.refresh_from_db()
        assert kept.file and os.path.exists(kept.file.path)
    assert seller_upload_usage(seller) == 12  # deleted refused files free the quota
    assert purge_refused_uploads(now=now).total == 0  # idempotent

    out = io.StringIO()
    call_command("purge_refused_uploads", "--days", "1", stdout=out)
    assert out.getvalue().strip() == (
        "Deleted the files of 1 refused ledger upload(s) and 0 refused SKU import(s)."
    )


def test_the_purge_runs_daily_from_celery_beat(settings):
    from portal.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["purge-refused-uploads"]
    assert entry["task"] == "inventory.tasks.purge_refused_uploads_task"
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
    assert entry["schedule"].is_due(timezone.now() - timedelta(days=1)).is_due


def test_the_ledger_page_shows_the_quota_as_a_form_error(owner_client, owner, settings):
    from tests.factories import ContractFactory, ServiceLineFactory

    warehouse = WarehouseFactory()
    ContractFactory(seller=owner.seller, service_line=ServiceLineFactory(warehouse=warehouse))
    settings.SELLER_UPLOAD_QUOTA_BYTES = 100
    data = (HEADER + "\n" + f"{ROW}\n").encode()
    response = owner_client.post(
        reverse("inventory:ledger-list"),
        {"kind": "stock", "warehouse": warehouse.pk, "file": SimpleUploadedFile("mine.csv", data)},
    )
    assert response.status_code == 400
    assert (
        f"Your stored uploads already use 0 B of your 100 B quota; this file ({len(data)} B) would go "
        "over it." in response.content.decode()
    )
    assert not LedgerFile.objects.exists()
