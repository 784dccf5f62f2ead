"""Billing in admin as ops and finance (SPEC §1, §9): ops close months, write credit notes and supplementary
drafts; finance issues, records sends and payments; each is refused what the other role does; documents are
read-only for everyone."""

from datetime import UTC, date, datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from billing.models import CloseRun, CreditNote, Invoice, InvoiceSend, Payment
from billing.services import issue_invoice
from portal.models import AuditEvent
from tests.billing.documents import billing_world, draft_invoice, staff

NOW = datetime(2026, 7, 3, 9, 0, tzinfo=UTC)
CHANGELIST = "admin:billing_invoice_changelist"


@pytest.fixture
def world(db):
    seller, line, contract = billing_world()
    return seller, contract, draft_invoice(contract)


@pytest.fixture
def ops(client, db):
    client.force_login(staff("ops"))
    return client


@pytest.fixture
def finance(client, db):
    client.force_login(staff("finance"))
    return client


def act(client, action, *objects, url=CHANGELIST, **extra):
    data = {"action": action, "_selected_action": [obj.pk for obj in objects], **extra}
    return client.post(reverse(url), data, follow=True)


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_finance_issues_a_draft_and_ops_cannot(world, ops, finance):
    _, _, draft = world
    ops.force_login(staff("ops", "ops2@example.com"))
    response = act(ops, "issue", draft)
    assert "No action selected." in texts(response)
    assert Invoice.objects.get().status == "draft"

    finance.force_login(staff("finance", "fin2@example.com"))
    response = act(finance, "issue", draft)

    assert texts(response) == ["1 invoice issued."]
    assert Invoice.objects.get().number == "ACME-2026-000001"


def test_a_refused_issue_is_an_admin_message_naming_the_invoice(world, finance):
    _, _, draft = world
    Invoice.objects.filter(pk=draft.pk).update(is_stale=True)
    response = act(finance, "issue", draft)
    assert response.status_code == 200
    assert texts(response) == [
        "The draft of shop 2016-06 (line-shop) is stale: warehouse rows of its month changed. "
        "Close the month again."
    ]
    assert Invoice.objects.get().status == "draft"


def test_ops_close_a_month_again_and_finance_cannot(world, ops, client):
    seller, _, draft = world
    with mock.patch("billing.tasks.close_sellers_month_task.delay") as delay:
        response = act(ops, "close_again", draft)
    assert texts(response) == ["The close of 2016-06 is queued for 1 seller."]
    run = CloseRun.objects.get()
    assert (run.seller, run.period, run.status) == (seller, date(2016, 6, 1), "queued")
    delay.assert_not_called()  # after commit only (the test's transaction never commits)

    client.force_login(staff("finance", "fin2@example.com"))
    CloseRun.objects.all().delete()
    response = act(client, "close_again", draft)
    assert "No action selected." in texts(response)
    assert CloseRun.objects.count() == 0


def test_close_a_month_form_queues_every_seller_and_shows_progress(world, ops, client):
    url = reverse("admin:billing_closerun_close_month")
    response = ops.post(url, {"month": "2016-13"})
    assert response.status_code == 200 and "Give the month as YYYY-MM" in response.content.decode()

    response = ops.post(url, {"month": "2016-06"}, follow=True)

    assert texts(response) == ["The close of 2016-06 is queued for 1 seller."]
    assert response.redirect_chain[-1][0] == reverse("admin:billing_closerun_changelist") + "?month=2016-06"
    assert "<strong>Queued</strong>: 1" in response.content.decode()
    assert CloseRun.objects.get().status == "queued"

    client.force_login(staff("finance", "fin2@example.com"))
    assert client.get(url).status_code == 403
    assert client.post(url, {"month": "2016-07"}).status_code == 403
    assert CloseRun.objects.count() == 1


def test_finance_records_sends_and_payments_through_admin(world, finance):
    seller, contract, draft = world
    invoice = issue_invoice(invoice=draft, now=NOW)
    later = issue_invoice(invoice=draft_invoice(contract, period=date(2016, 7, 1)), now=NOW)

    response = act(finance, "send_by_email", invoice)  # emailed by a worker (tests/billing/test_sending.py)
    assert texts(response) == ["1 invoice is being emailed to its billing contacts."]
    assert InvoiceSend.objects.get().invoice == invoice

    response = finance.post(
        reverse("admin:billing_payment_add"),
        {
            "seller": seller.pk,
            "currency": "CNY",
            "amount": "130.00",
            "received_on": "2026-07-20",
            "bank_reference": "HSBC-778",
            "invoices": [later.pk],
        },
        follow=True,
    )

    payment = Payment.objects.get()
    assert texts(response) == [f"Payment #{payment.pk} recorded."]
    assert list(payment.allocations.values_list("invoice__number", "amount")) == [
        ("ACME-2026-000002", Decimal("100.00"))
    ]
    assert (payment.bank_reference, payment.recorded_by.email) == ("HSBC-778", "finance@example.com")


def test_ops_cannot_record_payments_nor_finance_write_credit_notes(world, ops, client):
    _, _, draft = world
    invoice = issue_invoice(invoice=draft, now=NOW)
    assert ops.get(reverse("admin:billing_payment_add")).status_code == 403
    client.force_login(staff("finance", "fin2@example.com"))
    response = client.post(
        reverse("admin:billing_creditnote_add"),
        {"invoice": invoice.pk, "reason": "x", "description": "x", "amount": "1.00"},
    )
    assert response.status_code == 403
    assert (Payment.objects.count(), CreditNote.objects.count()) == (0, 0)


