"""The seller's first journey through the real parts (issue 5): register a SKU, see it blocked for Japan,
upload a PSE certificate, create and submit an inbound order, download its carton labels once a worker has
rendered them; ops advance it
to completed in admin; the seller sees the timeline."""

import re
import subprocess

import pytest

from portal.dashboard.demo import DEMO_PASSWORD, load_demo_data
from portal.models import User

# A 1×1 PNG: the certificate scan.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def log_in(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")


@pytest.mark.e2e
def test_sku_to_completed_inbound_order(
    live_server, browser, tmp_path, transactional_db, celery_worker_process
):
    load_demo_data(with_billing=False)
    User.objects.filter(email="owner@sakura.example.com").update(language="en")
    base = live_server.url
    seller = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    page = seller.new_page()
    page.set_default_timeout(20_000)
    log_in(page, base, "owner@sakura.example.com")
    page.wait_for_url(f"{base}/")

    # 1. Register a SKU: an electrical kettle without a PSE certificate.
    page.goto(f"{base}/skus/new/")
    for field, value in {
        "code": "SK-KETTLE-9",
        "name_zh": "电热水壶",
        "name_en": "Electric kettle",
        "name_ja": "電気ケトル",
        "hs_code": "851671",
        "declared_value": "18.50",
        "net_weight_g": "1200",
        "length_mm": "220",
        "width_mm": "160",
        "height_mm": "250",
        "units_per_carton": "8",
        "carton_length_mm": "460",
        "carton_width_mm": "340",
        "carton_height_mm": "520",
    }.items():
        page.fill(f"#id_{field}", value)
    page.select_option("#id_category", "electronics")
    page.check("#id_is_electrical")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#readiness")
    readiness = page.locator("#readiness").inner_text()
    assert "valid PSE certificate (electrical product)" in readiness

    # 2. Upload the PSE certificate: Japan becomes ready.
    cert = tmp_path / "pse.png"
    cert.write_bytes(PNG)
    page.select_option("#certificate-form select[name=kind]", "PSE")
    page.fill("#certificate-form input[name=number]", "JET-2026-0042")
    page.fill("#certificate-form input[name=expires_on]", "2030-06-30")
    page.set_input_files("#certificate-form input[name=file]", str(cert))
    page.click("#certificate-form button[type=submit]")
    page.wait_for_load_state("load")
    assert "valid PSE certificate" not in page.locator("#readiness").inner_text()

    # 3. Create and submit an inbound order of 2 cartons to the Tokyo warehouse.
    page.goto(f"{base}/inbound/new/")
    page.select_option("#id_order-warehouse", label="JP-TYO-01 · Linkstar 東京倉庫")
    sku_value = page.locator("#id_cartons-0-sku option", has_text="SK-KETTLE-9").get_attribute("value")
    page.select_option("#id_cartons-0-sku", sku_value)
    assert page.input_value("#id_cartons-0-units_per_carton") == "8"  # filled from the SKU
    page.fill("#id_cartons-0-cartons", "2")
    page.fill("#id_cartons-0-gross_weight_kg", "11.5")
    page.click("#order-form button[type=submit]")
    page.wait_for_selector("#submit-order")
    page.click("#submit-order")
    page.wait_for_selector("#order-documents")
    order_url = page.url
    assert "Submitted" in page.locator("main h1").inner_text()

    # 4. The documents render on the worker while the page shows their progress; then the carton
    # labels download: one page per carton.
    page.wait_for_selector("#download-labels", timeout=120_000)
    with page.expect_download() as download:
        page.click("#download-labels")
    labels = tmp_path / "labels.pdf"
    download.value.save_as(labels)
    info = subprocess.run(["pdfinfo", str(labels)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+2$", info, re.M), info

    # 5. Ops advance the order to completed in Django admin, counting both cartons.
    ops_context = browser.new_context(viewport={"width": 1366, "height": 900})
    ops = ops_context.new_page()
    ops.set_default_timeout(20_000)
    log_in(ops, base, "ops@example.com")
    ops.goto(f"{base}/admin/inventory/inboundorder/?q=sakura-goods")
    ops.click("#result_list tbody tr th a")
    admin_url = ops.url.rsplit("/change/", 1)[0]
    steps = [
        (
            "in_transit",
            {
                "carrier": "Nippon Express",
                "tracking_number": "NX-55120",
                "etd": "2026-11-25",
                "eta": "2026-12-02",
            },
        ),
        ("export_cleared", {"export_declaration_no": "EX-4420"}),
        ("import_cleared", {"import_declaration_no": "IM-7781"}),
        ("receiving", {}),
    ]
    for target, fields in steps:
        ops.goto(f"{admin_url}/advance/")
        ops.select_option("select[name=target]", target)
        for name, value in fields.items():
            ops.fill(f"[name={name}]", value)
        ops.click("input[type=submit]")
        ops.wait_for_url(f"{admin_url}/change/")
    ops.goto(f"{admin_url}/receive/")
    carton_ids = [link.inner_text() for link in ops.locator("table a[href*='carton_id']").all()]
    assert len(carton_ids) == 2
    for carton_id in carton_ids:
        ops.fill("#carton_id", carton_id)
        ops.click("form[method=get] input[type=submit]")
        ops.click("form[method=post] input[type=submit]")
        ops.wait_for_load_state("load")
    ops.goto(f"{admin_url}/advance/")
    ops.select_option("select[name=target]", "completed")
    ops.click("input[type=submit]")
    ops.wait_for_url(f"{admin_url}/change/")

    # 6. The seller sees the completed order and its timeline.
    page.goto(order_url)
    assert "Completed" in page.locator("main h1").inner_text()
    timeline = page.locator("#timeline").inner_text()
    for step in ("Submitted", "In transit", "Export cleared", "Import cleared", "Receiving", "Completed"):
        assert step in timeline
    assert "NX-55120" in timeline
    page.screenshot(path=str(tmp_path / "order-completed.png"), full_page=True)
    ops_context.close()
    seller.close()
