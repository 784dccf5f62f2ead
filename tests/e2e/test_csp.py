"""Under the Content-Security-Policy the pages with scripts still work and the browser reports no violation:
the quote page (form, htmx result, fee chart), the inbound order form (a SKU fills its carton row), the
stock ledger rows (the month's chart) and the language switcher (submits on change)."""

from datetime import date
from decimal import Decimal

import pytest

from portal.dashboard.demo import DEMO_PASSWORD, load_demo_data
from portal.models import User
from tests.factories import CertificateFactory

# The browser reports a violation on the console; the listener also reports it explicitly (an init script
# is not subject to the page's policy).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI);
});
"""


def stock_rows_for(seller) -> int:
    """A month of stock rows in a stored upload; returns the upload's id."""
    from inventory.models import LedgerFile, StockLedgerRow
    from portal.models import Warehouse
    from tests.factories import LedgerFileFactory

    warehouse = Warehouse.objects.first()
    ledger = LedgerFileFactory(seller=seller, warehouse=warehouse, status=LedgerFile.Status.STORED, errors=[])
    StockLedgerRow.objects.bulk_create(
        StockLedgerRow(
            ledger_file=ledger,
            seller=seller,
            warehouse=warehouse,
            source="warehouse",
            row_number=day,
            business_date=date(2016, 6, day),
            item_id="YP-BOX-S",
            length_mm=300,
            height_mm=100,
            width_mm=200,
            daily_volume_m3=Decimal("0.006") * (40 - day),
            sales_qty=1,
            stock_qty=40 - day,
        )
        for day in range(1, 31)
    )
    return ledger.pk


def chart_points(page, canvas_id: str) -> int:
    return page.evaluate(f"() => Chart.getChart(document.getElementById('{canvas_id}')).data.labels.length")


@pytest.mark.e2e
def test_pages_with_scripts_work_without_csp_violations(live_server, page, tmp_path, transactional_db):
    load_demo_data(with_billing=False)
    User.objects.filter(email="owner@youpin.example.com").update(language="en")
    owner = User.objects.get(email="owner@youpin.example.com")
    ledger_id = stock_rows_for(owner.membership.seller)
    certificate = CertificateFactory(sku=owner.membership.seller.skus.get(code="YP-BOX-S"))
    problems, missing = [], []
    page.add_init_script(REPORT_VIOLATIONS)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "404" not in m.text else 0)
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    base = live_server.url

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "owner@youpin.example.com")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    response = page.goto(f"{base}/quote/")
    assert "script-src 'self'" in response.headers["content-security-policy"]

    # Quote: htmx sends the form, the result comes back with its chart.
    bonded = page.locator("#id_contract option", has_text="Cainiao bonded").get_attribute("value")
    page.select_option("#id_contract", bonded)
    page.fill("#id_period", "2026-10")
    page.fill("#id_weight_kg", "3.5")
    page.fill("#id_sku_kinds", "2")
    page.click("#quote-form button[type=submit]")
    page.wait_for_selector("#quote-total")
    assert page.locator("#quote-total").inner_text() == "CNY 22.00"
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('fee-chart'))")
    assert chart_points(page, "fee-chart") == 60
    page.check("#id_mode_1")  # storage: quote.js shows the storage inputs
    assert page.locator("#storage-fields").is_visible() and not page.locator("#parcel-fields").is_visible()

    # Order form: picking a SKU fills units and carton size from the SKU (order_form.js, json_script data).
    page.goto(f"{base}/inbound/new/")
    sku = page.locator("#id_cartons-0-sku option", has_text="YP-BOX-S").get_attribute("value")
    page.select_option("#id_cartons-0-sku", sku)
    assert page.input_value("#id_cartons-0-units_per_carton") != ""
    assert page.input_value("#id_cartons-0-length_mm") != ""
    assert page.input_value("#id_cartons-0-cartons") == "1"

    # Stock ledger rows: the month's chart (stock_chart.js).
    page.goto(f"{base}/ledgers/rows/stock/?month=2016-06")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('stock-chart'))")
    assert chart_points(page, "stock-chart") == 30
    page.screenshot(path=str(tmp_path / "stock.png"), full_page=True)

    # The stored upload's progress bar is full (its width comes from data-progress, not a style attribute).
    page.goto(f"{base}/ledgers/files/{ledger_id}/")
    bar = page.locator("#ledger-progress .progress-bar")
    ratio = "b => b.getBoundingClientRect().width / b.parentElement.getBoundingClientRect().width"
    assert bar.evaluate(ratio) == 1

    # Deleting a certificate asks first (data-confirm): dismissed, it stays; accepted, it goes.
    page.goto(f"{base}/skus/{certificate.sku_id}/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    delete = page.locator("#certificates tr", has_text=certificate.number).locator("button[type=submit]")
    delete.click()
    assert page.locator("#certificates tr", has_text=certificate.number).count() == 1
    page.once("dialog", lambda dialog: dialog.accept())
    delete.click()
    page.wait_for_selector(".alert-success")
    assert page.locator("#certificates tr", has_text=certificate.number).count() == 0

    # The language switcher submits itself (portal.js, no onchange attribute).
    page.select_option("#language-select", "ja")
    page.wait_for_function("() => document.documentElement.lang === 'ja'")

    assert problems == []
    assert [url for url in missing if not url.endswith("/favicon.ico")] == []
