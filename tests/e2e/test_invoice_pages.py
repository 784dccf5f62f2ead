"""The seller's invoices in a browser (issue 12, "Pages"): the list, the detail with its chart of the months
before, the storage line's rows per day, and the CSV download. ``SCREENSHOTS=DIR`` keeps the pictures."""

import os
from datetime import date
from pathlib import Path

import pytest

from billing import close
from billing.models import Invoice
from tariffs.rules import Period
from tests.billing.test_close import upload
from tests.factories import PASSWORD, ContractFactory, SellerUserFactory, ServiceLineFactory, preset_card


def months_of_invoices(seller) -> Invoice:
    """March to June on a bonded line: March to May issued, June a draft; returns June's."""
    line = ServiceLineFactory(code="bonded", name="Cainiao bonded")
    ContractFactory(seller=seller, service_line=line, rate_card=preset_card("cainiao-bonded"))
    for number, month in enumerate((3, 4, 5, 6), start=1):
        units = 10 * month
        stock = [
            f"2016-{month:02d}-{day:02d},{{wh}},{{seller}},{item},300,300,200,2,,1,{units + day}"
            for day in range(1, 29)
            for item in ("YP-BOX-S", "YP-BOX-L")
        ]
        parcels = [
            f"P{month}{n},2016-{month:02d}-{n + 1:02d},{{wh}},{{seller}},{1 + n / 2},{n % 6 + 1}"
            for n in range(month)
        ]
        upload("stock", stock, seller=seller, line=line)
        upload("outbound", [p + ",,,,,," for p in parcels], seller=seller, line=line)
        close.close_seller_month(seller=seller, period=Period(2016, month))
        if month < 6:
            Invoice.objects.filter(seller=seller, period=date(2016, month, 1)).update(
                status="issued",
                number=f"HZ-2016-{number:04d}",
                issue_date=date(2016, month + 1, 1),
                due_date=date(2016, month + 1, 31 if month + 1 in (5, 7) else 30),
                payment_status="paid" if month < 5 else "unpaid",
            )
    return Invoice.objects.get(seller=seller, period=date(2016, 6, 1))


@pytest.mark.e2e
def test_a_seller_reads_an_invoice_drills_into_storage_and_downloads_the_csv(live_server, page, tmp_path):
    shots = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    owner = SellerUserFactory(role="owner")
    june = months_of_invoices(owner.seller)
    errors = []
    page.on("response", lambda response: errors.append(response.url) if response.status >= 400 else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    # A CSP violation or a script error is a console error (the browser's own favicon probe is a 404 there).
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "404" not in m.text else None)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", owner.user.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.click("text=Invoices")
    page.wait_for_selector("#invoice-table")
    rows = page.locator("#invoice-table tbody tr")
    assert rows.count() == 4
    assert "Draft" in rows.first.inner_text() and "draft" in rows.first.inner_text()
    page.screenshot(path=str(shots / "invoice-list.png"), full_page=True)

    rows.first.locator("a").first.click()
    page.wait_for_selector("#invoice-chart[data-drawn]")
    assert "This is a draft" in page.locator("#draft-notice").inner_text()
    assert "= " in page.locator("#section-storage .formula").first.inner_text()
    page.screenshot(path=str(shots / "invoice-detail.png"), full_page=True)

    page.locator("#section-storage a.drill").first.click()
    page.wait_for_selector("#storage-days")
    assert page.locator("#storage-days tbody tr").count() == 28
    assert page.locator("#line-rows tbody tr").count() == 50  # one keyset page of 56 rows (28 days × 2 items)
    page.screenshot(path=str(shots / "invoice-storage-rows.png"), full_page=True)
    page.click("a[rel=next]")
    page.wait_for_url("**after=**")
    assert page.locator("#line-rows tbody tr").count() == 6

    page.goto(f"{live_server.url}/invoices/{june.pk}/")
    with page.expect_download() as download:
        page.click("#download-csv")
    path = download.value.path()
    text = Path(path).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("invoice,period,service_line,currency,position")
    assert f"DRAFT {june.pk},2016-06,bonded,CNY,1,storage" in text
    assert errors == []
