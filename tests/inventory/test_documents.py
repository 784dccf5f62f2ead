"""Inbound order documents (SPEC §5 step 2, §11): packing list, carton labels and the commercial invoice
draft, rendered in the seller's language with CJK fonts, checked on the PDF's own text and fonts."""

import http.server
import re
import subprocess
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from inventory.inbound import documents
from inventory.models import InboundCarton, InboundLine
from tests.factories import InboundOrderFactory, OperatorFactory, SellerFactory, SkuFactory, WarehouseFactory

FLASK = {
    "code": "CUP-350",
    "name_zh": "不锈钢保温杯",
    "name_en": "Stainless steel vacuum flask",
    "name_ja": "真空断熱ステンレスボトル",
    "fnsku": "X00CUP0350",
    "barcode": "6901234567892",
    "material": "Stainless steel 304",
    "hs_code": "961700",
    "declared_value": Decimal("12.50"),
    "declared_currency": "USD",
}
BOX = {
    "code": "BOX-L",
    "name_zh": "收纳盒（大号）",
    "name_en": "Storage box, large",
    "name_ja": "収納ボックス（大）",
    "fnsku": "X00BOXL001",
    "material": "Polypropylene",
    "hs_code": "392490",
    "declared_value": Decimal("45.00"),
    "declared_currency": "CNY",
}
# carton: (length, width, height mm, gross kg, [(sku, units, batch)])
CARTONS = [
    (600, 400, 420, Decimal("12.40"), [("flask", 20, "B2407-01")]),
    (500, 400, 300, Decimal("9.75"), [("box", 12, "B2407-02")]),
    (600, 400, 300, Decimal("10.05"), [("flask", 10, "B2407-01"), ("box", 6, "B2407-03")]),
]


def make_order(
    *,
    language: str,
    seller_name: str = "深圳市海图贸易有限公司",
    seller_country: str = "CN",
    warehouse_country: str = "JP",
    warehouse_address: str = "千葉県市川市塩浜2丁目13-1",
    number: str = "IB260115-A1B2C3",
    warehouse_code: str = "",
    cartons=CARTONS,
    flask_name_en: str = FLASK["name_en"],
):
    seller = SellerFactory(language=language, name=seller_name, country=seller_country)
    operator = OperatorFactory(
        legal_name="Kaiyun Logistics K.K.", address="東京都江東区青海2-4-32", country=warehouse_country
    )
    warehouse = WarehouseFactory(
        code=warehouse_code or f"{warehouse_country}-TYO1",
        name="Ichikawa FC",
        country=warehouse_country,
        operator=operator,
        address=warehouse_address,
    )
    skus = {
        "flask": SkuFactory(seller=seller, **{**FLASK, "name_en": flask_name_en}),
        "box": SkuFactory(seller=seller, **BOX),
    }
    order = InboundOrderFactory(
        seller=seller,
        warehouse=warehouse,
        number=number,
        cartons=0,
        trade_term="DDP",
        shipping_mode="sea_lcl",
    )
    for index, (length, width, height, gross, lines) in enumerate(cartons, start=1):
        carton = InboundCarton.objects.create(
            order=order,
            index=index,
            carton_id=f"{number}-C{index:03d}",
            length_mm=length,
            width_mm=width,
            height_mm=height,
            gross_weight_kg=gross,
        )
        for sku, units, batch in lines:
            InboundLine.objects.create(carton=carton, sku=skus[sku], units=units, batch_no=batch)
    return order


def pdf_text(pdf: bytes, tmp_path: Path, *, mode: str = "-layout") -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", mode, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def pdf_pages(pdf: bytes, tmp_path: Path) -> int:
    path = tmp_path / "pages.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1))


