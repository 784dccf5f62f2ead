"""A dispute in a browser (issue 14): the seller disputes a storage day and attaches a file, the proposal
appears, ops accept it as a credit note in admin, and the seller sees the credit note and its PDF and the
invoice's balance reduced; both emails are in the outbox. Tasks run in the server (Celery's eager mode; the
worker process itself is tested in tests/billing)."""

import os
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from post_office.models import Email

from billing.models import CreditNote, Dispute, DisputeAttachment
from tests.billing.disputes_world import ISSUED_AT, closed_and_issued, ops_user
from tests.billing.test_disputes import PDF, storage_line
from tests.e2e.test_close_journey import eager_tasks, log_in  # noqa: F401 - fixture
from tests.factories import PASSWORD, SellerUserFactory


@pytest.fixture
def in_window(monkeypatch):
    """Today, for the server too: three days after the invoice was issued (within its dispute window)."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: ISSUED_AT + timedelta(days=3))


@pytest.mark.e2e
def test_a_disputed_storage_day_becomes_a_credit_note_the_seller_sees(
    live_server,
    page,
    tmp_path,
    eager_tasks,  # noqa: F811 - the fixture imported above
    in_window,
):
    shots = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    owner = SellerUserFactory(role="owner", user__language="en")
    invoice, _contract = closed_and_issued(owner.seller)
    line = storage_line(invoice)
    ops = ops_user()
    ops.set_password(PASSWORD)
    ops.save()
    errors = []
    page.on("response", lambda response: errors.append(response.url) if response.status >= 500 else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    evidence = tmp_path / "count.pdf"
    evidence.write_bytes(PDF)

    # 1. The seller disputes the storage line: item A held 5 units on the 2nd, not 20; with a file.
    log_in(page, live_server.url, owner.user.email)
    page.goto(f"{live_server.url}/invoices/{invoice.pk}/")
    page.click(f"#dispute-line-{line.position}")
    page.wait_for_selector("#dispute-form")
    page.select_option("#id_reason", "wrong_quantity")
    page.fill("#id_text", "Only 5 units of A were in stock on the 2nd; our count sheet is attached.")
    page.fill("#id_reference", "A")
    page.fill("#id_quantity", "5")
    page.fill("#id_day_from", "2016-06-02")
    page.fill("#id_day_to", "2016-06-02")
    page.set_input_files("#id_files", str(evidence))
    page.click("#dispute-submit")
    page.wait_for_url(re.compile(r"/disputes/\d+/$"))
    dispute = Dispute.objects.get()
    assert dispute.line == line
    assert DisputeAttachment.objects.get().message.dispute == dispute

    # 2. The proposal: the whole invoice recomputed with the seller's figure, beside the original.
    page.reload()
    page.wait_for_selector("#proposal-difference")
    dispute.refresh_from_db()
    assert dispute.state == Dispute.State.PROPOSED and dispute.difference < 0
    difference = page.inner_text("#proposal-difference")
    assert str(abs(dispute.difference).quantize(Decimal("0.01"))) in difference.replace(",", "")
    assert "count.pdf" in page.inner_text("#dispute-thread")
    page.screenshot(path=str(shots / "dispute-proposal.png"), full_page=True)
    page.context.clear_cookies()

    # 3. Ops accept it as a credit note, from the disputes list in admin.
    log_in(page, live_server.url, ops.email, admin=True)
    page.goto(f"{live_server.url}/admin/billing/dispute/")
    page.check(f"input[name=_selected_action][value='{dispute.pk}']")
    page.select_option("select[name=action]", "accept")
    page.click("button[name=index]")
    page.check("input[name=decision][value=credit_note]")
    page.fill("textarea[name=reason]", "The count sheet matches our cycle count of the 2nd.")
    page.click(".submit-row input[type=submit]")
    page.wait_for_selector(".messagelist")
    assert "1 dispute accepted" in page.inner_text(".messagelist")
    page.screenshot(path=str(shots / "admin-dispute-accepted.png"), full_page=True)
    note = CreditNote.objects.get(invoice=invoice)
    assert note.status == "issued" and note.total == -dispute.difference
    page.context.clear_cookies()

    # 4. The seller: the outcome with the credit note and its PDF; the invoice's balance reduced by it.
    log_in(page, live_server.url, owner.user.email)
    page.goto(f"{live_server.url}/disputes/{dispute.pk}/")
    assert note.number in page.inner_text("#dispute-credit-note")
    pdf_link = page.locator("#credit-note-pdf")
    assert pdf_link.count() == 1
    page.screenshot(path=str(shots / "dispute-credit-note.png"), full_page=True)
    response = page.request.get(f"{live_server.url}{pdf_link.get_attribute('href')}")
    assert response.status == 200  # the PDF, or the page saying it is being prepared
    page.goto(f"{live_server.url}/invoices/{invoice.pk}/")
    invoice.refresh_from_db()
    assert invoice.balance == invoice.total - note.total
    assert note.number in page.inner_text("#credit-notes")
    due = page.inner_text("#invoice-balance-due").replace(",", "")
    assert str(invoice.balance.quantize(Decimal("0.01"))) in due

    # 5. Both emails in the outbox: the dispute to ops, the decision to the seller.
    to_ops = Email.objects.filter(to__contains=ops.email)
    to_seller = Email.objects.filter(to__contains=owner.user.email)
    assert to_ops.exists() and to_seller.filter(subject__icontains="accepted").exists()
    assert errors == []
