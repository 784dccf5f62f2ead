"""A seller prices a parcel on the quote page and sees the formula and the fee chart (issue 4)."""

import pytest

from portal.dashboard.demo import DEMO_PASSWORD, load_demo_data


@pytest.mark.e2e
def test_seller_quotes_a_parcel_and_sees_formula_and_chart(live_server, page, tmp_path, transactional_db):
    load_demo_data(with_billing=False)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "owner@youpin.example.com")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/quote/")
    # The owner reads Chinese: the preset card shows its localised name (RateCard.names).
    bonded = page.locator("#id_contract option", has_text="菜鸟保税").get_attribute("value")
    page.select_option("#id_contract", bonded)
    page.fill("#id_period", "2026-10")
    page.fill("#id_weight_kg", "3.5")
    page.fill("#id_sku_kinds", "2")
    page.click("#quote-form button[type=submit]")
    page.wait_for_selector("#quote-total")
    assert page.locator("#quote-total").inner_text() == "CNY 22.00"
    assert "13 + 3 × (4 − 1) = 22.00" in page.locator("#quote-lines").inner_text()
    # Chart.js drew the fee curve on the canvas.
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('fee-chart'))")
    points = page.evaluate(
        "() => Chart.getChart(document.getElementById('fee-chart')).data.datasets[0].data.length"
    )
    assert points == 60
    page.screenshot(path=str(tmp_path / "quote.png"), full_page=True)
