"""`export_invoices YYYY-MM --format json|csv` (SPEC §12): every invoice of the month with its lines and
totals; lines and sections in the shape `simulate_invoice` prints. The golden ledgers of ../shared/golden/
go through the store and the close and come out with the golden amounts."""

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from billing.models import Invoice
from portal.models import SellerAlias
from tariffs import messages
from tests.billing.test_close import OUTBOUND, STOCK, upload
from tests.billing.test_simulate_invoice import CASES, GOLDEN, card_args, simulate
from tests.factories import ContractFactory, SellerFactory, ServiceLineFactory, WarehouseFactory, preset_card


def export(*args: str) -> str:
    out = io.StringIO()
    call_command("export_invoices", *args, stdout=out)
    return out.getvalue()


def export_json(period: str, *args: str) -> dict:
    return json.loads(export(period, "--format", "json", *args))


def golden_world(case: dict):
    """The seller and warehouse the golden Cainiao ledger names (its rows name the store, an alias), under the
    case's rate card, with the ledger imported and June closed through the commands ops use."""
    seller = SellerFactory(code="shop123", name="123旗舰店", status="active")
    warehouse = WarehouseFactory(code="HK-XY", name="心怡香港海外备货仓", default_line=False)
    SellerAlias.objects.create(warehouse=warehouse, seller=seller, alias="123旗舰店")
    line = ServiceLineFactory(warehouse=warehouse, code="overseas")
    ContractFactory(
        seller=seller,
        service_line=line,
        rate_card=preset_card(case["rate_card"], case.get("currency") or "CNY"),
        customer_class=case.get("customer_class") or "regular",
    )
    out = io.StringIO()
    call_command(
        "import_ledger",
        str(GOLDEN / case["stock_ledger"]),
        "--kind",
        "stock",
        "--warehouse",
        "HK-XY",
        stdout=out,
    )
    assert "30 rows stored" in out.getvalue()
    call_command("close_period", case["period"], stdout=io.StringIO())
    return seller, line


