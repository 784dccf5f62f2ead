"""The seller's invoice pages (SPEC §13, issue 12): the list with its filters, the detail by section with
every line's formula and the six months before, the rows behind each line (storage per day and item), the
detail as CSV and XLSX, and another seller's invoice answering 404 on every page."""

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from billing import close
from billing.models import Invoice
from tariffs.rules import Period
from tests.billing.test_close import OUTBOUND, upload
from tests.factories import ContractFactory, ServiceLineFactory, invoice_of, preset_card

JUNE = Period(2016, 6)
MAY = Period(2016, 5)
STOCK = [
    "2016-06-01,{wh},{seller},A,100,300,200,3,,1,10",
    "2016-06-02,{wh},{seller},A,100,300,200,3,,0,20",
    "2016-06-03,{wh},{seller},A,100,300,200,3,,1,5",  # 20 -> 5 with 1 sold: a finding
    "2016-06-01,{wh},{seller},B,400,500,600,1,,0,2",
]
MAY_STOCK = ["2016-05-10,{wh},{seller},A,100,300,200,3,,0,30"]  # 0.06 CBM-days at 3.00 = 0.18


@pytest.fixture
def june(owner):
    """The owner's seller with an issued May invoice and a June draft (storage and two parcels).

    June storage: A 0.1 × 0.3 × 0.2 / 3 = 0.002 m³ per unit: 10, 20, 5 units -> 0.02 + 0.04 + 0.01; B
    0.4 × 0.5 × 0.6 × 2 = 0.24: 0.31 CBM-days × 3.00 = 0.93. Parcels 16.00 + 22.50 = 38.50."""
    seller = owner.seller
    line = ServiceLineFactory(code="bonded", name="Bonded")
    ContractFactory(seller=seller, service_line=line, rate_card=preset_card("cainiao-bonded"))
    upload("stock", MAY_STOCK, seller=seller, line=line)
    close.close_seller_month(seller=seller, period=MAY)
    Invoice.objects.filter(period=MAY.first_day).update(
        status="issued",
        number="HK-2016-0001",
        issue_date=date(2016, 6, 1),
        due_date=date(2016, 7, 1),
        payment_status="paid",
    )
    upload("stock", STOCK, seller=seller, line=line)
    upload("outbound", OUTBOUND, seller=seller, line=line)
    close.close_seller_month(seller=seller, period=JUNE)
    return Invoice.objects.get(period=JUNE.first_day)


def listed(response) -> list[str]:
    """The invoice column of the list's rows."""
    return [row[:2] for row in cells(response.content.decode(), "invoice-table") if len(row) > 1]


def test_the_list_shows_issued_invoices_and_drafts_marked_as_drafts(owner_client, june, other_owner):
    invoice_of(other_owner.seller)  # another seller's draft is not listed
    response = owner_client.get(reverse("billing:invoice-list"))
    assert response.status_code == 200
    assert listed(response) == [[f"Draft #{june.pk}", "June 2016"], ["HK-2016-0001", "May 2016"]]
    html = response.content.decode()
    assert html.count('data-status="draft"') == 1 and html.count('data-status="issued"') == 1
    assert "39.43 CNY" in html and "0.18 CNY" in html


def test_the_list_filters_by_month_status_and_payment(owner_client, june):
    url = reverse("billing:invoice-list")
    assert listed(owner_client.get(url, {"month": "2016-05"})) == [["HK-2016-0001", "May 2016"]]
    assert listed(owner_client.get(url, {"month": "2016-06"})) == [[f"Draft #{june.pk}", "June 2016"]]
    assert listed(owner_client.get(url, {"status": "draft"})) == [[f"Draft #{june.pk}", "June 2016"]]
    assert listed(owner_client.get(url, {"status": "issued"})) == [["HK-2016-0001", "May 2016"]]
    assert listed(owner_client.get(url, {"payment": "paid"})) == [["HK-2016-0001", "May 2016"]]
    assert "No invoice yet." in owner_client.get(url, {"payment": "unpaid"}).content.decode()
    bad = owner_client.get(url, {"month": "2016-13", "page": "x", "per_page": "0", "sort": "nope"})
    assert bad.status_code == 200 and "Give a month as YYYY-MM." in bad.content.decode()


