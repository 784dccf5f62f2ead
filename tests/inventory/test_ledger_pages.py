"""The seller's ledger pages: upload and result, errors as CSV, rows with filters and export, the stock
month's chart and consistency findings (issue 6)."""

import csv
import io
import json

import pytest
from django.urls import reverse

from inventory.ledgers.imports import import_ledger_file
from inventory.models import LedgerFile, StockLedgerRow
from tests.factories import ContractFactory, ServiceLineFactory, WarehouseFactory
from tests.message_translations import translated  # noqa: F401

HEADER = (
    "business_date,warehouse,seller,item_id,length_mm,height_mm,width_mm,"
    "units_per_carton,sales_qty,stock_qty\n"
)


@pytest.fixture
def warehouse(owner):
    warehouse = WarehouseFactory(code="HK-1", name="HK one")
    ContractFactory(seller=owner.seller, service_line=ServiceLineFactory(warehouse=warehouse))
    return warehouse


def csv_file(text: str, name="stock.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def stock_lines(seller_code, rows):
    return HEADER + "".join(
        f"2016-06-{day:02d},HK-1,{seller_code},{item},400,100,250,1,{sold},{stock}\n"
        for day, item, sold, stock in rows
    )


def upload(client, warehouse, text, kind="stock"):
    response = client.post(
        reverse("inventory:ledger-list"), {"kind": kind, "warehouse": warehouse.pk, "file": csv_file(text)}
    )
    ledger_file = LedgerFile.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == reverse(
        "inventory:ledger-file", args=[ledger_file.pk]
    )
    return import_ledger_file(ledger_file.pk)


@pytest.mark.django_db
def test_upload_page_shows_progress_then_the_stored_result(owner_client, owner, warehouse):
    ledger_file = upload(
        owner_client, warehouse, stock_lines(owner.seller.code, [(1, "A1", 0, 10), (2, "A1", 1, 9)])
    )
    assert ledger_file.source == "seller" and ledger_file.status == "stored"
    page = owner_client.get(reverse("inventory:ledger-file", args=[ledger_file.pk]), HTTP_HX_REQUEST="true")
    body = page.content.decode()
    assert "2 rows stored, June 1, 2016 to June 2, 2016." in body and "hx-trigger" not in body


@pytest.mark.django_db
def test_running_upload_polls_for_progress(owner_client, owner, warehouse):
    response = owner_client.post(
        reverse("inventory:ledger-list"),
        {
            "kind": "stock",
            "warehouse": warehouse.pk,
            "file": csv_file(stock_lines(owner.seller.code, [(1, "A", 0, 1)])),
        },
    )
    page = owner_client.get(response["Location"])
    assert 'hx-trigger="every 1s"' in page.content.decode()


@pytest.mark.django_db
def test_refused_upload_lists_each_bad_row_and_offers_them_as_csv(owner_client, owner, warehouse):
    text = (
        stock_lines(owner.seller.code, [(1, "A1", 0, 10)])
        + f"2016-06-02,HK-1,{owner.seller.code},A1,400,100,250,1,0,-3\n"
    )
    ledger_file = upload(owner_client, warehouse, text)
    assert ledger_file.status == "failed" and not StockLedgerRow.objects.exists()
    page = owner_client.get(reverse("inventory:ledger-file", args=[ledger_file.pk])).content.decode()
    assert "Nothing was stored." in page and "stock_qty" in page
    errors = owner_client.get(reverse("inventory:ledger-file-errors", args=[ledger_file.pk]))
    rows = list(csv.reader(io.StringIO(errors.content.decode())))
    assert rows[0] == ["row", "column", "reason"] and rows[1][:2] == ["3", "stock_qty"]


@pytest.mark.django_db
def test_the_same_file_twice_says_so(owner_client, owner, warehouse):
    text = stock_lines(owner.seller.code, [(1, "A1", 0, 10)])
    upload(owner_client, warehouse, text)
    response = owner_client.post(
        reverse("inventory:ledger-list"),
        {"kind": "stock", "warehouse": warehouse.pk, "file": csv_file(text)},
        follow=True,
    )
    assert "it is stored once" in response.content.decode()
    assert LedgerFile.objects.count() == 1


@pytest.mark.django_db
def test_rows_page_shows_only_the_sellers_rows_and_exports_them_safely(
    owner_client, owner, other_owner, warehouse
):
    upload(
        owner_client,
        warehouse,
        stock_lines(owner.seller.code, [(1, "=HYPERLINK(1)", 0, 10), (2, "B2", 0, 5)]),
    )
    other = LedgerFile.objects.create(
        warehouse=warehouse,
        kind="stock",
        source="warehouse",
        file="x",
        original_name="x",
        sha256="x",
        dedupe_key="x",
    )
    StockLedgerRow.objects.create(
        ledger_file=other,
        seller=other_owner.seller,
        warehouse=warehouse,
        source="warehouse",
        row_number=2,
        business_date="2016-06-01",
        item_id="THEIRS",
        length_mm=1,
        height_mm=1,
        width_mm=1,
        daily_volume_m3=1,
        sales_qty=0,
        stock_qty=1,
    )
    page = owner_client.get(reverse("inventory:ledger-rows", args=["stock"]), {"q": "B2"})
    assert [row.record.item_id for row in page.context["table"].rows] == ["B2"]
    export = owner_client.get(reverse("inventory:ledger-rows", args=["stock"]), {"export": "csv"})
    lines = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    items = [line[5] for line in lines[1:]]
    assert sorted(items) == ["'=HYPERLINK(1)", "B2"]  # escaped against formula injection; no other seller
    xlsx = owner_client.get(reverse("inventory:ledger-rows", args=["stock"]), {"export": "xlsx"})
    assert xlsx.content[:2] == b"PK"


@pytest.mark.django_db
def test_stock_month_chart_and_consistency_findings(owner_client, owner, warehouse):
    # Warehouse rows: A1 drops from 10 to 6 with 1 sold on the 2nd (3 units unaccounted for).
    warehouse_file = LedgerFile.objects.create(
        seller=None,
        warehouse=warehouse,
        kind="stock",
        source="warehouse",
        file="w.csv",
        original_name="w.csv",
        sha256="w",
        dedupe_key="w",
    )
    from django.core.files.base import ContentFile

    text = stock_lines(owner.seller.code, [(1, "A1", 0, 10), (2, "A1", 1, 6), (3, "A1", 0, 6)])
    warehouse_file.file.save("w.csv", ContentFile(text.encode()))
    assert import_ledger_file(warehouse_file.pk).status == "stored"
    # The seller's own records disagree on the 3rd.
    upload(owner_client, warehouse, stock_lines(owner.seller.code, [(3, "A1", 0, 7)]))
    page = owner_client.get(reverse("inventory:ledger-rows", args=["stock"]), {"month": "2016-06"})
    assert page.context["month"] == "2016-06"
    kinds = sorted((f.kind, f.day.day) for f in page.context["findings"])
    assert kinds == [("source_mismatch", 3), ("unexplained_drop", 2)]
    texts = sorted((f.text.id, dict(f.text.params)) for f in page.context["findings"])  # issue 12
    assert texts == [
        ("finding.source_mismatch", {"stock": 6, "sales": 0, "my_stock": 7, "my_sales": 0}),
        ("finding.unexplained_drop", {"before": 10, "stock": 6, "sales": 1, "missing": 3}),
    ]
    assert "stock 10 → 6 with 1 sold: 3 units unaccounted for" in page.content.decode()
    chart = json.loads(page.context["chart_json"])
    assert chart["units"] == [10, 6, 6] and len(chart["labels"]) == 3


@pytest.mark.django_db
@pytest.mark.usefixtures("translated")
def test_consistency_findings_read_in_the_sellers_language(owner_client, owner, warehouse):
    """Issue 12: a finding is a message id with params; the page renders it in the reader's language."""
    upload(owner_client, warehouse, stock_lines(owner.seller.code, [(1, "A1", 0, 10), (2, "A1", 1, 6)]))
    page = owner_client.get(
        reverse("inventory:ledger-rows", args=["stock"]), {"month": "2016-06"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert "库存 10 → 6，售出 1：3 件去向不明" in page.content.decode()
