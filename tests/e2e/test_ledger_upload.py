"""A seller uploads ledgers in the browser: a real Celery worker imports them while the page shows a
progress bar; a bad file shows every bad row and its errors download as CSV (issue 6)."""

import csv
import io

import pytest

from inventory.models import LedgerFile
from portal.dashboard.demo import DEMO_PASSWORD, load_demo_data
from portal.models import User

HEADER = (
    "business_date,warehouse,seller,item_id,length_mm,height_mm,width_mm,"
    "units_per_carton,sales_qty,stock_qty\n"
)


def stock_file(path, rows: int, bad_last: bool = False):
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for n in range(rows):
            out.write(
                f"2026-10-{1 + n % 31:02d},HK-XY-OVERSEAS,youpin,YP{n // 31:05d},400,300,200,10,{n % 4},120\n"
            )
        if bad_last:
            out.write("2026-10-32,HK-XY-OVERSEAS,youpin,YPBAD,400,300,-200,10,0,120\n")


@pytest.mark.e2e
@pytest.mark.worker
def test_upload_shows_progress_then_rows_and_a_bad_file_its_errors(
    live_server, page, tmp_path, celery_worker_process
):
    load_demo_data(with_billing=False)
    User.objects.filter(email="owner@youpin.example.com").update(language="en")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "owner@youpin.example.com")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    good = tmp_path / "october.csv"
    stock_file(good, 62_000)
    page.goto(f"{live_server.url}/ledgers/")
    page.select_option("#id_kind", "stock")
    page.select_option("#id_warehouse", label="HK-XY-OVERSEAS · 心怡香港海外备货仓")
    page.set_input_files("#id_file", str(good))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#ledger-progress .progress-bar")  # the bar is there while the worker runs
    page.wait_for_selector("#ledger-result.alert-success", timeout=120_000)
    assert "62000 rows stored" in page.locator("#ledger-result").inner_text()
    page.reload()  # the result survives a reload
    assert page.locator(".progress-bar").inner_text().strip() == "100 %"
    page.screenshot(path=str(tmp_path / "upload-stored.png"), full_page=True)

    bad = tmp_path / "bad.csv"
    stock_file(bad, 500, bad_last=True)
    page.goto(f"{live_server.url}/ledgers/")
    page.select_option("#id_kind", "stock")
    page.select_option("#id_warehouse", label="HK-XY-OVERSEAS · 心怡香港海外备货仓")
    page.set_input_files("#id_file", str(bad))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#ledger-errors", timeout=60_000)
    errors = page.locator("#ledger-errors tbody").inner_text()
    assert "502" in errors and "business_date" in errors and "width_mm" in errors
    with page.expect_download() as download:
        page.click("#download-errors")
    report = tmp_path / "errors.csv"
    download.value.save_as(report)
    rows = list(csv.reader(io.StringIO(report.read_text(encoding="utf-8"))))
    assert rows[0] == ["row", "column", "reason"] and {r[1] for r in rows[1:]} == {
        "business_date",
        "width_mm",
    }
    assert LedgerFile.objects.get(original_name="bad.csv").rows_stored == 0
    page.screenshot(path=str(tmp_path / "upload-refused.png"), full_page=True)
