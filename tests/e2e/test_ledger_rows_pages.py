"""The stock rows page in a browser (issue 11, "Pages"): the month's chart arrives after the rows (htmx),
and the pager walks the rows with cursors, forwards and back."""

from datetime import date

import pytest

from tests.factories import PASSWORD, SellerUserFactory, WarehouseFactory
from tests.inventory.test_ledger_rows_paging import stock_rows


@pytest.mark.e2e
def test_rows_page_pages_with_cursors_and_draws_the_month(live_server, page, tmp_path):
    owner = SellerUserFactory(role="owner")
    stock_rows(owner.seller, WarehouseFactory(code="HZ-BONDED"), 30, 14, name="sku", start=date(2026, 10, 1))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", owner.user.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/ledgers/rows/stock/?per_page=15")
    page.wait_for_selector("#stock-chart[data-drawn]")  # the panel came through htmx and was drawn
    assert "420 rows" in page.locator("#row-count").inner_text()
    first = page.locator("tbody tr").first.inner_text()
    assert "10/30/2026" in first  # the newest day first
    page.screenshot(path=str(tmp_path / "ledger-rows.png"), full_page=True)

    page.click("a[rel=next]")
    page.wait_for_url("**after=**")
    assert page.locator("tbody tr").first.inner_text() != first
    page.click("a[rel=prev]")
    page.wait_for_url("**before=**")
    assert page.locator("tbody tr").first.inner_text() == first