def embedded_fonts(pdf: bytes, tmp_path: Path) -> dict[str, str]:
    """Font name (subset prefix dropped) -> the `emb` column of pdffonts."""
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    fonts = {}
    for row in out.splitlines()[2:]:
        columns = row.split()
        emb = [c for c in columns if c in ("yes", "no")][0]
        fonts[columns[0].split("+", 1)[-1]] = emb
    return fonts


def squeeze(text: str) -> str:
    return "".join(text.split())


@pytest.mark.django_db
def test_packing_list_in_chinese_lists_every_carton_line_and_totals(tmp_path):
    order = make_order(language="zh-hans")

    pdf = documents.packing_list_pdf(order)
    text = pdf_text(pdf, tmp_path)
    raw = squeeze(pdf_text(pdf, tmp_path, mode="-raw"))  # names wrap inside their cells

    assert "装箱单" in text
    assert "PACKING LIST" in text
    assert "IB260115-A1B2C3" in text
    for index in (1, 2, 3):
        assert f"IB260115-A1B2C3-C{index:03d}" in text
        assert re.search(rf"\b{index}\s*/\s*3\b", text)
    for sku in (FLASK, BOX):
        assert sku["code"] in text
        assert sku["fnsku"] in text
        for name in ("name_zh", "name_en", "name_ja"):
            assert squeeze(sku[name]) in raw
    for batch in ("B2407-01", "B2407-02", "B2407-03"):
        assert batch in text
    assert "深圳市海图贸易有限公司" in text
    assert "JP-TYO1" in text
    assert "千葉県市川市塩浜2丁目13-1" in text
    assert "DDP" in text
    # Totals: 3 cartons, 48 units, 12.40 + 9.75 + 10.05 kg, 0.1008 + 0.06 + 0.072 m³.
    totals = squeeze(text[text.rindex("IB260115-A1B2C3-C003") :])
    assert "48" in totals
    assert "32.20kg" in totals
    assert "0.233m³" in totals
    assert "ISF" not in text


@pytest.mark.django_db
def test_chinese_documents_embed_the_simplified_chinese_noto_face(tmp_path):
    order = make_order(language="zh-hans")

    for pdf in (
        documents.packing_list_pdf(order),
        documents.carton_labels_pdf(order),
        documents.commercial_invoice_pdf(order),
    ):
        fonts = embedded_fonts(pdf, tmp_path)
        assert fonts.get("Noto-Sans-CJK-SC") == "yes", fonts
        assert all(emb == "yes" for emb in fonts.values()), fonts


@pytest.mark.django_db
def test_japanese_packing_list_uses_japanese_title_names_and_font(tmp_path):
    order = make_order(language="ja")

    pdf = documents.packing_list_pdf(order)
    text = pdf_text(pdf, tmp_path)
    fonts = embedded_fonts(pdf, tmp_path)

    assert "パッキングリスト" in text
    assert "真空断熱ステンレスボトル" in text
    assert "収納ボックス（大）" in text
    assert "IB260115-A1B2C3-C002" in text
    assert fonts.get("Noto-Sans-CJK-JP") == "yes", fonts
    assert fonts.get("Noto-Sans-CJK-JP-Bold") == "yes", fonts


@pytest.mark.django_db
def test_carton_labels_print_one_page_per_carton_with_its_own_shipping_mark(tmp_path):
    order = make_order(language="zh-hans")

    pdf = documents.carton_labels_pdf(order)
    pages = pdf_text(pdf, tmp_path).split("\f")

    assert pdf_pages(pdf, tmp_path) == 3
    expected = {
        1: {"CUP-350", "X00CUP0350", "B2407-01"},
        2: {"BOX-L", "X00BOXL001", "B2407-02"},
        3: {"CUP-350", "X00CUP0350", "B2407-01", "BOX-L", "X00BOXL001", "B2407-03"},
    }
    for index, page in enumerate(pages[:3], start=1):
        assert "箱唛" in page
        assert re.search(rf"\b{index}\s*/\s*3\b", page)
        assert "IB260115-A1B2C3" in page
        assert f"IB260115-A1B2C3-C{index:03d}" in page
        assert "JP-TYO1" in page
        assert "深圳市海图贸易有限公司" in page
        assert "千葉県市川市塩浜2丁目13-1" in page
        for value in expected[index]:
            assert value in page
        others = {"B2407-01", "B2407-02", "B2407-03"} - expected[index]
        assert not any(batch in page for batch in others)
    assert all(not page.strip() for page in pages[3:])


