"""Emailing issued invoices to the seller's billing contacts (SPEC §9 Send; issue 13).

- ``send_invoice`` / ``send_month`` (finance in admin) and ``send_at_issue`` (a seller who opted in) write an
  ``InvoiceSend`` and queue ``deliver_invoice_send_task`` after commit. Only issued invoices are sent.
- ``deliver_send`` (the task) renders, per contact, the statement PDF (``billing.statements.statement_pdf``)
  and the detail as CSV and XLSX in the contact's language, and queues one email per contact through the
  email queue (``portal.emails``), HTML and plain text, with a link to the invoice in the portal. Each email
  and its ``InvoiceDelivery`` row are written in one transaction under the send's row lock, and the row is
  unique per send and contact: a task that runs twice queues nothing new. The Message-ID is fixed per
  document and contact (``<NUMBER.CONTACT@fqdn>``).
- ``sync_deliveries`` (beat, every minute) copies each queued email's result (sent, failed, its retries and
  last error) onto its delivery; the first email of a send that reaches the mail server counts the send on
  the invoice (``services.record_send``: delivery status ``sent``), and the end of a send is audited with
  the result per contact.

The one window for a duplicate is the email queue's: a crash between the mail server's acceptance and
post_office's record of it; the fixed Message-ID lets mail programs drop the second copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from post_office.models import STATUS, Attachment
from post_office.settings import get_message_id_fqdn
from post_office.utils import create_attachments

from billing import exports, services
from billing.models import Invoice, InvoiceDelivery, InvoiceSend
from billing.services import BillingError
from billing.statements import statement_pdf
from portal import audit
from portal.emails import send_templated_email
from portal.models import BillingContact
from portal.money import MINOR_UNITS, round_money
from tariffs.rules import Period

MAX_ATTEMPTS = 5  # a send whose task keeps dying gives up (visibly) instead of looping


# --- requests -----------------------------------------------------------------------------------------------


def send_invoice(
    *, invoice: Invoice, by=None, trigger: str = InvoiceSend.Trigger.MANUAL, now: datetime | None = None
) -> InvoiceSend:
    """Queue the emailing of an issued invoice to every billing contact of its seller. Refuses a draft, an
    invoice whose send is still being prepared, and a seller without a billing contact."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Invoice.objects.select_for_update(of=("self",)).select_related("seller").get(pk=invoice.pk)
        if locked.status != Invoice.Status.ISSUED:
            raise BillingError(
                _("Only an issued invoice can be sent; %(invoice)s is a draft.") % {"invoice": locked}
            )
        if InvoiceSend.objects.filter(invoice=locked, status=InvoiceSend.Status.PREPARING).exists():
            raise BillingError(
                _("The emails of invoice %(number)s are being prepared already.") % {"number": locked.number}
            )
        recipients = list(locked.seller.billing_contacts.order_by("pk").values_list("email", flat=True))
        if not recipients:
            raise BillingError(
                _("%(seller)s has no billing contact: invoice %(number)s cannot be emailed.")
                % {"seller": locked.seller.name, "number": locked.number}
            )
        send = InvoiceSend.objects.create(
            invoice=locked, trigger=trigger, requested_by=_user(by), requested_at=now
        )
        audit.record(
            "invoice.send_requested",
            locked,
            by=by,
            data={"request": send.pk, "trigger": trigger, "to": recipients},
            now=now,
        )
        transaction.on_commit(lambda: queue_delivery(send.pk), robust=True)
    return send


def send_at_issue(*, invoice: Invoice, by=None, now: datetime | None = None) -> InvoiceSend | None:
    """Called by ``services.issue_invoice`` in its transaction: a seller who opted in gets the invoice by
    email as soon as it is issued (the task starts after the issue commits). A seller without a billing
    contact gets nothing (and the issue is not refused)."""
    if not invoice.seller.auto_send_invoices or not invoice.seller.billing_contacts.exists():
        return None
    return send_invoice(invoice=invoice, by=by, trigger=InvoiceSend.Trigger.ISSUE, now=now)


