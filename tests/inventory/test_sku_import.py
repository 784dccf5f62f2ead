"""SKU import and export through django-import-export: Chinese headers, all or nothing for the
session's seller, every bad row reported, formula injection escaped (SPEC §4, §13, STYLE)."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.catalog.resources import RowProblem, export_skus, import_skus
from inventory.catalog.sku_import import run_sku_import
from inventory.models import Sku, SkuImportJob
from tests.factories import CertificateFactory, SkuFactory

ZH_HEADER = [
    "SKU编码", "中文品名", "英文品名", "日文品名", "材质", "HS编码", "申报价值", "申报币种", "净重(g)",
    "长(mm)", "宽(mm)", "高(mm)", "箱规", "箱长(mm)", "箱宽(mm)", "箱高(mm)", "条码", "FNSKU",
    "含电池", "液体", "粉末", "电器", "易碎",
]  # fmt: skip
LAMP = [
    "LAMP-01", "台灯", "Desk lamp", "デスクランプ", "ABS", "9405.20", "18.50", "USD", "820",
    "300", "200", "150", "12", "620", "410", "320", "6901234567892", "X00ABCDEFG",
    "否", "no", "0", "是", "yes",
]  # fmt: skip
CUP = [
    "CUP-02", "马克杯", "Mug", "", "陶瓷", "691200", "3", "CNY", "350.5",
    "120", "90", "100", "36", "600", "400", "300", "", "",
    "false", "FALSE", "否", "0", "1",
]  # fmt: skip


def csv_bytes(rows, encoding="utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name="skus.csv"):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def assert_lamp(sku: Sku) -> None:
    assert (sku.name_zh, sku.name_en, sku.name_ja, sku.material) == (
        "台灯",
        "Desk lamp",
        "デスクランプ",
        "ABS",
    )
    assert (sku.hs_code, sku.declared_value, sku.declared_currency) == ("940520", Decimal("18.50"), "USD")
    assert (sku.net_weight_g, sku.length_mm, sku.width_mm, sku.height_mm) == (Decimal("820"), 300, 200, 150)
    assert (sku.units_per_carton, sku.carton_length_mm, sku.carton_width_mm, sku.carton_height_mm) == (
        12, 620, 410, 320,
    )  # fmt: skip
    assert (sku.barcode, sku.fnsku) == ("6901234567892", "X00ABCDEFG")
    assert (sku.has_battery, sku.is_liquid, sku.is_powder, sku.is_electrical, sku.is_fragile) == (
        False, False, False, True, True,
    )  # fmt: skip


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_with_chinese_headers_creates_the_skus(owner, encoding):
    result = import_skus(seller=owner.seller, file=upload(csv_bytes([ZH_HEADER, LAMP, CUP], encoding)))
    assert result.ok, result.problems
    assert (result.created, result.updated) == (2, 0)
    assert_lamp(Sku.objects.get(seller=owner.seller, code="LAMP-01"))
    cup = Sku.objects.get(seller=owner.seller, code="CUP-02")
    assert (cup.declared_value, cup.declared_currency, cup.net_weight_g, cup.is_fragile) == (
        Decimal("3"), "CNY", Decimal("350.5"), True,
    )  # fmt: skip


def test_xlsx_with_chinese_headers_and_numeric_cells_creates_the_skus(owner):
    lamp = [*LAMP]
    lamp[6:8] = [18.5, "USD"]
    lamp[8:16] = [820, 300, 200, 150, 12, 620, 410, 320]
    lamp[16] = 6901234567892
    lamp[18:] = ["否", False, 0, "是", True]
    result = import_skus(seller=owner.seller, file=upload(xlsx_bytes([ZH_HEADER, lamp, CUP]), "skus.xlsx"))
    assert result.ok, result.problems
    assert (result.created, result.updated) == (2, 0)
    assert_lamp(Sku.objects.get(code="LAMP-01"))


def test_other_header_spellings_are_accepted(owner):
    header = ["商品编码", " Chinese name ", "英文品名", "海关编码", "净重（g）", "category"]
    result = import_skus(
        seller=owner.seller, file=upload(csv_bytes([header, ["A1", "甲", "Alpha", "392490", "12", "Toys"]]))
    )
    assert result.ok, result.problems
    sku = Sku.objects.get(code="A1")
    assert (sku.hs_code, sku.net_weight_g, sku.category) == ("392490", Decimal("12"), "toys")


def test_one_bad_row_stores_nothing_and_is_reported(owner):
    bad = [*CUP]
    bad[0], bad[5] = "BAD-03", "12A"
    content = csv_bytes([ZH_HEADER, LAMP, bad])
    result = import_skus(seller=owner.seller, file=upload(content))
    assert not result.ok
    assert result.problems == [RowProblem(3, "HS编码", "An HS code has 6 to 10 digits.")]
    assert not Sku.objects.exists()


def test_every_bad_row_is_listed_with_row_column_and_reason(owner):
    rows = [ZH_HEADER, LAMP]
    wrong_value = [*CUP]
    wrong_value[6] = "0"
    rows.append(wrong_value)  # row 3
    no_name = [*CUP]
    no_name[0], no_name[1], no_name[9] = "X-4", "", "-5"
    rows.append(no_name)  # row 4
    rows.append([""] * len(ZH_HEADER))  # row 5: blank, skipped
    strange = [*CUP]
    strange[0], strange[7], strange[19], strange[8] = "X-6", "EUR", "maybe", "abc"
    rows.append(strange)  # row 6
    duplicate = [*LAMP]
    rows.append(duplicate)  # row 7
    jpy = [*CUP]
    jpy[0], jpy[6], jpy[7], jpy[12] = "X-8", "100.5", "日元", "2.5"
    rows.append(jpy)  # row 8

    result = import_skus(seller=owner.seller, file=upload(csv_bytes(rows)))
    problems = {(p.row, p.column): p.reason for p in result.problems}
    assert problems == {
        (3, "申报价值"): "Ensure this value is greater than or equal to 0.01.",
        (4, "中文品名"): "This field cannot be blank.",
        (4, "长(mm)"): "Ensure this value is greater than or equal to 1.",
        (6, "申报币种"): "“EUR” is not one of: CNY, JPY, VND, USD.",
        (6, "液体"): "“maybe” is not yes or no (是/否, yes/no, true/false, 1/0).",
        (6, "净重(g)"): "“abc” is not a number.",
        (7, "SKU编码"): "The code LAMP-01 is also on row 2.",
        (8, "申报价值"): "JPY amounts have no decimals.",
        (8, "箱规"): "“2.5” is not a whole number.",
    }
    assert [p.row for p in result.problems] == sorted(p.row for p in result.problems)
    assert not Sku.objects.exists()


def test_import_updates_the_sellers_own_code_and_never_touches_another_seller(owner, other_owner):
    mine = SkuFactory(seller=owner.seller, code="LAMP-01", name_en="Old name", material="steel")
    theirs = SkuFactory(seller=other_owner.seller, code="CUP-02", name_en="Their mug")
    header = ["code", "name_en", "seller", "id"]
    rows = [header, ["LAMP-01", "Desk lamp", str(other_owner.seller.pk), str(theirs.pk)]]
    rows.append(["CUP-02", "Mug", str(other_owner.seller.pk), str(theirs.pk)])
    result = import_skus(seller=owner.seller, file=upload(csv_bytes(rows)))
    # A new CUP-02 needs a Chinese name: the whole file is refused, and nothing changed.
    assert result.problems == [RowProblem(3, "name_zh", "This field cannot be blank.")]
    mine.refresh_from_db()
    assert mine.name_en == "Old name"

    rows = [["code", "name_en", "name_zh", "seller", "id"]]
    rows += [
        ["LAMP-01", "Desk lamp", "台灯", "x", str(theirs.pk)],
        ["CUP-02", "Mug", "杯", "x", str(theirs.pk)],
    ]
    result = import_skus(seller=owner.seller, file=upload(csv_bytes(rows)))
    assert result.ok and (result.created, result.updated) == (1, 1)
    assert result.ignored_columns == ["seller", "id"]
    mine.refresh_from_db()
    assert (mine.name_en, mine.name_zh, mine.material) == ("Desk lamp", "台灯", "steel")  # absent column kept
    theirs.refresh_from_db()
    assert theirs.name_en == "Their mug" and theirs.seller == other_owner.seller
    assert Sku.objects.get(seller=owner.seller, code="CUP-02").name_en == "Mug"


@pytest.mark.parametrize(
    "content,reason",
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "the file contains NUL bytes"),
        (csv_bytes([["name_en", "name_zh"], ["a", "b"]]), "The file has no SKU code column"),
        (b"", "the file is empty"),
        (csv_bytes([["code", "SKU编码"], ["a", "b"]]), "both give code"),
    ],
)
def test_unreadable_files_are_refused_as_a_whole(owner, content, reason):
    result = import_skus(seller=owner.seller, file=upload(content))
    assert len(result.problems) == 1 and result.problems[0].row is None
    assert reason in result.problems[0].reason
    assert not Sku.objects.exists()


# --- export ------------------------------------------------------------------------------------------


def test_export_csv_has_field_name_headers_only_own_skus_and_escapes_formulas(owner, other_owner):
    SkuFactory(
        seller=owner.seller, code='=HYPERLINK("http://x")', name_en="+cmd", material="-1", barcode="@SUM"
    )
    SkuFactory(seller=owner.seller, code="PLAIN", name_en="Mug", has_battery=True)
    SkuFactory(seller=other_owner.seller, code="THEIRS")
    content = export_skus(Sku.objects.all(), file_format="csv", seller=owner.seller)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert list(rows[0]) == [
        "code", "name_zh", "name_en", "name_ja", "material", "category", "barcode", "fnsku", "hs_code",
        "declared_value", "declared_currency", "net_weight_g", "length_mm", "width_mm", "height_mm",
        "units_per_carton", "carton_length_mm", "carton_width_mm", "carton_height_mm", "has_battery",
        "is_liquid", "is_powder", "is_electrical", "is_fragile",
    ]  # fmt: skip
    assert [r["code"] for r in rows] == ['\'=HYPERLINK("http://x")', "PLAIN"]
    assert (rows[0]["name_en"], rows[0]["material"], rows[0]["barcode"]) == ("'+cmd", "'-1", "'@SUM")
    assert (rows[1]["declared_value"], rows[1]["net_weight_g"], rows[1]["has_battery"]) == (
        "12.50",
        "350.0",
        "yes",
    )


def test_export_xlsx_writes_escaped_text_and_real_numbers(owner):
    SkuFactory(seller=owner.seller, code="=1+1", name_en="Mug")
    content = export_skus(Sku.objects.all(), file_format="xlsx", seller=owner.seller)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, sheet[2], strict=True))
    assert row["code"].value == "'=1+1" and row["code"].data_type == "s"
    assert row["declared_value"].value == 12.5 and row["length_mm"].value == 300


def test_export_then_import_round_trips(owner):
    SkuFactory(seller=owner.seller, code="=ODD", name_en="-minus", is_liquid=True)
    SkuFactory(seller=owner.seller, code="PLAIN")
    before = list(Sku.objects.order_by("code").values())
    for file_format in ("csv", "xlsx"):
        content = export_skus(Sku.objects.all(), file_format=file_format, seller=owner.seller)
        result = import_skus(seller=owner.seller, file=upload(content, f"skus.{file_format}"))
        assert result.ok, result.problems
        assert (result.created, result.updated) == (0, 2)
    after = list(Sku.objects.order_by("code").values())
    for row in before + after:
        row.pop("updated_at")
    assert after == before


# --- views -------------------------------------------------------------------------------------------


def post_import(client, content: bytes, name: str) -> SkuImportJob:
    """Upload through the page: a queued job and a redirect to its page (the worker runs it later)."""
    response = client.post(reverse("inventory:sku-import"), {"file": upload(content, name)})
    job = SkuImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "inventory:sku-import-job", args=[job.pk]
    )
    assert job.status == SkuImportJob.Status.QUEUED and not Sku.objects.exists()
    return job


def test_import_page_stores_the_skus_and_says_how_many(owner_client, owner):
    assert owner_client.get(reverse("inventory:sku-import")).status_code == 200
    job = post_import(owner_client, xlsx_bytes([ZH_HEADER, LAMP, CUP]), "skus.xlsx")
    page = owner_client.get(reverse("inventory:sku-import-job", args=[job.pk])).content.decode()
    assert "Queued" in page and 'hx-trigger="every 1s"' in page

    run_sku_import(job.pk)  # what the worker's task does

    response = owner_client.get(reverse("inventory:sku-import-job", args=[job.pk]))
    assert response.status_code == 200
    assert "Import done: 2 SKUs created, 0 updated." in response.content.decode()
    assert 'hx-trigger="every 1s"' not in response.content.decode()  # finished: no more polling
    assert set(Sku.objects.filter(seller=owner.seller).values_list("code", flat=True)) == {
        "LAMP-01",
        "CUP-02",
    }
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total, job.progress_percent) == ("done", 2, 2, 100)


def test_import_page_lists_the_bad_rows_and_stores_nothing(owner_client):
    bad = [*CUP]
    bad[9] = "0"
    job = post_import(owner_client, csv_bytes([ZH_HEADER, LAMP, bad]), "skus.csv")
    run_sku_import(job.pk)
    response = owner_client.get(reverse("inventory:sku-import-job", args=[job.pk]))
    content = response.content.decode()
    assert "Nothing was imported: 1 problem to fix." in content
    assert (
        '<td class="text-end">3</td><td>长(mm)</td><td>Ensure this value is greater than or equal to 1.</td>'
        in content
    )
    assert not Sku.objects.exists()
    job.refresh_from_db()
    assert job.status == SkuImportJob.Status.REFUSED
    assert job.problems == [
        {"row": 3, "column": "长(mm)", "reason": "Ensure this value is greater than or equal to 1."}
    ]


def test_the_htmx_poll_gets_only_the_progress_fragment(owner_client):
    job = post_import(owner_client, csv_bytes([ZH_HEADER, LAMP]), "skus.csv")
    fragment = owner_client.get(reverse("inventory:sku-import-job", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert fragment.content.decode().lstrip().startswith('<div id="sku-import-progress"')


def test_progress_is_reported_per_chunk_and_a_second_run_does_nothing(owner, settings):
    from inventory.catalog import resources

    rows = [ZH_HEADER]
    for i in range(7):
        row = [*CUP]
        row[0] = f"CUP-{i}"
        rows.append(row)
    job = SkuImportJob.objects.create(seller=owner.seller, original_name="skus.csv", size=1)
    job.file.save("skus.csv", ContentFile(csv_bytes(rows)))
    seen = []
    original = resources.IMPORT_CHUNK_ROWS
    resources.IMPORT_CHUNK_ROWS = 3
    try:
        result = import_skus(
            seller=owner.seller, file=job.file.open("rb"), progress=lambda d, t: seen.append((d, t))
        )
        job.file.close()
    finally:
        resources.IMPORT_CHUNK_ROWS = original
    assert seen == [(0, 7), (3, 7), (6, 7), (7, 7)]
    assert (result.created, result.updated) == (7, 0)

    Sku.objects.all().delete()
    first = run_sku_import(job.pk)
    again = run_sku_import(job.pk)
    assert (first.status, again.status, again.created, again.attempts) == ("done", "done", 7, 1)
    assert Sku.objects.count() == 7


def test_an_import_over_the_size_cap_is_refused_by_the_form_and_nothing_is_kept(owner_client, settings):
    settings.SKU_IMPORT_MAX_BYTES = 100
    response = owner_client.post(reverse("inventory:sku-import"), {"file": upload(b"x" * 101)})
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == ["The file is larger than 100 B."]
    assert not SkuImportJob.objects.exists()


@pytest.mark.worker
def test_an_import_runs_on_a_real_worker_process(celery_worker_process, owner_client, owner):
    """Through the page, the broker and a separate ``celery worker`` process (after commit)."""
    import time

    response = owner_client.post(
        reverse("inventory:sku-import"), {"file": upload(xlsx_bytes([ZH_HEADER, LAMP, CUP]), "skus.xlsx")}
    )
    job = SkuImportJob.objects.get()
    assert response.status_code == 302
    deadline = time.monotonic() + 60
    while job.running and time.monotonic() < deadline:
        time.sleep(0.2)
        job.refresh_from_db()
    assert (job.status, job.created, job.updated, job.rows_done) == ("done", 2, 0, 2)
    page = owner_client.get(reverse("inventory:sku-import-job", args=[job.pk])).content.decode()
    assert "Import done: 2 SKUs created, 0 updated." in page
    assert Sku.objects.filter(seller=owner.seller).count() == 2


def test_export_view_exports_the_filtered_list_of_the_seller(owner_client, owner, other_owner):
    blocked = SkuFactory(seller=owner.seller, code="BLOCKED", is_electrical=True)
    ready = SkuFactory(seller=owner.seller, code="READY", is_electrical=True)
    CertificateFactory(sku=ready, kind="PSE")
    SkuFactory(seller=other_owner.seller, code="OTHER", is_electrical=True)
    url = reverse("inventory:sku-export")
    response = owner_client.get(url, {"format": "csv", "destination": "JP", "status": "blocked"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="skus-')
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["code"] for r in rows] == [blocked.code]

    response = owner_client.get(url, {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["BLOCKED", "READY"]

    template = owner_client.get(url, {"format": "csv", "template": "1"})
    assert template.content.decode("utf-8-sig").strip().startswith("code,name_zh,name_en")
    assert len(template.content.decode("utf-8-sig").strip().splitlines()) == 1
    assert owner_client.get(url, {"format": "pdf"}).status_code == 404