@pytest.mark.django_db
def test_label_barcode_is_inline_code128_svg_of_the_carton_id():
    order = make_order(language="en")

    context = documents.carton_labels_context(order, language="en")
    html = documents.render_html("pdf/carton_labels.html", context, language="en")

    svgs = re.findall(r"<svg\b[^>]*>.*?</svg>", html, re.S)
    assert len(svgs) == 3
    assert "<img" not in html
    for index, svg in enumerate(svgs, start=1):
        carton_id = f"IB260115-A1B2C3-C{index:03d}"
        modules = documents.code128_modules(carton_id)
        assert f'data-value="{carton_id}"' in svg
        # The bars drawn are exactly the pattern python-barcode encoded (quiet zone of 10 modules).
        drawn = ["0"] * (len(modules) + 20)
        for x, width in re.findall(r"M(\d+) 0h(\d+)v1h-\2z", svg):
            drawn[int(x) : int(x) + int(width)] = "1" * int(width)
        assert "".join(drawn)[10:-10] == modules
        assert modules.startswith("11010")  # a Code 128 start character (A, B or C)
        assert modules.endswith("1100011101011")  # the Code 128 stop pattern


@pytest.mark.django_db
def test_a_crowded_carton_still_gets_exactly_one_label_page(tmp_path):
    crowded = [(600, 400, 420, Decimal("20"), [("flask", 1, f"LOT-{n:02d}") for n in range(12)])]
    order = make_order(
        language="vi",
        seller_name="Công ty TNHH Thương mại Điện tử Hải Đăng " * 4,
        warehouse_address="Lô 12, Khu công nghiệp Tân Tạo, Quận Bình Tân, TP. Hồ Chí Minh, Việt Nam " * 3,
        cartons=crowded + CARTONS[:1],
    )

    pdf = documents.carton_labels_pdf(order)
    text = pdf_text(pdf, tmp_path)

    assert pdf_pages(pdf, tmp_path) == 2
    assert "LOT-05" in text
    assert "LOT-06" not in text  # a label lists 6 lines and points to the packing list for the rest
    assert "6 dòng khác" in text


@pytest.mark.django_db
def test_commercial_invoice_declares_values_with_currency_and_totals_by_currency(tmp_path):
    order = make_order(language="zh-hans")

    text = pdf_text(documents.commercial_invoice_pdf(order), tmp_path)

    assert "商业发票" in text
    assert "报关单草稿" in text
    assert "DRAFT" in text
    assert "IB260115-A1B2C3" in text
    for sku in (FLASK, BOX):
        assert sku["code"] in text
        assert sku["hs_code"] in text
        assert sku["name_en"] in text
        assert sku["name_zh"] in text
        assert sku["material"] in text
    # 30 flasks at USD 12.50 and 18 boxes at CNY 45.00, totalled per currency.
    assert "USD 12.50" in text
    assert "USD 375.00" in text
    assert "CNY 45.00" in text
    assert "CNY 810.00" in text
    assert len(re.findall(r"USD 375\.00", text)) == 2  # the line and the USD total
    assert "Kaiyun Logistics K.K." in text  # the consignee: the warehouse operator
    assert "深圳市海图贸易有限公司 Co., Ltd." in text  # the exporter: the seller
    assert "(CN)" in text  # country of origin: the seller's country
    assert "DDP" in text


