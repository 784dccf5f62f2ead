"""Credit notes (SPEC §9): the correction of an over-billed invoice. A credit note references its invoice, is
in the invoice's currency, has its own gap-free series per operator and year (``CN-…``), and is immutable once
issued, like an invoice (model layer here; PostgreSQL triggers in ``billing.models.triggers``). The issued
credit notes of an invoice never total more than the invoice (``billing.services.issue_credit_note``)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.models.invoices import MONEY, Invoice, IssuedDocument, IssuedDocumentLine
from billing.models.triggers import issued_document_triggers, issued_lines_trigger
from portal.models import Operator, Seller

# Nothing may change on an issued credit note (its PDFs are StatementFiles).
CREDIT_NOTE_STATUS_FIELDS: frozenset[str] = frozenset()


class CreditNote(IssuedDocument, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ISSUED = "issued", _("issued")

    STATUS_FIELDS = CREDIT_NOTE_STATUS_FIELDS
    changed_message = _("Credit note %(number)s is issued: its content cannot change.")
    deleted_message = _("An issued credit note cannot be deleted.")

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="credit_notes", verbose_name=_("invoice")
    )
    operator = models.ForeignKey(
        Operator, on_delete=models.PROTECT, related_name="+", verbose_name=_("operator")
    )
    seller = models.ForeignKey(
        Seller, on_delete=models.PROTECT, related_name="credit_notes", verbose_name=_("seller")
    )
    currency = models.CharField(_("currency"), max_length=3)
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    total = models.DecimalField(_("total"), **MONEY, default=Decimal(0))
    number = models.CharField(_("number"), max_length=40, null=True, blank=True, unique=True)
    number_year = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    number_sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("issued by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        ordering = ["-created_at", "-id"]
        permissions = [("issue_creditnote", _("Can issue credit notes"))]
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "number_year", "number_sequence"],
                condition=models.Q(number_sequence__isnull=False),
                name="credit_note_number_once_per_operator_year",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(number__isnull=False, issue_date__isnull=False),
                name="credit_note_issued_has_number",
            ),
            models.CheckConstraint(condition=models.Q(total__gte=0), name="credit_note_total_not_negative"),
        ]
        triggers = issued_document_triggers("credit_note", CREDIT_NOTE_STATUS_FIELDS)

    def __str__(self) -> str:
        return self.number or f"credit note draft #{self.pk}"


class CreditNoteLine(IssuedDocumentLine, models.Model):
    """One credited amount with its description (optionally the invoice line it corrects)."""

    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(_("position"))
    description = models.CharField(_("description"), max_length=500)
    amount = models.DecimalField(_("amount"), **MONEY)
    invoice_line = models.ForeignKey(
        "billing.InvoiceLine",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("invoice line"),
    )

    document_field = "credit_note"
    changed_message = _("The lines of an issued credit note cannot change.")

    class Meta:
        verbose_name = _("credit note line")
        verbose_name_plural = _("credit note lines")
        ordering = ["credit_note", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_note", "position"], name="credit_note_line_position_once"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="credit_note_line_amount_positive"),
        ]
        triggers = [issued_lines_trigger("credit_note_line", "billing_creditnote", "credit_note_id")]

    def __str__(self) -> str:
        return f"{self.description} {self.amount}"
