"""Emailing invoices to the billing contacts (SPEC §9 Send; issue 13): through the email queue to a real SMTP
server on loopback, once per contact even when the mail server is down during the send and the send task runs
twice, in each contact's language, with the statement PDF, the detail as CSV and XLSX, and a fixed
Message-ID per document and contact."""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from post_office.models import STATUS, Email
from post_office.settings import get_message_id_fqdn
from post_office.tasks import send_queued_mail

from billing import sending
from billing.models import Invoice, InvoiceDelivery, InvoiceSend
from billing.services import BillingError, issue_invoice
from billing.tasks import deliver_invoice_send_task, sync_invoice_deliveries_task
from portal.celery import app
from portal.models import AuditEvent, Seller
from tests.billing.documents import billing_world, draft_invoice, staff
from tests.conftest import wait_for
from tests.factories import BillingContactFactory

NOW = datetime(2026, 7, 3, 9, 0, tzinfo=UTC)
# Each contact's language, and words its subject and body are written in (locale/*/django.po).
LANGUAGES = {
    "billing@shop.example.com": ("en", "Invoice ACME-2026-000001 for 2016-06 from", "has issued invoice"),
    "keiri@shop.example.com": ("ja", "分の請求書 ACME-2026-000001", "を発行しました"),
    "caiwu@shop.example.com": ("zh-hans", "2016-06 账单 ACME-2026-000001", "开具 2016-06 的账单"),
    "ketoan@shop.example.com": ("vi", "Hóa đơn ACME-2026-000001 tháng 2016-06 từ", "đã phát hành hóa đơn"),
}


@pytest.fixture
def eager_tasks():
    """Celery tasks run in this process when queued (the worker process itself: the ``email_worker`` test)."""
    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the queue's attachments are files


def world_with_contacts():
    """An issued invoice of a seller with four billing contacts, one per language."""
    seller, _line, contract = billing_world()
    seller.billing_contacts.update(name="Li Na")  # billing@shop.example.com, in English (the factory's)
    for email, (language, *_words) in LANGUAGES.items():
        if language != "en":
            BillingContactFactory(seller=seller, email=email, name="", language=language)
    return seller, issue_invoice(invoice=draft_invoice(contract), now=NOW)


def run_send_queue() -> None:
    """post_office's task, as the worker and beat run it."""
    send_queued_mail.apply().get()


def attachments_of(message) -> dict[str, tuple[str, bytes]]:
    return {
        part.get_filename(): (part.get_content_type(), part.get_payload(decode=True))
        for part in message.iter_attachments()
    }


def body_of(message, subtype: str) -> str:
    return message.get_body(preferencelist=(subtype,)).get_content()