def test_money_is_shown_with_its_iso_code_in_the_currency_minor_unit():
    assert documents.format_money(Decimal("1234.5"), "USD", "en") == "USD 1,234.50"
    assert documents.format_money(Decimal("1234567"), "VND", "vi") == "VND 1.234.567"
    assert documents.format_money(Decimal("1500.5"), "JPY", "ja") == "JPY 1,501"
    assert documents.format_unit_value(Decimal("0.125"), "USD", "en") == "USD 0.125"
    assert documents.format_unit_value(Decimal("1500.00"), "JPY", "ja") == "JPY 1,500"


@pytest.mark.django_db
def test_vietnamese_seller_reads_diacritics_intact(tmp_path):
    order = make_order(
        language="vi",
        seller_name="Công ty TNHH Thương mại Hải Đăng",
        seller_country="VN",
        warehouse_country="US",
        warehouse_address="Số 12 Đường Nguyễn Huệ, Quận 1",
    )

    text = pdf_text(documents.packing_list_pdf(order), tmp_path)
    invoice_pdf = documents.commercial_invoice_pdf(order)
    invoice = pdf_text(invoice_pdf, tmp_path)

    assert "Phiếu đóng gói" in text
    assert "Công ty TNHH Thương mại Hải Đăng" in text
    assert "Số 12 Đường Nguyễn Huệ, Quận 1" in text
    assert "Hóa đơn thương mại" in invoice
    assert "Tờ khai hải quan (bản nháp)" in pdf_text(invoice_pdf, tmp_path, mode="-raw")


@pytest.mark.django_db
def test_isf_reminder_is_printed_on_the_us_route_only(tmp_path):
    us = make_order(language="en", warehouse_country="US", number="IB260115-US0001")
    japan = make_order(language="en", warehouse_country="JP", number="IB260115-JP0001")

    assert "ISF (10+2)" in pdf_text(documents.packing_list_pdf(us), tmp_path)
    assert "ISF" not in pdf_text(documents.packing_list_pdf(japan), tmp_path)