@dataclass(frozen=True)
class MonthSend:
    sends: list[InvoiceSend]
    skipped: list[tuple[Invoice, str]]  # (invoice, why)


def send_month(
    *, period: Period, operator=None, by=None, resend: bool = False, now: datetime | None = None
) -> MonthSend:
    """Send every issued invoice of a month (of one operator, if given) that has not been sent yet
    (``resend=True``: every issued invoice again). Each invoice is its own transaction."""
    invoices = Invoice.objects.filter(period=period.first_day, status=Invoice.Status.ISSUED)
    if operator is not None:
        invoices = invoices.filter(operator=operator)
    sends, skipped = [], []
    for invoice in invoices.select_related("seller").order_by("number"):
        if not resend and invoice.delivery_status == Invoice.Delivery.SENT:
            skipped.append((invoice, _("already sent")))
            continue
        try:
            sends.append(send_invoice(invoice=invoice, by=by, trigger=InvoiceSend.Trigger.MONTH, now=now))
        except BillingError as exc:
            skipped.append((invoice, exc.messages[0]))
    return MonthSend(sends=sends, skipped=skipped)


def queue_delivery(send_id: int) -> None:
    """Queue the send's task (after commit). With the broker down the send waits for the sweep of
    ``requeue_stuck_sends``."""
    from billing.tasks import deliver_invoice_send_task

    InvoiceSend.objects.filter(pk=send_id).update(dispatched_at=timezone.now())
    deliver_invoice_send_task.delay(send_id)


# --- the worker's part --------------------------------------------------------------------------------------


def message_id_for(invoice: Invoice, contact: BillingContact) -> str:
    """The Message-ID of the invoice's email to a contact: the same for every send and retry."""
    number = re.sub(r"[^A-Za-z0-9.-]", "-", invoice.number or f"draft-{invoice.pk}")
    return f"<{number}.contact-{contact.pk}@{get_message_id_fqdn()}>"


def invoice_url(invoice: Invoice) -> str:
    return settings.PORTAL_BASE_URL + reverse("billing:invoice-detail", args=[invoice.pk])


def deliver_send(*, send_id: int, task_id: str = "", now: datetime | None = None) -> int:
    """Queue one email per billing contact of the send's seller; returns how many were queued now (0 when
    a previous run queued them). Contacts that already have their delivery in this send are skipped."""
    now = now or timezone.now()
    with transaction.atomic():
        send = InvoiceSend.objects.select_for_update().filter(pk=send_id).first()
        if send is None or send.status != InvoiceSend.Status.PREPARING:
            return 0
        send.attempts += 1
        send.task_id = task_id or send.task_id
        if send.attempts > MAX_ATTEMPTS:
            send.status = InvoiceSend.Status.GAVE_UP
            send.problem = f"gave up after {send.attempts - 1} attempts"
            send.finished_at = now
            send.save(update_fields=["attempts", "task_id", "status", "problem", "finished_at"])
            audit.record(
                "invoice.send_failed",
                send.invoice,
                task_id=task_id,
                data={"request": send.pk, "problem": send.problem},
                now=now,
            )
            return 0
        send.save(update_fields=["attempts", "task_id"])
    invoice = Invoice.objects.select_related(
        "seller", "operator", "service_line", "warehouse", "rate_card", "rate_card_version"
    ).get(pk=send.invoice_id)
    attachments: dict[str, list[Attachment]] = {}  # per language: rendered once, shared by its contacts
    queued = 0
    for contact in invoice.seller.billing_contacts.order_by("pk"):
        with transaction.atomic():
            locked = InvoiceSend.objects.select_for_update().get(pk=send_id)
            if locked.status != InvoiceSend.Status.PREPARING:
                return queued
            if InvoiceDelivery.objects.filter(send=locked, contact=contact).exists():
                continue  # queued by an earlier run of this task
            if contact.language not in attachments:
                attachments[contact.language] = create_attachments(invoice_files(invoice, contact.language))
            message_id = message_id_for(invoice, contact)
            email = send_templated_email(
                to=[contact.email],
                template="invoice",
                context=email_context(invoice, contact),
                language=contact.language,
                attachments=attachments[contact.language],
                message_id=message_id,
            )
            InvoiceDelivery.objects.create(
                send=locked,
                invoice=invoice,
                contact=contact,
                email=contact.email,
                name=contact.name,
                language=contact.language,
                message_id=message_id,
                email_message=email,
                queued_at=now,
            )
            queued += 1
    with transaction.atomic():
        locked = InvoiceSend.objects.select_for_update().get(pk=send_id)
        if locked.status == InvoiceSend.Status.PREPARING:
            locked.status = InvoiceSend.Status.QUEUED
            locked.queued_at = now
            locked.save(update_fields=["status", "queued_at"])
            audit.record(
                "invoice.send_queued",
                invoice,
                task_id=task_id,
                data={
                    "request": locked.pk,
                    "to": list(locked.deliveries.order_by("pk").values_list("email", flat=True)),
                },
                now=now,
            )
    return queued