@pytest.mark.django_db(transaction=True)
def test_with_smtp_down_during_the_send_each_contact_receives_the_statement_exactly_once(
    smtp_server, eager_tasks, media
):
    seller, invoice = world_with_contacts()
    finance = staff("finance")
    smtp_server.stop()

    send = sending.send_invoice(invoice=invoice, by=finance)  # commits: the task runs, the mail fails

    send.refresh_from_db()
    assert (send.status, send.attempts, send.requested_by) == ("queued", 1, finance)
    deliveries = InvoiceDelivery.objects.order_by("pk")
    assert [d.email for d in deliveries] == list(LANGUAGES)
    assert {d.status for d in deliveries} == {"queued"}
    assert [e.status for e in Email.objects.all()] == [STATUS.requeued] * 4
    assert smtp_server.envelopes == []

    # The task delivered twice (a worker died after its work, or the broker redelivered it): nothing new.
    assert deliver_invoice_send_task.apply(args=[send.pk]).get() == 0
    assert sending.deliver_send(send_id=send.pk) == 0
    assert Email.objects.count() == 4 and InvoiceDelivery.objects.count() == 4

    # The queue's first attempt failed; each delivery shows it, and the invoice is not sent yet.
    assert sync_invoice_deliveries_task.apply().get() == 4
    for delivery in InvoiceDelivery.objects.all():
        assert (delivery.status, delivery.retries) == ("queued", 1)
        assert "Connection refused" in delivery.last_error
    invoice.refresh_from_db()
    assert (invoice.delivery_status, invoice.sent_count) == ("not_sent", 0)

    smtp_server.start()
    Email.objects.update(scheduled_time=timezone.now() - timedelta(seconds=1))  # the retry is due
    run_send_queue()
    run_send_queue()  # beat's next run, or the same task twice
    sync_invoice_deliveries_task.apply().get()
    sync_invoice_deliveries_task.apply().get()

    received = smtp_server.messages
    assert Counter(m["To"] for m in received) == dict.fromkeys(LANGUAGES, 1)
    for message in received:
        language, subject_words, body_words = LANGUAGES[message["To"]]
        contact = seller.billing_contacts.get(email=message["To"])
        assert subject_words in message["Subject"], (language, message["Subject"])
        text, html = body_of(message, "plain"), body_of(message, "html")
        assert body_words in text and body_words in html
        url = f"{settings.PORTAL_BASE_URL}/invoices/{invoice.pk}/"
        assert url in text and f'href="{url}"' in html
        assert message["Message-ID"] == f"<ACME-2026-000001.contact-{contact.pk}@{get_message_id_fqdn()}>"
        files = attachments_of(message)
        assert sorted(name.rsplit(".", 1)[1] for name in files) == ["csv", "pdf", "xlsx"]
        [(pdf_type, pdf)] = [v for k, v in files.items() if k.endswith(".pdf")]
        [(csv_type, csv)] = [v for k, v in files.items() if k.endswith(".csv")]
        [(xlsx_type, xlsx)] = [v for k, v in files.items() if k.endswith(".xlsx")]
        assert pdf_type == "application/pdf" and pdf.startswith(b"%PDF-")
        assert csv_type == "text/csv" and "ACME-2026-000001,2016-06,line-shop,CNY,1," in csv.decode(
            "utf-8-sig"
        )
        assert (
            xlsx_type.endswith("spreadsheetml.sheet")
            and "xl/workbook.xml" in zipfile.ZipFile(io.BytesIO(xlsx)).namelist()
        )
    assert "Li Na" in body_of(next(m for m in received if m["To"] == "billing@shop.example.com"), "plain")

    # Recorded: every delivery sent, the send counted once on the invoice, who asked and the result audited.
    assert set(InvoiceDelivery.objects.values_list("status", flat=True)) == {"sent"}
    assert all(d.sent_at is not None for d in InvoiceDelivery.objects.all())
    send.refresh_from_db()
    assert send.status == "finished" and send.recorded_at is not None
    invoice.refresh_from_db()
    assert (invoice.delivery_status, invoice.sent_count) == ("sent", 1)
    actions = list(AuditEvent.objects.filter(object_id=str(invoice.pk)).values_list("action", "actor"))
    assert actions[:4] == [
        ("invoice.send_finished", finance.pk),
        ("invoice.sent", finance.pk),
        ("invoice.send_queued", None),
        ("invoice.send_requested", finance.pk),
    ]
    finished = AuditEvent.objects.get(action="invoice.send_finished")
    assert {r["to"]: r["result"] for r in finished.data["results"]} == dict.fromkeys(LANGUAGES, "sent")
    assert len(smtp_server.envelopes) == 4


@pytest.mark.django_db(transaction=True)
def test_a_second_send_goes_again_with_the_same_message_id_and_counts_a_second_send(
    smtp_server, eager_tasks, media
):
    seller, invoice = world_with_contacts()
    sending.send_invoice(invoice=invoice)
    sending.send_invoice(invoice=invoice)
    sending.sync_deliveries()
    received = smtp_server.messages
    assert Counter(m["To"] for m in received) == dict.fromkeys(LANGUAGES, 2)
    for email in LANGUAGES:
        ids = {m["Message-ID"] for m in received if m["To"] == email}
        assert len(ids) == 1  # per document and contact
    invoice.refresh_from_db()
    assert (invoice.delivery_status, invoice.sent_count) == ("sent", 2)
    assert InvoiceSend.objects.filter(status="finished").count() == 2