@pytest.fixture
def trap_server():
    """A loopback HTTP server that records every request: a document must never reach it."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.django_db
def test_seller_markup_is_printed_as_text_and_fetches_nothing(tmp_path, trap_server):
    base, hits = trap_server
    name = f"<script>alert(1)</script><img src={base}/s.png>"
    order = make_order(
        language="en", seller_name=name, flask_name_en=f'<link rel="stylesheet" href="{base}/x.css">'
    )

    packing_list = documents.packing_list_pdf(order)
    labels = documents.carton_labels_pdf(order)
    invoice = documents.commercial_invoice_pdf(order)
    html = documents.render_html(
        "pdf/packing_list.html", documents.packing_list_context(order, language="en"), language="en"
    )

    assert hits == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=" in html
    assert "<script" not in html
    assert '<link rel="stylesheet" href="http' not in html
    for pdf in (packing_list, labels, invoice):
        assert squeeze(name) in squeeze(pdf_text(pdf, tmp_path, mode="-raw"))
    assert squeeze(f'<link rel="stylesheet" href="{base}/x.css">') in squeeze(
        pdf_text(packing_list, tmp_path, mode="-raw")
    )


def test_fetcher_refuses_network_files_and_paths_outside_static(trap_server, caplog):
    base, hits = trap_server
    html = f"""<html><head>
      <link rel="stylesheet" href="{base}/a.css">
      <style>@import url("{base}/b.css"); body {{ background: url("{base}/c.png"); }}</style>
      </head><body>
      <img src="{base}/d.png">
      <img src="file:///etc/passwd"><img src="file://{settings.BASE_DIR}/static/pdf/pdf.css">
      <img src="/static/../../../../etc/passwd"><img src="/static/%2e%2e/%2e%2e/etc/passwd">
      <img src="/media/certificates/x.png"><img src="data:image/png;base64,iVBORw0KGgo=">
      text</body></html>"""

    with caplog.at_level("WARNING", logger="weasyprint"):
        pdf = documents.html_to_pdf(html)

    assert pdf.startswith(b"%PDF")
    assert hits == []
    assert caplog.text.count("refused to fetch") == 10

    fetcher = documents.StaticOnlyURLFetcher()
    css = fetcher(documents.BASE_URL + "static/pdf/pdf.css")
    assert css.read() == (settings.BASE_DIR / "static" / "pdf" / "pdf.css").read_bytes()
    assert css.content_type == "text/css"
    for url in (
        f"{base}/x.css",
        "file:///etc/passwd",
        documents.BASE_URL + "static/../portal/settings.py",
        documents.BASE_URL + "static/%2e%2e/portal/settings.py",
        documents.BASE_URL + "static//etc/passwd",
        documents.BASE_URL + "media/x.png",
        "https://portal-documents.invalid.example.com/static/pdf/pdf.css",
    ):
        with pytest.raises(ValueError, match="refused"):
            fetcher(url)


@pytest.mark.django_db
def test_documents_render_without_weasyprint_warnings(caplog):
    order = make_order(language="ja")

    with caplog.at_level("WARNING", logger="weasyprint"):
        documents.packing_list_pdf(order)
        documents.carton_labels_pdf(order)
        documents.commercial_invoice_pdf(order)

    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []


@pytest.mark.django_db
def test_a_long_packing_list_repeats_its_table_header_and_numbers_pages(tmp_path):
    order = make_order(language="en", cartons=CARTONS * 10)

    pdf = documents.packing_list_pdf(order)
    pages = pdf_text(pdf, tmp_path).split("\f")[:-1]
    count = pdf_pages(pdf, tmp_path)

    assert count > 1
    assert len(pages) == count
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} / {count}" in page
        if "IB260115-A1B2C3-C" in page:  # a page of carton rows starts with the column headings
            assert "Product name" in page
    assert "IB260115-A1B2C3-C030" in "".join(pages[-2:])
    totals = " ".join(pages[-1].split())
    assert "Cartons 30" in totals  # the totals stay together
    assert "Gross weight 322.00 kg" in totals


@pytest.mark.django_db
def test_a_carton_id_code128_cannot_carry_is_printed_as_text_without_a_barcode(tmp_path):
    order = make_order(language="zh-hans", cartons=CARTONS[:1])
    order.cartons.update(carton_id="箱-0001")

    context = documents.carton_labels_context(order, language="zh-hans")
    html = documents.render_html("pdf/carton_labels.html", context, language="zh-hans")
    pdf = documents.carton_labels_pdf(order)

    assert "<svg" not in html
    assert pdf_pages(pdf, tmp_path) == 1
    assert "箱-0001" in pdf_text(pdf, tmp_path)


# --- Submitted documents keep what was submitted (issue 10, finding 7) ------------------------------


def submit(order):
    from inventory.inbound import services
    from tests.factories import SellerUserFactory

    user = SellerUserFactory(seller=order.seller).user
    return services.submit_order(order=order, user=user)


def edit_flask(order):
    from inventory.models import Sku

    Sku.objects.filter(seller=order.seller, code="CUP-350").update(
        name_en="Renamed after submission",
        name_zh="改名的保温杯",
        hs_code="999999",
        declared_value=Decimal("99.00"),
        declared_currency="CNY",
        fnsku="X00CHANGED",
        material="Titanium",
    )


@pytest.mark.django_db
def test_editing_a_sku_after_submission_leaves_the_submitted_documents_as_they_were(tmp_path):
    order = make_order(language="en")
    submit(order)
    edit_flask(order)

    invoice = squeeze(pdf_text(documents.commercial_invoice_pdf(order), tmp_path, mode="-raw"))
    packing = squeeze(pdf_text(documents.packing_list_pdf(order), tmp_path, mode="-raw"))
    labels = pdf_text(documents.carton_labels_pdf(order), tmp_path)

    assert squeeze("Stainless steel vacuum flask") in invoice and "961700" in invoice
    assert "USD12.50" in invoice and "Stainlesssteel304" in invoice
    assert "Renamed" not in invoice and "999999" not in invoice and "99.00" not in invoice
    assert "Titanium" not in invoice
    assert squeeze("Stainless steel vacuum flask") in packing and "不锈钢保温杯" in packing
    assert "Renamed" not in packing and "改名" not in packing and "X00CHANGED" not in packing
    assert "X00CUP0350" in labels and "X00CHANGED" not in labels


@pytest.mark.django_db
def test_a_draft_prints_the_skus_live_data_and_submission_copies_it(tmp_path):
    from inventory.models import InboundLine

    order = make_order(language="en")
    edit_flask(order)
    assert "Renamed" in squeeze(pdf_text(documents.commercial_invoice_pdf(order), tmp_path, mode="-raw"))

    submit(order)
    flask_lines = InboundLine.objects.filter(carton__order=order, sku__code="CUP-350")
    assert {
        (
            line.sku_code,
            line.name_en,
            line.hs_code,
            line.declared_value,
            line.declared_currency,
            line.origin_country,
        )
        for line in flask_lines
    } == {("CUP-350", "Renamed after submission", "999999", Decimal("99.00"), "CNY", "CN")}
    assert all(line.snapshot_at for line in flask_lines)


@pytest.mark.django_db
def test_the_migration_copies_sku_data_onto_orders_submitted_before_it():
    import importlib

    from django.apps import apps

    from inventory.models import InboundLine, InboundOrder

    submitted = make_order(language="en")
    InboundOrder.objects.filter(pk=submitted.pk).update(state="in_transit")
    draft = make_order(language="en", number="IB260115-DRAFT1", warehouse_code="JP-DRAFT")
    migration = importlib.import_module("inventory.migrations.0010_order_line_snapshot")

    migration.backfill_snapshots(apps, None)

    copied = InboundLine.objects.filter(carton__order=submitted)
    assert {(line.sku_code, line.name_en, line.hs_code, line.origin_country) for line in copied} == {
        ("CUP-350", "Stainless steel vacuum flask", "961700", "CN"),
        ("BOX-L", "Storage box, large", "392490", "CN"),
    }
    assert not InboundLine.objects.filter(carton__order=draft, snapshot_at__isnull=False).exists()


# --- Rendered on a worker, once per version, labels in chunks (issue 10) ----------------------------


def many_cartons(count):
    return [(600, 400, 420, Decimal("12.40"), [("flask", 20, f"B{n:03d}")]) for n in range(count)]


@pytest.mark.django_db
def test_labels_render_in_chunks_into_one_file_once(tmp_path, settings):
    from inventory.inbound import services
    from inventory.models import OrderDocument

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DOCUMENT_LABELS_PER_CHUNK = 2
    order = submit(make_order(language="en", cartons=many_cartons(5)))
    queued = services.request_documents(order=order)
    assert [(d.kind, d.status) for d in queued] == [
        ("packing-list", "queued"),
        ("labels", "queued"),
        ("commercial-invoice", "queued"),
    ]
    labels = next(d for d in queued if d.kind == "labels")

    rendered = documents.render_order_document(labels.pk)

    assert (rendered.status, rendered.pages_done, rendered.pages_total, rendered.attempts) == (
        "ready",
        5,
        5,
        1,
    )
    pdf = rendered.file.read()
    assert pdf_pages(pdf, tmp_path) == 5
    pages = pdf_text(pdf, tmp_path).split("\f")
    assert [re.search(r"IB260115-A1B2C3-C\d{3}", page).group() for page in pages[:5]] == [
        f"IB260115-A1B2C3-C{n:03d}" for n in range(1, 6)
    ]
    assert all(re.search(rf"\b{n}\s*/\s*5\b", pages[n - 1]) for n in range(1, 6))
    # Running it again (a redelivered task) renders nothing more; asking again finds the same row.
    again = documents.render_order_document(labels.pk)
    assert (again.file.name, again.attempts) == (rendered.file.name, 1)
    assert [d.pk for d in services.request_documents(order=order)] == [d.pk for d in queued]
    assert OrderDocument.objects.filter(order=order).count() == 3


@pytest.mark.django_db
def test_the_version_follows_a_drafts_content_and_is_fixed_after_submission():
    from inventory.models import Sku

    order = make_order(language="en")
    first = documents.content_version(documents.load_order(order))
    Sku.objects.filter(code="BOX-L").update(name_en="Storage box, XL")
    second = documents.content_version(documents.load_order(order))
    assert first != second

    submit(order)
    submitted = documents.content_version(documents.load_order(order))
    edit_flask(order)
    assert documents.content_version(documents.load_order(order)) == submitted


@pytest.mark.django_db
def test_a_document_that_keeps_failing_is_given_up_with_the_reason(settings, tmp_path):
    from inventory.inbound import services
    from inventory.models import OrderDocument

    settings.MEDIA_ROOT = tmp_path
    order = submit(make_order(language="en"))
    document = services.request_documents(order=order, kinds=["packing-list"])[0]
    OrderDocument.objects.filter(pk=document.pk).update(attempts=3, status="rendering")

    failed = documents.render_order_document(document.pk)

    assert (failed.status, failed.error, bool(failed.file)) == ("failed", "Gave up after 3 attempts.", False)


@pytest.mark.worker
def test_submission_queues_the_documents_and_a_worker_renders_them(celery_worker_process, settings, tmp_path):
    from inventory.models import OrderDocument
    from tests.conftest import wait_for

    order = make_order(language="ja")
    submit(order)  # autocommit here: on_commit queues the three documents at once

    def all_ready():
        statuses = list(OrderDocument.objects.filter(order=order).values_list("kind", "status"))
        return len(statuses) == 3 and all(status == "ready" for _, status in statuses) and statuses

    assert sorted(wait_for(all_ready, timeout=120, interval=0.5)) == [
        ("commercial-invoice", "ready"),
        ("labels", "ready"),
        ("packing-list", "ready"),
    ]
    labels = OrderDocument.objects.get(order=order, kind="labels")
    assert labels.language == "ja" and pdf_pages(labels.file.read(), tmp_path) == 3


@pytest.mark.django_db
def test_a_long_packing_list_renders_in_parts_with_header_first_and_totals_last(tmp_path, settings):
    from inventory.inbound import services

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DOCUMENT_PACKING_LIST_CARTONS_PER_CHUNK = 2
    order = submit(make_order(language="en", cartons=many_cartons(5)))
    (document,) = services.request_documents(order=order, kinds=["packing-list"])

    rendered = documents.render_order_document(document.pk)

    assert (rendered.status, rendered.pages_done, rendered.pages_total) == ("ready", 5, 5)
    pdf = rendered.file.read()
    pages = pdf_text(pdf, tmp_path).split("\f")[:-1]
    assert len(pages) == pdf_pages(pdf, tmp_path) == 3
    text = "".join(pages)
    assert re.findall(r"IB260115-A1B2C3-C\d{3}", text) == [f"IB260115-A1B2C3-C{n:03d}" for n in range(1, 6)]
    assert "深圳市海图贸易有限公司" in pages[0] and "深圳市海图贸易有限公司" not in pages[1] + pages[2]
    assert "62.00 kg" in pages[2] and "62.00 kg" not in pages[0] + pages[1]
    assert [re.search(r"Part \d / \d · Page \d / \d", page).group() for page in pages] == [
        "Part 1 / 3 · Page 1 / 1",
        "Part 2 / 3 · Page 1 / 1",
        "Part 3 / 3 · Page 1 / 1",
    ]