def invoice_files(invoice: Invoice, language: str) -> dict:
    """The attachments of the invoice's email in ``language``: statement PDF, detail CSV and XLSX."""
    pdf_name, pdf = statement_pdf(invoice, language)
    with translation.override(language):
        csv, xlsx = exports.detail_csv(invoice), exports.detail_xlsx(invoice)
    return {
        pdf_name: {"file": _content(pdf), "mimetype": "application/pdf"},
        exports.detail_filename(invoice, "csv"): {"file": _content(csv), "mimetype": "text/csv"},
        exports.detail_filename(invoice, "xlsx"): {"file": _content(xlsx), "mimetype": exports.XLSX_TYPE},
    }


def _content(data: bytes):
    from django.core.files.base import ContentFile

    return ContentFile(data)


def email_context(invoice: Invoice, contact: BillingContact) -> dict:
    """What the invoice email shows, amounts and dates in the contact's language (``CNY 1,234.56``,
    ``VND 1.234.567``; GLOSSARY)."""
    digits = MINOR_UNITS.get(invoice.currency, 2)
    with translation.override(contact.language):
        total = number_format(
            round_money(invoice.total, invoice.currency), digits, use_l10n=True, force_grouping=True
        )
        issue_date = date_format(invoice.issue_date, "DATE_FORMAT") if invoice.issue_date else ""
        due_date = date_format(invoice.due_date, "DATE_FORMAT") if invoice.due_date else ""
    return {
        "invoice": invoice,
        "contact": contact,
        "seller": invoice.seller,
        "operator": invoice.operator,
        "number": invoice.number,
        "period": f"{invoice.period:%Y-%m}",
        "total": f"{invoice.currency} {total}",
        "issue_date": issue_date,
        "due_date": due_date,
        "url": invoice_url(invoice),
    }


# --- results ------------------------------------------------------------------------------------------------

RESULTS = {STATUS.sent: InvoiceDelivery.Status.SENT, STATUS.failed: InvoiceDelivery.Status.FAILED}


