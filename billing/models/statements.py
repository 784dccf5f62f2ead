"""The stored PDF of an issued invoice's statement or of a credit note, one per document and language
(SPEC §11; issue 13): rendered once on a worker (``billing.statements.render_statement_file``), then served
as a file by the seller's page and attached by the sending."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.models.credit import CreditNote
from billing.models.invoices import Invoice


class StatementFile(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RENDERING = "rendering", _("Rendering")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    invoice = models.ForeignKey(
        Invoice,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="statement_files",
        verbose_name=_("invoice"),
    )
    credit_note = models.ForeignKey(
        CreditNote,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="statement_files",
        verbose_name=_("credit note"),
    )
    language = models.CharField(_("language"), max_length=10)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    file = models.FileField(_("file"), upload_to="statements/%Y/%m/", blank=True)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("statement PDF")
        verbose_name_plural = _("statement PDFs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(invoice__isnull=False, credit_note__isnull=True)
                | models.Q(invoice__isnull=True, credit_note__isnull=False),
                name="statement_file_of_one_document",
            ),
            models.UniqueConstraint(
                fields=["invoice", "language"],
                condition=models.Q(invoice__isnull=False),
                name="statement_file_once_per_invoice_language",
            ),
            models.UniqueConstraint(
                fields=["credit_note", "language"],
                condition=models.Q(credit_note__isnull=False),
                name="statement_file_once_per_credit_note_language",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} ({self.language})"

    @property
    def document(self) -> Invoice | CreditNote:
        return self.invoice if self.invoice_id else self.credit_note

    @property
    def running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RENDERING)
