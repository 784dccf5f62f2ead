"""Sending invoices by email (SPEC §9 Send; issue 13): each request to send an invoice (``InvoiceSend``) and
one delivery per billing contact (``InvoiceDelivery``), written in the transaction that queues its email, so
a send task that runs twice queues nothing new. The result of each delivery follows the email queue
(``billing.sending.sync_deliveries``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from post_office.models import Email

from billing.models.invoices import Invoice
from portal.choices import Language
from portal.models import BillingContact


class InvoiceSend(models.Model):
    """One request to email an invoice to the seller's billing contacts: by finance (one invoice or a
    month's), or at issue for a seller who opted in. At most one is being prepared per invoice."""

    class Trigger(models.TextChoices):
        MANUAL = "manual", _("sent by finance")
        MONTH = "month", _("sent with the month")
        ISSUE = "issue", _("sent at issue")

    class Status(models.TextChoices):
        PREPARING = "preparing", _("preparing the emails")
        QUEUED = "queued", _("emails queued")
        FINISHED = "finished", _("every email sent or failed")
        GAVE_UP = "gave_up", _("could not be prepared")

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="sends", verbose_name=_("invoice")
    )
    trigger = models.CharField(_("how"), max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PREPARING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    task_id = models.CharField(_("task"), max_length=64, blank=True)
    dispatched_at = models.DateTimeField(_("task queued"), null=True, blank=True)
    queued_at = models.DateTimeField(_("emails queued"), null=True, blank=True)
    # When the first email of this send reached the mail server and the send was counted on the invoice.
    recorded_at = models.DateTimeField(_("counted on the invoice"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    problem = models.TextField(_("problem"), blank=True)

    class Meta:
        verbose_name = _("invoice send")
        verbose_name_plural = _("invoice sends")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"],
                condition=models.Q(status="preparing"),
                name="invoice_send_one_preparing_per_invoice",
            )
        ]

    def __str__(self) -> str:
        return f"{self.invoice} · {self.requested_at:%Y-%m-%d %H:%M}"


class InvoiceDelivery(models.Model):
    """One email of a send to one billing contact (the contact's address, name and language are copied: a
    contact changed or removed later does not change what was sent). Unique per send and contact."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    send = models.ForeignKey(
        InvoiceSend, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("send")
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("invoice")
    )
    contact = models.ForeignKey(
        BillingContact,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
        verbose_name=_("billing contact"),
    )
    email = models.EmailField(_("email address"), max_length=254)
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices)
    message_id = models.CharField("Message-ID", max_length=255)
    # The queued message (post_office deletes old mail after EMAIL_RETENTION_DAYS; the result stays here).
    email_message = models.ForeignKey(
        Email,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("queued email"),
    )
    status = models.CharField(_("result"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    retries = models.PositiveSmallIntegerField(_("retries"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    queued_at = models.DateTimeField(_("queued"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice delivery")
        verbose_name_plural = _("invoice deliveries")
        ordering = ["-queued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["send", "contact"], name="invoice_delivery_once_per_send_and_contact"
            )
        ]
        indexes = [models.Index(fields=["status", "queued_at"], name="invoice_delivery_by_status")]

    def __str__(self) -> str:
        return f"{self.invoice} → {self.email}"