def sync_deliveries(*, now: datetime | None = None) -> int:
    """Copy the email queue's result onto each queued delivery; count and audit the sends they belong to.
    Returns how many deliveries changed. Idempotent (beat runs it every minute)."""
    now = now or timezone.now()
    changed_sends: set[int] = set()
    changed = 0
    with transaction.atomic():
        queued = (
            InvoiceDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=InvoiceDelivery.Status.QUEUED)
            .select_related("email_message")
            .order_by("pk")
        )
        for delivery in queued:
            email = delivery.email_message
            if email is None:
                delivery.status = InvoiceDelivery.Status.FAILED
                delivery.last_error = "the queued email was deleted before it was sent"
            else:
                failures = email.logs.filter(status=STATUS.failed).order_by("-date")
                last_error = failures.values_list("message", flat=True).first() or ""
                delivery.status = RESULTS.get(email.status, InvoiceDelivery.Status.QUEUED)
                if delivery.status == InvoiceDelivery.Status.SENT:
                    sent = email.logs.filter(status=STATUS.sent).aggregate(at=Max("date"))["at"]
                    delivery.sent_at = sent or email.last_updated
                unchanged = (
                    delivery.status == InvoiceDelivery.Status.QUEUED
                    and delivery.retries == (email.number_of_retries or 0)
                    and delivery.last_error == last_error
                )
                if unchanged:
                    continue
                delivery.retries = email.number_of_retries or 0
                delivery.last_error = last_error
            delivery.save(update_fields=["status", "sent_at", "retries", "last_error"])
            changed_sends.add(delivery.send_id)
            changed += 1
    # Sends whose emails were all settled while the task was still queuing them finish now.
    settled = InvoiceSend.objects.filter(status=InvoiceSend.Status.QUEUED).exclude(
        deliveries__status=InvoiceDelivery.Status.QUEUED
    )
    changed_sends.update(settled.values_list("pk", flat=True))
    for send_id in sorted(changed_sends):
        _record_outcome(send_id, now=now)
    return changed


def _record_outcome(send_id: int, *, now: datetime) -> None:
    """The send's first email that reached the mail server counts the send on the invoice (who asked, when it
    went); once every email is sent or failed, the send is finished and its result per contact audited."""
    invoice_id = InvoiceSend.objects.values_list("invoice_id", flat=True).get(pk=send_id)
    with transaction.atomic():
        Invoice.objects.select_for_update().get(pk=invoice_id)  # the invoice first, as the services lock
        send = (
            InvoiceSend.objects.select_for_update(of=("self",)).select_related("requested_by").get(pk=send_id)
        )
        deliveries = list(send.deliveries.order_by("pk"))
        sent = [d for d in deliveries if d.status == InvoiceDelivery.Status.SENT]
        if sent and send.recorded_at is None:
            first = min(d.sent_at or now for d in sent)
            services.record_send(
                invoice=send.invoice,
                by=send.requested_by,
                now=first,
                data={"request": send.pk, "trigger": send.trigger, "to": [d.email for d in sent]},
            )
            send.recorded_at = now
            send.save(update_fields=["recorded_at"])
        pending = any(d.status == InvoiceDelivery.Status.QUEUED for d in deliveries)
        if send.status == InvoiceSend.Status.QUEUED and not pending:
            send.status = InvoiceSend.Status.FINISHED
            send.finished_at = now
            send.save(update_fields=["status", "finished_at"])
            failed = [d for d in deliveries if d.status == InvoiceDelivery.Status.FAILED]
            audit.record(
                "invoice.send_failed" if failed and not sent else "invoice.send_finished",
                send.invoice,
                by=send.requested_by,
                data={
                    "request": send.pk,
                    "results": [
                        {
                            "to": d.email,
                            "result": d.status,
                            **({"error": d.last_error} if d.last_error else {}),
                        }
                        for d in deliveries
                    ],
                },
                now=now,
            )


def requeue_stuck_sends(*, older_than_minutes: int = 30, now: datetime | None = None) -> int:
    """Sends whose task never started (the broker was down after the commit): queue it again, at most once
    per ``older_than_minutes`` (a busy queue is not flooded; the task is idempotent anyway). A task whose
    worker died is redelivered by the broker (``acks_late``) and counted in ``attempts``."""
    now = now or timezone.now()
    cutoff = now - timezone.timedelta(minutes=older_than_minutes)
    stuck = InvoiceSend.objects.filter(
        Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=cutoff),
        status=InvoiceSend.Status.PREPARING,
        attempts=0,
        requested_at__lt=cutoff,
    )
    count = 0
    for send_id in stuck.values_list("pk", flat=True):
        queue_delivery(send_id)
        count += 1
    return count


def _user(by):
    return by if (by is not None and getattr(by, "is_authenticated", False)) else None
