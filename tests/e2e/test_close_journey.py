"""The close in a browser (issue 12): ops close a month in admin, finance issues the invoice, and the seller
opens it, drills into storage per day and downloads the CSV. The close runs as the worker task would, in the
server (Celery's eager mode for this test; the worker process itself is tested in tests/billing)."""

import os
import re
from pathlib import Path

import pytest

from billing.models import CloseRun, Invoice
from portal.celery import app
from tests.billing.documents import staff
from tests.billing.test_close import OUTBOUND, upload
from tests.factories import PASSWORD, ContractFactory, SellerUserFactory, ServiceLineFactory, preset_card

STOCK = [
    f"2016-06-{day:02d},{{wh}},{{seller}},{item},300,300,200,2,,1,{10 + day}"
    for day in range(1, 31)
    for item in ("YP-BOX-S", "YP-BOX-L")
]


@pytest.fixture
def eager_tasks():
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def log_in(page, url, email, *, admin=False):
    page.goto(f"{url}/admin/login/?next=/admin/" if admin else f"{url}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form input[type=submit]" if admin else "button[type=submit]")
    page.wait_for_url(f"{url}/admin/" if admin else f"{url}/")


@pytest.mark.e2e
def test_ops_close_finance_issues_and_the_seller_reads_the_invoice(live_server, page, tmp_path, eager_tasks):
    shots = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    owner = SellerUserFactory(role="owner")
    seller = owner.seller
    line = ServiceLineFactory(code="bonded", name="Cainiao bonded")
    ContractFactory(seller=seller, service_line=line, rate_card=preset_card("cainiao-bonded"))
    upload("stock", STOCK, seller=seller, line=line)
    upload("outbound", OUTBOUND, seller=seller, line=line)
    ops, finance = staff("ops"), staff("finance")
    for user in (ops, finance):
        user.set_password(PASSWORD)
        user.save()
    errors = []
    page.on("response", lambda response: errors.append(response.url) if response.status >= 400 else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    # Ops: close June 2016 for the seller, from the close runs page.
    log_in(page, live_server.url, ops.email, admin=True)
    page.goto(f"{live_server.url}/admin/billing/closerun/close-month/")
    page.fill("input[name=month]", "2016-06")
    page.select_option("select[name=sellers]", str(seller.pk))
    page.click(".submit-row input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/billing/closerun/\?month=2016-06$"))
    assert "queued for 1 seller" in page.inner_text(".messagelist")
    page.screenshot(path=str(shots / "admin-close-runs.png"), full_page=True)
    run = CloseRun.objects.get(seller=seller)
    assert run.status == CloseRun.Status.DONE and run.drafts_written == 1
    invoice = Invoice.objects.get(seller=seller)
    assert (
        invoice.status == "draft" and invoice.lines.count() == 3
    )  # storage + two parcel fees (1.2 kg and 3.001 kg)
    page.context.clear_cookies()

    # Finance: issue the draft from the invoice list.
    log_in(page, live_server.url, finance.email, admin=True)
    page.goto(f"{live_server.url}/admin/billing/invoice/")
    page.check(f"input[name=_selected_action][value='{invoice.pk}']")
    page.select_option("select[name=action]", "issue")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist")
    invoice.refresh_from_db()
    assert invoice.status == "issued" and "1 invoice issued" in page.inner_text(".messagelist")
    assert invoice.number in page.inner_text("#result_list")
    page.screenshot(path=str(shots / "admin-invoice-issued.png"), full_page=True)
    page.context.clear_cookies()

    # The seller: the invoice, storage per day, the CSV.
    log_in(page, live_server.url, owner.user.email)
    page.goto(f"{live_server.url}/invoices/")
    page.click(f"text={invoice.number}")
    page.wait_for_selector("#section-storage")
    page.locator("#section-storage a.drill").first.click()
    page.wait_for_selector("#storage-days")
    assert page.locator("#storage-days tbody tr").count() == 30  # one row per day of June
    page.goto(f"{live_server.url}/invoices/{invoice.pk}/")
    with page.expect_download() as download:
        page.click("#download-csv")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert f"{invoice.number},2016-06,bonded,CNY,1,storage" in text
    assert errors == []