def test_the_list_sorts_by_total(owner_client, june):
    url = reverse("billing:invoice-list")
    assert [row[0] for row in listed(owner_client.get(url, {"sort": "total"}))] == [
        "HK-2016-0001",
        f"Draft #{june.pk}",
    ]
    assert [row[0] for row in listed(owner_client.get(url, {"sort": "-total"}))] == [
        f"Draft #{june.pk}",
        "HK-2016-0001",
    ]


def test_a_stale_draft_is_marked(owner_client, june):
    Invoice.objects.filter(pk=june.pk).update(is_stale=True)
    html = owner_client.get(reverse("billing:invoice-list")).content.decode()
    assert '<span class="badge text-bg-danger"' in html and ">stale</span>" in html
    detail = owner_client.get(reverse("billing:invoice-detail", args=[june.pk])).content.decode()
    assert "Rows changed after it was computed" in detail


def test_the_detail_shows_each_section_with_every_line_and_its_formula(owner_client, june):
    response = owner_client.get(reverse("billing:invoice-detail", args=[june.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "This is a draft: a preview" in html
    fulfilment = html.split('id="section-fulfilment"', 1)[1].split("</tbody>", 1)[0]
    assert (
        "13 + 3 × (2 − 1) = 16.00" in fulfilment and "13 + 3 × (4 − 1) + 0.5 × (5 − 4) = 22.50" in fulfilment
    )
    assert "38.50" in fulfilment
    storage = html.split('id="section-storage"', 1)[1].split("</tbody>", 1)[0]
    assert "3 × 0.31 = 0.93" in storage and "Storage 2016-06: 0.31 CBM-days" in storage
    assert reverse("billing:invoice-line", args=[june.pk, 1]) in storage
    totals = html.split('id="invoice-totals"', 1)[1].split("</tbody>", 1)[0]
    assert "39.43 CNY" in totals
    assert "No charge in this section." in html.split('id="section-pass_through"', 1)[1].split("</tbody>")[0]
    findings = html.split('id="findings"', 1)[1].split("</ul>", 1)[0]
    assert "Stock fell by more than the sales" in findings
    assert "stock 20 → 5 with 1 sold: 14 units unaccounted for" in findings
    assert "Every ledger received is billed by this card." in html


def test_the_chart_compares_the_sections_with_the_six_months_before(owner_client, june):
    html = owner_client.get(reverse("billing:invoice-detail", args=[june.pk])).content.decode()
    chart = json.loads(re.search(r"data-chart='([^']*)'", html).group(1).replace("&quot;", '"'))
    assert chart["labels"] == [
        "December 2015",
        "January 2016",
        "February 2016",
        "March 2016",
        "April 2016",
        "May 2016",
        "June 2016 *",
    ]
    series = {dataset["label"]: dataset["data"] for dataset in chart["datasets"]}
    assert series["Storage"] == ["0", "0", "0", "0", "0", "0.18", "0.93"]
    assert series["Fulfilment"] == ["0", "0", "0", "0", "0", "0.00", "38.50"]


def test_not_billed_kinds_are_listed(owner_client, owner):
    seller = owner.seller
    line = ServiceLineFactory(code="tmall")
    ContractFactory(seller=seller, service_line=line, rate_card=preset_card("tmall-import"))
    upload("stock", STOCK, seller=seller, line=line)
    upload("outbound", OUTBOUND[:1], seller=seller, line=line)
    close.close_seller_month(seller=seller, period=JUNE)
    html = owner_client.get(
        reverse("billing:invoice-detail", args=[Invoice.objects.get().pk])
    ).content.decode()
    not_billed = html.split('id="not-billed"', 1)[1].split("</ul>", 1)[0]
    assert "Stock ledger: rows received, deliberately not billed by this rate card" in not_billed


def test_a_storage_line_drills_down_per_day_and_item_with_volume_and_rate(owner_client, june):
    response = owner_client.get(reverse("billing:invoice-line", args=[june.pk, 1]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "4 rows of the Stock ledger" in html and "3 × 0.31 = 0.93" in html
    assert "stored volume × the line's rate 3 per CBM-day" in html
    days = cells(html, "storage-days")
    assert days == [
        ["06/01/2016", "2", "12", "0.26", "0.7800"],
        ["06/02/2016", "1", "20", "0.04", "0.1200"],
        ["06/03/2016", "1", "5", "0.01", "0.0300"],
    ]
    assert '<th class="text-end">0.31</th><th class="text-end">0.9300</th>' in html
    assert cells(html, "line-rows") == [
        ["06/01/2016", "A", "10", "0.02", "3", "0.0600"],
        ["06/01/2016", "B", "2", "0.24", "3", "0.7200"],
        ["06/02/2016", "A", "20", "0.04", "3", "0.1200"],
        ["06/03/2016", "A", "5", "0.01", "3", "0.0300"],
    ]


def test_the_rows_of_a_line_come_in_keyset_pages(owner_client, june):
    url = reverse("billing:invoice-line", args=[june.pk, 1])
    first = owner_client.get(url, {"per_page": 3}).content.decode()
    assert [row[:2] for row in cells(first, "line-rows")] == [
        ["06/01/2016", "A"],
        ["06/01/2016", "B"],
        ["06/02/2016", "A"],
    ]
    after = re.search(r'rel="next" href="\?[^"]*after=([^"&]+)', first).group(1)
    second = owner_client.get(url, {"per_page": 3, "after": after}).content.decode()
    assert [row[:2] for row in cells(second, "line-rows")] == [["06/03/2016", "A"]]
    hostile = owner_client.get(url, {"after": "garbage", "per_page": "-1"})
    assert hostile.status_code == 200 and len(cells(hostile.content.decode(), "line-rows")) == 1


def test_a_parcel_line_drills_down_to_its_one_row(owner_client, june):
    html = owner_client.get(reverse("billing:invoice-line", args=[june.pk, 3])).content.decode()
    assert "1 row of the Outbound parcels" in html
    (row,) = cells(html, "line-rows")
    assert "P2" in row and "06/04/2016" in row and "3.001" in row
    missing = owner_client.get(reverse("billing:invoice-line", args=[june.pk, 9]))
    assert missing.status_code == 404


def cells(html: str, table_id: str) -> list[list[str]]:
    body = html.split(f'id="{table_id}"', 1)[1].split("<tbody", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in body.split("<tr")[1:]:
        rows.append(
            [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        )
    return rows


DETAIL_HEADER = [
    "invoice",
    "period",
    "service_line",
    "currency",
    "position",
    "section",
    "code",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "amount",
    "formula",
    "ledger_rows",
]


def test_the_detail_downloads_as_csv(owner_client, june):
    response = owner_client.get(reverse("billing:invoice-csv", args=[june.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="invoice-draft-{june.pk}-2016-06.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    head = [f"DRAFT {june.pk}", "2016-06", "bonded", "CNY"]
    assert rows == [
        DETAIL_HEADER,
        [
            *head,
            "1",
            "storage",
            "storage",
            "Storage 2016-06: 0.31 CBM-days",
            "0.31",
            "cbm_day",
            "3",
            "0.93",
            "3 × 0.31 = 0.93",
            "4",
        ],
        [
            *head,
            "2",
            "fulfilment",
            "service_fee",
            "1 parcel charged at 2 kg",
            "1",
            "parcel",
            "16",
            "16.00",
            "13 + 3 × (2 − 1) = 16.00",
            "1",
        ],
        [
            *head,
            "3",
            "fulfilment",
            "service_fee",
            "1 parcel charged at 4 kg, 1 extra SKU kind",
            "1",
            "parcel",
            "22.5",
            "22.50",
            "13 + 3 × (4 − 1) + 0.5 × (5 − 4) = 22.50",
            "1",
        ],
        [*head, "", "fulfilment", "section_total", "", "", "", "", "38.50", "", ""],
        [*head, "", "storage", "section_total", "", "", "", "", "0.93", "", ""],
        [*head, "", "services", "section_total", "", "", "", "", "0.00", "", ""],
        [*head, "", "pass_through", "section_total", "", "", "", "", "0.00", "", ""],
        [*head, "", "adjustments", "section_total", "", "", "", "", "0.00", "", ""],
        [*head, "", "", "subtotal", "", "", "", "", "39.43", "", ""],
        [*head, "", "", "service_tax", "", "", "", "", "0.00", "", ""],
        [*head, "", "", "total", "", "", "", "", "39.43", "", ""],
    ]


def test_the_detail_downloads_as_xlsx_with_numbers_and_escaped_text(owner_client, june):
    june.lines.filter(position=2).update(
        description='=HYPERLINK("http://x")', formula="-1+2", description_text=None, formula_text=None
    )
    response = owner_client.get(reverse("billing:invoice-xlsx", args=[june.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="invoice-draft-{june.pk}-2016-06.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == f"DRAFT {june.pk}"
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    head = [f"DRAFT {june.pk}", "2016-06", "bonded", "CNY"]
    assert rows[0] == DETAIL_HEADER
    assert rows[1] == [
        *head,
        1,
        "storage",
        "storage",
        "Storage 2016-06: 0.31 CBM-days",
        0.31,
        "cbm_day",
        3,
        0.93,
        "3 × 0.31 = 0.93",
        4,
    ]
    assert rows[2] == [
        *head,
        2,
        "fulfilment",
        "service_fee",
        '\'=HYPERLINK("http://x")',
        1,
        "parcel",
        16,
        16,
        "'-1+2",
        1,
    ]
    assert rows[-1] == [*head, None, None, "total", None, None, None, None, 39.43, None, None]
    assert sheet.cell(row=len(rows), column=12).number_format == "0.00"
    assert len(rows) == 12


def test_an_issued_invoice_downloads_under_its_number(owner_client, june):
    may = Invoice.objects.get(number="HK-2016-0001")
    response = owner_client.get(reverse("billing:invoice-csv", args=[may.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="invoice-HK-2016-0001-2016-05.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][:4] == ["HK-2016-0001", "2016-05", "bonded", "CNY"] and rows[-1][11] == "0.18"


@pytest.mark.parametrize(
    "name,extra",
    [
        ("billing:invoice-detail", {}),
        ("billing:invoice-line", {"position": 1}),
        ("billing:invoice-csv", {}),
        ("billing:invoice-xlsx", {}),
    ],
)
def test_another_sellers_invoice_is_not_found_on_every_page(owner_client, other_owner, name, extra):
    foreign = invoice_of(other_owner.seller)
    response = owner_client.get(reverse(name, kwargs={"pk": foreign.pk, **extra}))
    assert response.status_code == 404
    listing = owner_client.get(reverse("billing:invoice-list")).content.decode()
    assert reverse("billing:invoice-detail", args=[foreign.pk]) not in listing


def test_the_sidebar_links_to_the_invoices(owner_client):
    html = owner_client.get(reverse("portal:dashboard")).content.decode()
    assert f'href="{reverse("billing:invoice-list")}"' in html


def test_totals_match_the_lines(june):
    assert sum((line.amount for line in june.lines.all()), Decimal(0)) == june.total == Decimal("39.43")


def test_a_turnover_storage_line_drills_down_to_the_golden_ledgers_days(client, db):
    """The golden Cainiao ledger under cainiao-overseas: one line over all items (the whole month's rows); the
    per-day volume is 1.1726 m³ at the line's 9.8 per CBM-day, and the page says the card bills the days past
    the free turnover (the line's formula), not that column."""
    from tests.billing.test_export_invoices import CASES, golden_world
    from tests.factories import SellerUserFactory

    case = CASES["storage_turnover"][0]
    seller, _ = golden_world(case)
    client.force_login(SellerUserFactory(seller=seller, role="finance").user)
    invoice = Invoice.objects.get()

    html = client.get(reverse("billing:invoice-line", args=[invoice.pk, 1]), {"per_page": 5}).content.decode()

    assert "30 rows of the Stock ledger" in html
    assert "30 × 9.8 × 1.1726 = 344.74" in html and "past the free turnover days only" in html
    days = cells(html, "storage-days")
    assert len(days) == 30 and days[0] == ["06/01/2016", "1", "82", "1.1726", "11.4915"]
    assert cells(html, "line-rows") == [
        [f"06/0{day}/2016", "50000001", "82", "1.1726", "9.8", "11.4915"] for day in range(1, 6)
    ]


def test_a_yen_invoice_shows_its_service_tax_per_rate_and_a_monthly_storage_price_per_day(
    owner_client, owner
):
    """linkstar-jp-sample bills storage per CBM-month (spread over June's 30 days per day) with 10 % JCT."""
    seller = owner.seller
    line = ServiceLineFactory(code="jp")
    ContractFactory(seller=seller, service_line=line, rate_card=preset_card("linkstar-jp-sample", "JPY"))
    upload("stock", STOCK, seller=seller, line=line)
    close.close_seller_month(seller=seller, period=JUNE)
    invoice = Invoice.objects.get()
    storage = invoice.lines.get(section="storage")
    assert (invoice.currency, storage.unit) == ("JPY", "cbm_month")

    html = owner_client.get(reverse("billing:invoice-detail", args=[invoice.pk])).content.decode()

    totals = html.split('id="invoice-totals"', 1)[1].split("</tbody>", 1)[0]
    assert f"Service tax 10 % on {invoice.subtotal:.0f}" in totals
    assert f"{invoice.total:.0f} JPY" in totals and invoice.service_tax > 0
    rows = owner_client.get(
        reverse("billing:invoice-line", args=[invoice.pk, storage.position])
    ).content.decode()
    assert storage.unit_price == Decimal(5000) and storage.formula == "5000 × 0.31 / 30 = 52"
    assert "stored volume × the line's rate 5000 / 30 per CBM-day" in rows
    # 0.02 m³ × 5000 / 30 = 3.333…: shown to two decimals (the yen has none; the line is rounded once)
    assert cells(rows, "line-rows")[0] == ["06/01/2016", "A", "10", "0.02", "5000 / 30", "3.33"]


def test_a_long_section_lists_its_first_lines_and_points_to_the_downloads(owner_client, june, monkeypatch):
    from billing import views

    monkeypatch.setattr(views, "SECTION_LINES_SHOWN", 1)
    html = owner_client.get(reverse("billing:invoice-detail", args=[june.pk])).content.decode()
    fulfilment = html.split('id="section-fulfilment"', 1)[1].split("</tbody>", 1)[0]
    assert "= 16.00" in fulfilment and "= 22.50" not in fulfilment
    assert "…and 1 more line: download the CSV or XLSX for every line." in fulfilment
    storage = html.split('id="section-storage"', 1)[1].split("</tbody>", 1)[0]
    assert "more line" not in storage


def test_descriptions_formulas_and_findings_render_in_the_readers_language(owner_client, june, monkeypatch):
    from django.utils.translation import gettext_lazy

    from tariffs import messages

    monkeypatch.setitem(messages.CATALOG, "test.line", gettext_lazy("Lagerung {cbm} CBM-Tage"))
    monkeypatch.setitem(messages.CATALOG, "test.formula", gettext_lazy("{a} mal {b}"))
    monkeypatch.setitem(messages.CATALOG, "test.finding", gettext_lazy("Bestand fiel um {n}"))
    june.lines.filter(position=1).update(
        description_text={"id": "test.line", "params": {"cbm": "0.31"}},
        formula_text={"id": "test.formula", "params": {"a": "3", "b": "0.31"}},
    )
    findings = [{**june.findings[0], "text": {"id": "test.finding", "params": {"n": 15}}}]
    Invoice.objects.filter(pk=june.pk).update(findings=findings)

    html = owner_client.get(reverse("billing:invoice-detail", args=[june.pk])).content.decode()
    assert "Lagerung 0.31 CBM-Tage" in html and "3 mal 0.31" in html and "Bestand fiel um 15" in html
    assert "Storage 2016-06: 0.31 CBM-days" not in html
    csv_text = owner_client.get(reverse("billing:invoice-csv", args=[june.pk])).content.decode("utf-8-sig")
    assert "Lagerung 0.31 CBM-Tage" in csv_text and "3 mal 0.31" in csv_text