@pytest.mark.django_db
def test_the_send_task_run_twice_queues_each_contacts_email_once(media):
    seller, invoice = world_with_contacts()
    send = sending.send_invoice(invoice=invoice)  # the test's transaction never commits: no task yet

    assert sending.deliver_send(send_id=send.pk) == 4
    assert sending.deliver_send(send_id=send.pk) == 0
    assert deliver_invoice_send_task.apply(args=[send.pk]).get() == 0

    assert Email.objects.count() == 4
    assert sorted(InvoiceDelivery.objects.values_list("email", flat=True)) == sorted(LANGUAGES)
    # One rendering per language, each shared by that language's messages: 4 languages x 3 files.
    assert {len(e.attachments.all()) for e in Email.objects.all()} == {3}


@pytest.mark.django_db
def test_a_run_cut_off_after_two_contacts_queues_only_the_other_two_when_it_runs_again(media):
    seller, invoice = world_with_contacts()
    send = sending.send_invoice(invoice=invoice)
    assert sending.deliver_send(send_id=send.pk) == 4
    # What a run that died after its second contact leaves: each contact is its own transaction.
    for delivery in InvoiceDelivery.objects.order_by("pk")[2:]:
        delivery.email_message.delete()
        delivery.delete()
    InvoiceSend.objects.filter(pk=send.pk).update(status="preparing", queued_at=None)

    assert sending.deliver_send(send_id=send.pk) == 2

    assert sorted(e.to[0] for e in Email.objects.all()) == sorted(LANGUAGES)
    assert InvoiceDelivery.objects.count() == 4


