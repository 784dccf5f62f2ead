"""A demo seller logs in, switches the UI to Chinese and keeps it (issue 3), in Debian's Chromium."""

import pytest

from portal.dashboard.demo import DEMO_PASSWORD, load_demo_data
from portal.models import User


@pytest.mark.e2e
def test_demo_seller_logs_in_switches_to_chinese_and_it_is_remembered(
    live_server, page, tmp_path, transactional_db
):
    load_demo_data(with_billing=False)
    User.objects.filter(email="owner@youpin.example.com").update(language="")

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "owner@youpin.example.com")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("main h1").inner_text() == "Dashboard"
    assert "深圳优品跨境电商有限公司" in page.locator("main").inner_text()

    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("main h1").inner_text() == "仪表盘"
    assert "账户状态" in page.locator("main").inner_text()
    page.screenshot(path=str(tmp_path / "dashboard-zh-hans.png"), full_page=True)
    assert (tmp_path / "dashboard-zh-hans.png").stat().st_size > 10_000

    assert User.objects.get(email="owner@youpin.example.com").language == "zh-hans"
    page.context.clear_cookies()  # a new session on another day: the user's choice still applies
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "owner@youpin.example.com")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("main h1").inner_text() == "仪表盘"