def test_ops_write_and_issue_a_credit_note_and_the_cap_is_a_form_error(world, ops):
    _, _, draft = world
    invoice = issue_invoice(invoice=draft, now=NOW)
    url = reverse("admin:billing_creditnote_add")
    response = ops.post(
        url, {"invoice": invoice.pk, "reason": "Wrong storage", "description": "x", "amount": "100.01"}
    )
    assert "at most 100.00 CNY can still be credited" in response.content.decode()

    ops.post(
        url, {"invoice": invoice.pk, "reason": "Wrong storage", "description": "Storage", "amount": "20.00"}
    )
    note = CreditNote.objects.get()
    response = act(ops, "issue", note, url="admin:billing_creditnote_changelist")

    assert texts(response)[-1] == "1 credit note issued."
    note.refresh_from_db()
    assert (note.number, note.total, note.created_by.email) == (
        "CN-ACME-2026-000001",
        Decimal("20.00"),
        "ops@example.com",
    )


def test_ops_write_a_supplementary_draft_that_finance_issues(world, ops):
    _, _, draft = world
    original = issue_invoice(invoice=draft, now=NOW)
    response = act(
        ops,
        "supplementary_draft",
        original,
        apply="1",
        section="services",
        description="Crating not billed",
        amount="35.00",
    )
    supplement = Invoice.objects.get(kind="supplementary")
    assert texts(response) == [
        f"Supplementary draft #{supplement.pk} of ACME-2026-000001 written; finance issues it."
    ]
    assert (supplement.original, supplement.total, supplement.status) == (original, Decimal("35.00"), "draft")


def test_documents_are_read_only_for_everyone(world, admin_client):
    _, _, draft = world
    invoice = issue_invoice(invoice=draft, now=NOW)
    change = reverse("admin:billing_invoice_change", args=[invoice.pk])
    page = admin_client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    admin_client.post(change, {"total": "1.00"})
    assert admin_client.get(reverse("admin:billing_invoice_add")).status_code == 403
    assert admin_client.post(reverse("admin:billing_invoice_delete", args=[invoice.pk])).status_code == 403
    assert Invoice.objects.get().total == Decimal("100.00")


def test_the_invoice_page_shows_findings_problems_and_the_audit_trail(world, ops):
    seller, _, draft = world
    Invoice.objects.filter(pk=draft.pk).update(
        findings=[{"kind": "stock_mismatch", "item_id": "A", "day": "2016-06-02", "detail": "seller says 9"}]
    )
    CloseRun.objects.create(
        seller=seller,
        period=date(2016, 6, 1),
        problems=[{"service_line": "line-shop", "message": "unknown service code X9"}],
    )
    page = ops.get(reverse("admin:billing_invoice_change", args=[draft.pk])).content.decode()
    assert "2016-06-02 · stock_mismatch · A · seller says 9" in page
    assert "line-shop: unknown service code X9" in page


def test_balances_view_lists_what_each_seller_owes(world, finance):
    seller, _, draft = world
    issue_invoice(invoice=draft, now=NOW)
    page = finance.get(reverse("admin:billing_invoice_balances"))
    assert page.status_code == 200
    row = page.content.decode().split('id="open-balances"')[1]
    assert "shop" in row and "<td>100.00</td>" in row


def test_the_audit_trail_is_listed_and_never_edited(world, ops):
    _, _, draft = world
    issue_invoice(invoice=draft, now=NOW)
    event = AuditEvent.objects.get(action="invoice.issued")
    listing = ops.get(reverse("admin:portal_auditevent_changelist"))
    assert listing.status_code == 200 and "invoice.issued" in listing.content.decode()
    assert ops.get(reverse("admin:portal_auditevent_add")).status_code == 403
    assert ops.post(reverse("admin:portal_auditevent_delete", args=[event.pk])).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_every_billing_admin_page_answers_without_inline_code(world, admin_client):
    seller, contract, draft = world
    invoice = issue_invoice(invoice=draft, now=NOW)
    act(
        admin_client,
        "supplementary_draft",
        invoice,
        apply="1",
        section="services",
        description="x",
        amount="1",
    )
    admin_client.post(
        reverse("admin:billing_creditnote_add"),
        {"invoice": invoice.pk, "reason": "x", "description": "x", "amount": "1.00"},
    )
    admin_client.post(
        reverse("admin:billing_payment_add"),
        {
            "seller": seller.pk,
            "currency": "CNY",
            "amount": "5",
            "received_on": "2026-07-04",
            "bank_reference": "B",
        },
    )
    CloseRun.objects.create(
        seller=seller, period=date(2016, 6, 1), status="failed", problems=[{"message": "m"}]
    )
    urls = [
        reverse("admin:billing_invoice_balances"),
        reverse("admin:billing_closerun_close_month"),
        reverse("admin:billing_creditnote_add"),
        reverse("admin:billing_payment_add"),
        reverse("admin:billing_invoice_changelist") + "?month=2016-06&status__exact=issued&is_stale__exact=0",
        reverse("admin:billing_invoice_changelist") + "?month=junk",
        reverse("admin:billing_closerun_changelist") + "?month=2016-06",
        reverse("admin:billing_creditnote_changelist") + "?month=2016-06",
    ]
    for model in (Invoice, CloseRun, CreditNote, Payment, AuditEvent):
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{name}_changelist"))
        urls += [reverse(f"{name}_change", args=[pk]) for pk in model.objects.values_list("pk", flat=True)]
    for url in urls:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert "<script>" not in response.content.decode() and " style=" not in response.content.decode(), url