GOLDEN_STORAGE = [*CASES["storage_turnover"], *CASES["storage_daily_volume"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "case", GOLDEN_STORAGE, ids=lambda c: f"{c['rate_card']}-{c['stock_ledger'].rsplit('_', 1)[1]}"
)
def test_golden_ledgers_through_the_store_and_the_close_give_the_golden_sections(case):
    golden_world(case)

    result = export_json(case["period"])

    assert result["period"] == "2016-06"
    (invoice,) = result["invoices"]
    fee = case["expected"]["fee"]  # from the golden file, not from the code
    assert (invoice["seller"], invoice["warehouse"], invoice["service_line"]) == (
        "shop123",
        "HK-XY",
        "overseas",
    )
    assert (invoice["status"], invoice["number"], invoice["rate_card"], invoice["version"]) == (
        "draft",
        None,
        case["rate_card"],
        1,
    )
    assert invoice["sections"] == {
        "fulfilment": "0.00",
        "storage": fee,
        "services": "0.00",
        "pass_through": "0.00",
        "adjustments": "0.00",
    }
    assert (invoice["subtotal"], invoice["service_tax"], invoice["total"]) == (fee, "0.00", fee)
    assert [line["amount"] for line in invoice["lines"]] == [fee]
    assert invoice["not_billed"] == []
    if "cbm_days" in case["expected"]:
        assert Decimal(invoice["lines"][0]["quantity"]) == Decimal(case["expected"]["cbm_days"])
    if "avg_volume_m3" in case["expected"]:
        line = invoice["lines"][0]
        billable = case["expected"]["billable_days"]
        assert f"{billable} × 9.8 × {case['expected']['avg_volume_m3']} = {fee}" in line["formula"]


@pytest.mark.django_db
@pytest.mark.parametrize("case", GOLDEN_STORAGE[:1] + GOLDEN_STORAGE[-1:], ids=["turnover", "daily-volume"])
def test_an_exported_invoice_has_the_lines_and_sections_simulate_invoice_prints(case):
    """The same file through the store and the close, and straight through ``simulate_invoice``."""
    golden_world(case)
    (invoice,) = export_json(case["period"])["invoices"]

    simulated = simulate(
        *card_args(case), "--period", case["period"], "--stock", str(GOLDEN / case["stock_ledger"])
    )

    for key in ("rate_card", "version", "currency", "sections", "subtotal", "service_tax", "total"):
        assert invoice[key] == simulated[key], key
    # The stored quantity and unit price (9 decimal places) print without trailing zeros: equal as numbers.
    numeric = ("quantity", "unit_price")
    for stored, computed in zip(invoice["lines"], simulated["lines"], strict=True):
        assert {k: v for k, v in stored.items() if k not in numeric} == {
            k: v for k, v in computed.items() if k not in numeric
        }
        assert [Decimal(stored[k]) for k in numeric] == [Decimal(computed[k]) for k in numeric]
    assert list(invoice["sections"]) == list(simulated["sections"])
    assert list(invoice["lines"][0]) == [
        "code",
        "section",
        "description",
        "quantity",
        "unit",
        "unit_price",
        "amount",
        "formula",
    ]


@pytest.fixture
def two_sellers(db):
    """Two sellers on one bonded line: "shop" with a June draft, "alpha" with an issued June invoice."""
    line = ServiceLineFactory(code="bonded")
    sellers = []
    for code in ("shop", "alpha"):
        seller = SellerFactory(code=code, status="active")
        ContractFactory(seller=seller, service_line=line, rate_card=preset_card("cainiao-bonded"))
        upload("stock", STOCK, seller=seller, line=line)
        sellers.append(seller)
    upload("outbound", OUTBOUND[:1], seller=sellers[0], line=line)
    call_command("close_period", "2016-06", stdout=io.StringIO())
    Invoice.objects.filter(seller__code="alpha").update(
        status="issued", number="WH-2016-0007", issue_date=date(2016, 7, 1)
    )
    return line


def test_json_lists_every_invoice_of_the_month_sorted_by_seller(two_sellers):
    result = export_json("2016-06")
    assert [(i["seller"], i["status"], i["number"]) for i in result["invoices"]] == [
        ("alpha", "issued", "WH-2016-0007"),
        ("shop", "draft", None),
    ]
    shop = result["invoices"][1]
    # Storage (0.02 + 0.04 + 0.24) CBM-days × 3.00 = 0.90; parcel P1 1.2 kg -> 13 + 3 × (2 − 1) = 16.00
    assert shop["lines"] == [
        {
            "code": "storage",
            "section": "storage",
            "description": "Storage 2016-06: 0.3 CBM-days",
            "quantity": "0.3",
            "unit": "cbm_day",
            "unit_price": "3",
            "amount": "0.90",
            "formula": "3 × 0.3 = 0.90",
        },
        {
            "code": "service_fee",
            "section": "fulfilment",
            "description": "1 parcel charged at 2 kg",
            "quantity": "1",
            "unit": "parcel",
            "unit_price": "16",
            "amount": "16.00",
            "formula": "13 + 3 × (2 − 1) = 16.00",
        },
    ]
    assert (shop["subtotal"], shop["service_tax"], shop["total"]) == ("16.90", "0.00", "16.90")
    assert shop["sections"]["fulfilment"] == "16.00" and shop["sections"]["storage"] == "0.90"
    assert export_json("2016-07") == {"period": "2016-07", "invoices": []}


def test_csv_is_one_row_per_line_with_the_invoice_repeated(two_sellers):
    rows = list(csv.reader(io.StringIO(export("2016-06", "--format", "csv"))))
    assert rows == [
        [
            "period",
            "seller",
            "warehouse",
            "service_line",
            "status",
            "number",
            "currency",
            "position",
            "code",
            "section",
            "description",
            "quantity",
            "unit",
            "unit_price",
            "amount",
            "formula",
        ],
        [
            "2016-06", "alpha", two_sellers.warehouse.code, "bonded", "issued", "WH-2016-0007", "CNY", "1",
            "storage", "storage", "Storage 2016-06: 0.3 CBM-days", "0.3", "cbm_day", "3", "0.90",
            "3 × 0.3 = 0.90",
        ],
        [
            "2016-06", "shop", two_sellers.warehouse.code, "bonded", "draft", "", "CNY", "1",
            "storage", "storage", "Storage 2016-06: 0.3 CBM-days", "0.3", "cbm_day", "3", "0.90",
            "3 × 0.3 = 0.90",
        ],
        [
            "2016-06", "shop", two_sellers.warehouse.code, "bonded", "draft", "", "CNY", "2",
            "service_fee", "fulfilment", "1 parcel charged at 2 kg", "1", "parcel", "16", "16.00",
            "13 + 3 × (2 − 1) = 16.00",
        ],
    ]  # fmt: skip


def test_csv_escapes_text_a_spreadsheet_would_run_but_keeps_negative_numbers(two_sellers):
    Invoice.objects.get(seller__code="shop").lines.filter(position=2).update(
        description="=cmd|' /C calc'!A0", amount=Decimal("-16.00"), formula="@SUM(1)"
    )
    rows = list(csv.reader(io.StringIO(export("2016-06", "--format", "csv"))))
    assert (rows[-1][10], rows[-1][14], rows[-1][15]) == ("'=cmd|' /C calc'!A0", "-16.00", "'@SUM(1)")


def test_language_renders_stored_message_ids(two_sellers, monkeypatch):
    from django.utils.translation import gettext_lazy

    monkeypatch.setitem(messages.CATALOG, "test.storage", gettext_lazy("Storage {period}"))
    lines = Invoice.objects.get(seller__code="shop").lines
    lines.filter(position=1).update(description_text={"id": "test.storage", "params": {"period": "六月"}})
    localized = export_json("2016-06", "--language", "zh-hans")["invoices"][1]["lines"]
    plain = export_json("2016-06")["invoices"][1]["lines"]
    assert localized[0]["description"] == "Storage 六月"
    assert plain[0]["description"] == "Storage 2016-06: 0.3 CBM-days"  # the stored English text by default
    assert localized[1]["description"] == "1 个包裹，按 2 公斤计费"  # the engine's id, in Chinese
    lines.filter(position=2).update(description_text=None)
    fallback = export_json("2016-06", "--language", "zh-hans")["invoices"][1]["lines"]
    assert fallback[1]["description"] == "1 parcel charged at 2 kg"  # no id: the English fallback


@pytest.mark.django_db
@pytest.mark.parametrize("period", ["2016-13", "June", "0000-01", "2016"])
def test_a_bad_period_is_refused(period):
    with pytest.raises(CommandError, match="period"):
        export(period)
