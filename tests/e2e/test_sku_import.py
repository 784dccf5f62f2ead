"""A seller imports a SKU catalog in the browser: a real Celery worker imports it while the page shows
a progress bar; a bad file lists every bad row and stores nothing (issue 10, finding 4)."""

import csv

import pytest

from inventory.models import Sku, SkuImportJob
from portal.dashboard.demo import DEMO_PASSWORD, load_demo_data
from portal.models import User


def catalog(path, rows: int, bad_row: int | None = None):
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["SKU编码", "中文品名", "英文品名", "HS编码", "申报价值", "申报币种", "净重(g)"])
        for n in range(rows):
            weight = "-1" if n == bad_row else "120"
            writer.writerow([f"E2E-{n:05d}", f"商品{n}", f"Item {n}", "392490", "3.50", "CNY", weight])


@pytest.mark.e2e
@pytest.mark.worker
def test_sku_import_shows_progress_then_the_result_or_every_bad_row(
    live_server, page, tmp_path, celery_worker_process
):
    load_demo_data(with_billing=False)
    User.objects.filter(email="owner@youpin.example.com").update(language="en")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "owner@youpin.example.com")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    before = Sku.objects.count()

    good = tmp_path / "catalog.csv"
    catalog(good, 1500)
    page.goto(f"{live_server.url}/skus/import/")
    page.set_input_files("#id_file", str(good))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#sku-import-progress .progress-bar")
    page.wait_for_selector("#import-result[data-ok='1']", timeout=120_000)
    assert "Import done: 1500 SKUs created, 0 updated." in page.locator("#import-result").inner_text()
    assert page.locator(".progress-bar").inner_text().strip() == "100 %"
    page.screenshot(path=str(tmp_path / "sku-import-done.png"), full_page=True)
    assert Sku.objects.count() == before + 1500

    bad = tmp_path / "bad.csv"
    catalog(bad, 800, bad_row=700)
    page.goto(f"{live_server.url}/skus/import/")
    assert "catalog.csv" in page.locator("#sku-import-jobs").inner_text()  # the recent imports
    page.set_input_files("#id_file", str(bad))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-problems", timeout=120_000)
    problems = page.locator("#import-problems tbody").inner_text()
    assert "702" in problems and "净重(g)" in problems
    assert SkuImportJob.objects.get(original_name="bad.csv").status == "refused"
    assert Sku.objects.count() == before + 1500
    page.screenshot(path=str(tmp_path / "sku-import-refused.png"), full_page=True)
