"""PDF statements and credit notes (SPEC §11, issue 13): each language's PDF carries its own script with no
missing glyph; Japan's qualified-invoice fields; a draft marked on every page; a long statement's pages
numbered "Page X of Y" with the table header repeated; a credit note naming the invoice and lines it corrects;
nothing fetched for a hostile seller name; the operator's registration number checked when entered."""

import subprocess
from datetime import date
from decimal import Decimal
from functools import cache

import pytest
from django.core.exceptions import ValidationError
from fontTools.ttLib import TTCollection

from billing.statements import render_document_pdf
from portal.pdf import StaticOnlyURLFetcher
from tests.billing.statement_documents import (
    credit_note_of,
    statement_invoice,
    statement_operator,
    statement_world,
)

NOTO_CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def pdf_pages(pdf: bytes, tmp_path, *, layout: bool = True) -> list[str]:
    """The text of each page (poppler's pdftotext: in the layout's lines, or in reading order)."""
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    mode = ["-layout"] if layout else []
    text = subprocess.run(
        ["pdftotext", *mode, "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True
    ).stdout
    return text.decode().split("\f")[:-1]


def pdf_text(pdf: bytes, tmp_path) -> str:
    """The document's text twice, in the layout's lines and in reading order, whitespace collapsed: a label
    and its value are found side by side in one, a name wrapped over lines whole in the other."""
    return " || ".join(flat(" ".join(pdf_pages(pdf, tmp_path, layout=layout))) for layout in (True, False))


def pdf_fonts(pdf: bytes, tmp_path) -> set[str]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    return {line.split()[0].split("+", 1)[-1] for line in listing.splitlines()[2:] if line.strip()}


@cache
def noto_characters() -> frozenset[int]:
    collection = TTCollection(NOTO_CJK, lazy=True)
    return frozenset(collection.fonts[2].getBestCmap())  # Noto Sans CJK SC (JP maps the same characters)


def flat(text: str) -> str:
    return " ".join(text.split())


SCRIPTS = {
    # language: (the title, a translated line description, a character only that script writes)
    "zh-hans": ("月结对账单", "包裹 SO20160600001", "费"),
    "ja": ("月次請求明細", "荷物 SO20160600001", "の"),
    "vi": ("Bảng kê hàng tháng", "Kiện hàng SO20160600001", "ệ"),
    "en": ("Monthly statement", "Parcel SO20160600001", "Statement"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", list(SCRIPTS))
def test_each_language_statement_carries_its_own_script_with_every_glyph(language, tmp_path):
    seller, contract = statement_world(language=language)
    invoice = statement_invoice(contract, lines=20)

    pdf = render_document_pdf(invoice, language)

    text = pdf_text(pdf, tmp_path)
    title, description, own = SCRIPTS[language]
    assert title in text and description in text and own in text
    assert seller.legal_name in text and "LINKSTAR-2016-000042" in text
    missing = {ch for ch in text if not ch.isspace() and ord(ch) not in noto_characters()}
    assert missing == set()
    assert (
        pdf_fonts(pdf, tmp_path) == {"Noto-Sans-CJK-SC-Bold", "Noto-Sans-CJK-SC"}
        if language != "ja"
        else {
            "Noto-Sans-CJK-JP-Bold",
            "Noto-Sans-CJK-JP",
        }
    )


@pytest.mark.django_db
def test_a_statement_prints_operator_seller_sections_tax_stock_bank_credit_and_dispute_deadline(tmp_path):
    from billing.models import Payment

    seller, contract = statement_world(language="en")
    invoice = statement_invoice(contract, lines=30)
    Payment.objects.create(
        seller=seller,
        currency="CNY",
        amount=Decimal("250.00"),
        received_on=date(2016, 7, 5),
        bank_reference="X1",
        recorded_at="2016-07-05T00:00:00Z",
    )

    text = pdf_text(render_document_pdf(invoice, "en"), tmp_path)

    for expected in (
        "Linkstar International Logistics Co., Ltd.",
        "Registration number 91440300MA5G8LINK1",
        "Tax id 440300MA5G8LINK1",
        "Harbour Goods Trading Ltd.",
        "GB123456789",
        "Period June 2016",
        "Status Issued",
        "Fulfilment 345.00",
        "Pass-through taxes (customs) 21.20",
        "STORED VOLUME THIS MONTH",
        "CBM-days 55.190",
        "Days with stock 28 / 30",
        "Bank of China, Shenzhen Qianhai Branch",
        "7451 0188 0000 1234 567",
        "BKCHCNBJ45A",
        "Credit balance 250.00",
        "Due date Aug. 1, 2016",
        "Dispute any line in the portal by Aug. 1, 2016.",  # issued July 2 + 30 days
        "13 + 3 × 0 = 13.00",
    ):
        assert expected in text, expected
    assert "Qualified invoice" not in text  # CNY: no Japanese qualified-invoice block


@pytest.mark.django_db
def test_the_dispute_deadline_follows_the_operators_window(tmp_path):
    operator = statement_operator(dispute_window_days=14)
    seller, contract = statement_world(language="en", operator=operator)
    invoice = statement_invoice(contract, lines=3)
    text = pdf_text(render_document_pdf(invoice, "en"), tmp_path)
    assert "Dispute any line in the portal by July 16, 2016." in text


@pytest.mark.django_db
def test_a_jpy_statement_is_a_japanese_qualified_invoice(tmp_path):
    """Issuer's registration number, issue date, recipient, the goods and services with reduced-rate items
    marked ※, and per rate the taxable amount and the tax rounded once."""
    operator = statement_operator(
        code="linkstar-jp", country="JP", invoice_registration_number="T8010401234567"
    )
    seller, contract = statement_world(
        language="ja", card="linkstar-jp-sample", currency="JPY", operator=operator
    )
    invoice = statement_invoice(contract, lines=10, tax_rates={3: Decimal("0.08")})
    reduced, standard = invoice.tax_breakdown  # sorted by rate: 8 %, then 10 %
    assert (Decimal(reduced["rate"]), Decimal(standard["rate"])) == (Decimal("0.08"), Decimal("0.10"))

    text = pdf_text(render_document_pdf(invoice, "ja"), tmp_path)

    assert "T8010401234567" in text
    assert "適格請求書発行事業者登録番号 T8010401234567" in text
    assert "発行日 2016年7月2日" in text
    assert "株式会社さくらグッズ 御中" in text
    assert "荷物 SO20160600003" in text and "8%※" in text and "10%" in text
    assert "※は軽減税率対象品目です" in text
    for item in (reduced, standard):
        taxable, tax = Decimal(item["taxable"]), Decimal(item["tax"])
        assert tax == (taxable * Decimal(item["rate"])).quantize(Decimal(1), rounding="ROUND_HALF_UP")
        assert f"{taxable:,.0f} {tax:,.0f}" in text
    assert f"合計 (JPY) {invoice.total:,.0f}" in text


@pytest.mark.django_db
def test_a_draft_is_marked_draft_on_every_page(tmp_path):
    seller, contract = statement_world(language="en")
    invoice = statement_invoice(contract, lines=150, issued=False)

    pages = pdf_pages(render_document_pdf(invoice, "en"), tmp_path)

    assert len(pages) >= 3
    assert all("DRAFT" in page for page in pages)
    assert f"DRAFT {invoice.pk}" in pages[0] and "it is not a demand for payment" in flat(pages[0])


@pytest.mark.django_db
def test_an_issued_statement_is_not_marked_draft(tmp_path):
    seller, contract = statement_world(language="en")
    invoice = statement_invoice(contract, lines=5)
    assert not any("DRAFT" in page for page in pdf_pages(render_document_pdf(invoice, "en"), tmp_path))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "page_of", "header"),
    [("en", "Page {page} of {pages}", "Formula"), ("zh-hans", "第 {page} 页，共 {pages} 页", "计算公式")],
)
def test_a_long_statement_numbers_its_pages_and_repeats_the_table_header(language, page_of, header, tmp_path):
    seller, contract = statement_world(language=language)
    invoice = statement_invoice(contract, lines=300)

    pages = pdf_pages(render_document_pdf(invoice, language), tmp_path)

    count = len(pages)
    assert count >= 5
    for number, page in enumerate(pages, start=1):
        assert page_of.format(page=number, pages=count) in flat(page)
        if "SO201606" in page:  # a page with detail lines starts with the table's header
            assert header in page
    assert all("SO201606" in page for page in pages[1:-1])


@pytest.mark.django_db
def test_a_credit_note_references_its_invoice_and_the_lines_it_corrects(tmp_path):
    seller, contract = statement_world(language="en")
    invoice = statement_invoice(contract, lines=10)
    note = credit_note_of(invoice, positions=(1, 2))

    text = pdf_text(render_document_pdf(note, "en"), tmp_path)

    assert "Credit note" in text and "CN-LINKSTAR-2016-0007" in text
    assert "Corrects invoice LINKSTAR-2016-000042" in text
    assert "#1 Parcel SO20160600001" in text and "#2 Parcel SO20160600002" in text
    assert "the invoice as a whole" in text
    assert "Total credited (CNY) 18.00" in text  # 6.50 + 6.50 + 5.00
    assert "Parcels weighed twice at receiving" in text


@pytest.mark.django_db
def test_a_jpy_credit_note_corrects_the_tax_per_rate(tmp_path):
    operator = statement_operator(code="linkstar-jp", country="JP")
    seller, contract = statement_world(
        language="ja", card="linkstar-jp-sample", currency="JPY", operator=operator
    )
    invoice = statement_invoice(contract, lines=10, tax_rates={2: Decimal("0.08")})
    note = credit_note_of(invoice, positions=(1, 2))  # 650 at 10 %, 650 at 8 %, 500 (whole invoice) at 10 %

    text = pdf_text(render_document_pdf(note, "ja"), tmp_path)

    assert "T8010401234567" in text and "株式会社さくらグッズ 御中" in text and "発行日 2016年7月20日" in text
    assert "LINKSTAR-2016-000042" in text
    # 8 %: 650 of which tax 650 × 8/108 = 48.1 -> 48; 10 %: 1,150 of which 1,150 × 10/110 = 104.5 -> 105
    assert "8% ※ 650 602 48" in text
    assert "10% 1,150 1,045 105" in text


@pytest.mark.django_db
def test_a_hostile_seller_name_renders_as_text_and_nothing_is_fetched(tmp_path, monkeypatch):
    fetched = []
    original = StaticOnlyURLFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(StaticOnlyURLFetcher, "fetch", spy)
    name = '<img src="file:///etc/passwd"> http://203.0.113.9/x.png <link rel="stylesheet" href="http://x.test/a.css">'
    seller, contract = statement_world(language="en", seller_name=name)
    invoice = statement_invoice(contract, lines=3)

    pdf = render_document_pdf(invoice, "en")

    assert fetched == []
    text = pdf_text(pdf, tmp_path)
    joined = "".join(text.split())
    assert '<imgsrc="file:///etc/passwd">' in joined and "http://203.0.113.9/x.png" in joined
    assert "root:" not in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value", ["T123456789012", "1234567890123", "T12345678901234", "t1234567890123", "T12345678901a3"]
)
def test_the_qualified_invoice_registration_number_is_t_and_13_digits(value):
    operator = statement_operator()
    operator.invoice_registration_number = value
    with pytest.raises(ValidationError) as raised:
        operator.full_clean()
    assert "invoice_registration_number" in raised.value.message_dict


@pytest.mark.django_db
def test_the_operator_admin_form_refuses_a_bad_registration_number(admin_client):
    from django.urls import reverse

    operator = statement_operator()
    url = reverse("admin:portal_operator_change", args=[operator.pk])
    data = {
        "code": operator.code,
        "name": operator.name,
        "legal_name": operator.legal_name,
        "country": "JP",
        "address": "",
        "registration_number": "",
        "tax_id": "",
        "invoice_registration_number": "T12345",
        "bank_name": "",
        "bank_account_name": "",
        "bank_account_number": "",
        "bank_swift": "",
        "bank_details": "",
        "dispute_window_days": "30",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Enter T followed by 13 digits" in response.content.decode()
    operator.refresh_from_db()
    assert operator.invoice_registration_number == "T8010401234567"

    response = admin_client.post(url, {**data, "invoice_registration_number": "T1234567890123"})
    assert response.status_code == 302
    operator.refresh_from_db()
    assert operator.invoice_registration_number == "T1234567890123"
