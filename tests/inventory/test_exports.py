"""Exports too large for a request run on a worker (issue 10): ledger rows and SKUs over
EXPORT_INLINE_MAX_ROWS become an export job with progress and a seller-scoped download."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from inventory.exports import run_export
from inventory.ledgers.imports import import_ledger_file
from inventory.models import ExportJob, LedgerFile
from tests.factories import ContractFactory, ServiceLineFactory, SkuFactory, WarehouseFactory, ready_export

HEADER = (
    "business_date,warehouse,seller,item_id,length_mm,height_mm,width_mm,"
    "units_per_carton,sales_qty,stock_qty\n"
)


@pytest.fixture
def stored_rows(owner, owner_client):
    """Five stock rows of the owner, one with an item id a spreadsheet would run as a formula."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    warehouse = WarehouseFactory(code="HK-1", name="HK one")
    ContractFactory(seller=owner.seller, service_line=ServiceLineFactory(warehouse=warehouse))
    items = ["A1", "A2", "=HYPERLINK(1)", "B1", "B2"]
    text = HEADER + "".join(
        f"2016-06-{day:02d},HK-1,{owner.seller.code},{item},400,100,250,1,0,10\n"
        for day, item in enumerate(items, start=1)
    )
    owner_client.post(
        reverse("inventory:ledger-list"),
        {"kind": "stock", "warehouse": warehouse.pk, "file": SimpleUploadedFile("s.csv", text.encode())},
    )
    assert import_ledger_file(LedgerFile.objects.latest("pk").pk).status == "stored"
    return warehouse


@pytest.mark.django_db
def test_a_large_ledger_export_runs_on_a_worker_with_the_filters_and_escaped_cells(
    owner_client, owner, stored_rows, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.EXPORT_INLINE_MAX_ROWS = 2
    url = reverse("inventory:ledger-rows", args=["stock"])

    response = owner_client.get(url, {"export": "csv", "date_from": "2016-06-02"})

    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("inventory:export", args=[job.pk])
    assert (job.seller, job.kind, job.filters, job.status) == (
        owner.seller,
        "ledger:stock",
        {"date_from": ["2016-06-02"]},
        "queued",
    )
    page = owner_client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in page and "export-download" not in page
    assert owner_client.get(reverse("inventory:export-download", args=[job.pk])).status_code == 404

    job = run_export(job.pk)

    assert (job.status, job.row_count, job.rows_done, job.attempts) == ("ready", 4, 4, 1)
    fragment = owner_client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in fragment and "export-download" in fragment
    download = owner_client.get(reverse("inventory:export-download", args=[job.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:5] == ["warehouse", "service_line", "source", "row_number", "business_date"]
    assert [row[5] for row in rows[1:]] == ["B2", "B1", "'=HYPERLINK(1)", "A2"]
    assert download["Content-Disposition"].startswith('attachment; filename="stock-ledger-')
    # A redelivered task writes nothing more.
    assert run_export(job.pk).file.name == job.file.name and ExportJob.objects.get().attempts == 1


@pytest.mark.django_db
def test_a_large_xlsx_export_is_written_in_write_only_mode_to_a_file(
    owner_client, owner, stored_rows, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.EXPORT_INLINE_MAX_ROWS = 2
    owner_client.get(reverse("inventory:ledger-rows", args=["stock"]), {"export": "xlsx"})
    job = run_export(ExportJob.objects.get().pk)
    sheet = load_workbook(job.file.path, read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 6 and values[0][4] == "business_date"
    assert sorted(row[5] for row in values[1:]) == ["'=HYPERLINK(1)", "A1", "A2", "B1", "B2"]
    assert values[1][6] == 10 and values[1][7] == 0  # numbers stay numbers


@pytest.mark.django_db
def test_a_small_export_still_comes_straight_back(owner_client, stored_rows):
    response = owner_client.get(reverse("inventory:ledger-rows", args=["stock"]), {"export": "csv"})
    assert response.status_code == 200 and not ExportJob.objects.exists()
    assert len(list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))) == 6


@pytest.mark.django_db
def test_a_large_sku_export_runs_on_a_worker_with_the_lists_filters(
    owner_client, owner, other_owner, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.EXPORT_INLINE_MAX_ROWS = 1
    SkuFactory(seller=owner.seller, code="CUP-1", name_en="=cmd|' /C calc'!A0")
    SkuFactory(seller=owner.seller, code="CUP-2")
    SkuFactory(seller=owner.seller, code="BOX-1")
    SkuFactory(seller=other_owner.seller, code="CUP-9")

    response = owner_client.get(reverse("inventory:sku-export"), {"format": "csv", "q": "CUP"})

    job = ExportJob.objects.get()
    assert response["Location"] == reverse("inventory:export", args=[job.pk]) and job.kind == "skus"
    job = run_export(job.pk)
    rows = list(csv.DictReader(io.StringIO(job.file.read().decode("utf-8-sig"))))
    assert [row["code"] for row in rows] == ["CUP-1", "CUP-2"]
    assert rows[0]["name_en"] == "'=cmd|' /C calc'!A0"


@pytest.mark.django_db
def test_another_sellers_export_is_not_found(owner_client, other_owner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    foreign = ready_export(other_owner.seller)
    assert owner_client.get(reverse("inventory:export", args=[foreign.pk])).status_code == 404
    assert owner_client.get(reverse("inventory:export-download", args=[foreign.pk])).status_code == 404