@pytest.mark.django_db
def test_a_draft_cannot_be_sent(client):
    _seller, _line, contract = billing_world()
    draft = draft_invoice(contract)
    with pytest.raises(BillingError, match="Only an issued invoice can be sent"):
        sending.send_invoice(invoice=draft)
    client.force_login(staff("finance"))
    response = client.post(
        "/admin/billing/invoice/",
        {"action": "send_by_email", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert "Only an issued invoice can be sent" in response.content.decode()
    assert client.post(f"/admin/billing/invoice/{draft.pk}/send/").status_code == 302
    assert not InvoiceSend.objects.exists() and not Email.objects.exists()


@pytest.mark.django_db
def test_a_send_being_prepared_is_not_asked_twice_and_a_seller_without_contacts_is_refused():
    seller, invoice = world_with_contacts()
    sending.send_invoice(invoice=invoice)
    with pytest.raises(BillingError, match="being prepared already"):
        sending.send_invoice(invoice=invoice)
    InvoiceSend.objects.update(status="queued")
    seller.billing_contacts.all().delete()
    with pytest.raises(BillingError, match="has no billing contact"):
        sending.send_invoice(invoice=invoice)
    assert InvoiceSend.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_seller_who_opted_in_gets_each_invoice_by_email_when_it_is_issued(eager_tasks, media, mailoutbox):
    seller, _line, contract = billing_world()
    other_seller, _other_line, other_contract = billing_world(operator_code="other", seller_code="nope")
    Seller.objects.filter(pk=seller.pk).update(auto_send_invoices=True)
    BillingContactFactory(seller=seller, email="keiri@shop.example.com", language="ja")

    invoice = issue_invoice(invoice=draft_invoice(contract), by=staff("finance"), now=NOW)
    issue_invoice(invoice=draft_invoice(other_contract), now=NOW)  # not opted in: not emailed

    send = InvoiceSend.objects.get()
    assert (send.invoice, send.trigger, send.status) == (invoice, "issue", "queued")
    assert sorted(m.to[0] for m in mailoutbox) == ["billing@shop.example.com", "keiri@shop.example.com"]
    [japanese] = [m for m in mailoutbox if m.to == ["keiri@shop.example.com"]]
    assert "請求書 ACME-2026-000001" in japanese.subject
    sending.sync_deliveries()
    invoice.refresh_from_db()
    assert invoice.delivery_status == "sent"
    assert not Invoice.objects.filter(seller=other_seller, delivery_status="sent").exists()


@pytest.mark.django_db
def test_issue_is_not_refused_for_a_seller_who_opted_in_without_a_contact():
    seller, _line, contract = billing_world()
    Seller.objects.filter(pk=seller.pk).update(auto_send_invoices=True)
    seller.billing_contacts.all().delete()
    invoice = issue_invoice(invoice=draft_invoice(contract), now=NOW)
    assert invoice.status == "issued" and not InvoiceSend.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_message_that_keeps_failing_shows_failed_on_the_delivery_and_in_admin(
    client, smtp_server, eager_tasks, media, settings
):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "MAX_RETRIES": 0}
    seller, _line, contract = billing_world()
    invoice = issue_invoice(invoice=draft_invoice(contract), now=NOW)
    smtp_server.stop()
    sending.send_invoice(invoice=invoice)
    sending.sync_deliveries()

    delivery = InvoiceDelivery.objects.get()
    assert delivery.status == "failed" and "Connection refused" in delivery.last_error
    assert InvoiceSend.objects.get().status == "finished"
    assert AuditEvent.objects.filter(action="invoice.send_failed", object_id=str(invoice.pk)).count() == 1
    invoice.refresh_from_db()
    assert (invoice.delivery_status, invoice.sent_count) == ("not_sent", 0)

    client.force_login(staff("ops"))
    failed = client.get("/admin/billing/invoicedelivery/", {"status__exact": "failed"})
    assert failed.status_code == 200 and "billing@shop.example.com" in failed.content.decode()
    assert list(failed.context["cl"].result_list) == [delivery]
    sent = client.get("/admin/billing/invoicedelivery/", {"status__exact": "sent"})
    assert list(sent.context["cl"].result_list) == []
    page = client.get(f"/admin/billing/invoice/{invoice.pk}/change/").content.decode()
    assert "Connection refused" in page and "billing@shop.example.com" in page


@pytest.mark.django_db
def test_a_send_whose_task_never_started_is_queued_again_and_one_that_keeps_dying_gives_up(media):
    seller, invoice = world_with_contacts()
    send = sending.send_invoice(invoice=invoice, now=NOW)  # never committed: its task was never queued
    later = timezone.now() + timedelta(hours=1)
    with pytest.MonkeyPatch.context() as patch:
        queued = []
        patch.setattr(sending, "queue_delivery", queued.append)
        assert sending.requeue_stuck_sends(now=later) == 1
    assert queued == [send.pk]
    InvoiceSend.objects.filter(pk=send.pk).update(attempts=sending.MAX_ATTEMPTS)
    assert sending.deliver_send(send_id=send.pk) == 0
    send.refresh_from_db()
    assert send.status == "gave_up" and "gave up" in send.problem
    assert not Email.objects.exists()


@pytest.mark.worker
def test_a_worker_process_sends_an_invoice_issued_for_a_seller_who_opted_in(email_worker):
    seller, _line, contract = billing_world()
    Seller.objects.filter(pk=seller.pk).update(auto_send_invoices=True)
    invoice = issue_invoice(invoice=draft_invoice(contract, period=date(2016, 6, 1)), now=NOW)
    wait_for(lambda: email_worker.envelopes, timeout=90)
    wait_for(lambda: Email.objects.filter(status=STATUS.sent).exists(), timeout=30)
    [message] = email_worker.messages
    assert message["To"] == "billing@shop.example.com"
    assert re.search(r"Invoice ACME-\d{4}-000001 for 2016-06", message["Subject"])
    assert sorted(name.rsplit(".", 1)[1] for name in attachments_of(message)) == ["csv", "pdf", "xlsx"]
    sending.sync_deliveries()
    invoice.refresh_from_db()
    assert invoice.delivery_status == "sent"


@pytest.mark.django_db
def test_a_send_whose_emails_went_before_its_task_finished_is_finished_by_the_next_sync(media, sent_mail):
    seller, invoice = world_with_contacts()
    send = sending.send_invoice(invoice=invoice)
    sending.deliver_send(send_id=send.pk)
    InvoiceSend.objects.filter(pk=send.pk).update(status="preparing")  # the task is still queuing ...
    sent_mail()
    assert sending.sync_deliveries() == 4  # ... when the emails go: counted on the invoice, not finished
    send.refresh_from_db()
    assert send.status == "preparing" and send.recorded_at is not None
    InvoiceSend.objects.filter(pk=send.pk).update(status="queued")  # the task ends

    assert sending.sync_deliveries() == 0

    send.refresh_from_db()
    assert send.status == "finished"
    invoice.refresh_from_db()
    assert invoice.sent_count == 1
    assert AuditEvent.objects.filter(action="invoice.send_finished", object_id=str(invoice.pk)).count() == 1
