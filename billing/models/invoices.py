"""Invoices and their lines (SPEC §9): one invoice per seller, contract (service line) and month, written as
a draft by the close and issued by finance; supplementary invoices reference the one they complete.

An issued invoice's content (number, dates, parties, version, lines, amounts) never changes: ``save`` refuses
it here, and on PostgreSQL triggers refuse a raw UPDATE or DELETE too. Only the delivery and payment
services (``billing.services``) change the status fields, through ``save(update_fields=...)`` of those fields.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.models.triggers import issued_document_triggers, issued_lines_trigger
from portal.models import Operator, Seller, ServiceLine, Warehouse
from tariffs.models import Contract, FeeRule, RateCard, RateCardVersion

MONEY = {"max_digits": 20, "decimal_places": 4}


# What the services for delivery and payment may change on an issued invoice (its PDFs are StatementFiles).
INVOICE_STATUS_FIELDS = frozenset(
    {
        "delivery_status",
        "sent_count",
        "last_sent_at",
        "payment_status",
        "amount_paid",
        "amount_credited",
    }
)


class IssuedDocumentError(ValidationError):
    """A change to an issued document (its content is immutable; corrections are credit notes)."""


class IssuedDocument:
    """What an issued document refuses in the model layer (its triggers refuse the same in PostgreSQL): a
    change of anything but its ``STATUS_FIELDS`` (saved through ``update_fields``), and a delete. A mixin
    of ``Invoice`` and ``CreditNote``; ``changed_message`` and ``deleted_message`` name the document."""

    STATUS_FIELDS: frozenset[str] = frozenset()
    changed_message = _("Document %(number)s is issued: its content cannot change.")
    deleted_message = _("An issued document cannot be deleted.")

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            stored = type(self).objects.filter(pk=self.pk).values("status").first()
            if stored and stored["status"] == "issued":
                update_fields = kwargs.get("update_fields")
                if update_fields is None or not set(update_fields) <= self.STATUS_FIELDS:
                    raise IssuedDocumentError(self.changed_message % {"number": self.number})
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status == "issued" or (
            self.pk and type(self).objects.filter(pk=self.pk, status="issued").exists()
        ):
            raise IssuedDocumentError(self.deleted_message)
        return super().delete(*args, **kwargs)

    @property
    def is_issued(self) -> bool:
        return self.status == "issued"


class IssuedDocumentLine:
    """A line of a document (its ``document_field``) that cannot be added, changed or deleted once the
    document is issued."""

    document_field = ""
    changed_message = _("The lines of an issued document cannot change.")

    def save(self, *args, **kwargs):
        if self._document_issued():
            raise IssuedDocumentError(self.changed_message)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._document_issued():
            raise IssuedDocumentError(self.changed_message)
        return super().delete(*args, **kwargs)

    def _document_issued(self) -> bool:
        document_id = getattr(self, f"{self.document_field}_id")
        model = self._meta.get_field(self.document_field).related_model
        return bool(document_id) and model.objects.filter(pk=document_id, status="issued").exists()


class Invoice(IssuedDocument, models.Model):
    class Kind(models.TextChoices):
        REGULAR = "regular", _("invoice")
        SUPPLEMENTARY = "supplementary", _("supplementary invoice")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ISSUED = "issued", _("issued")

    class Delivery(models.TextChoices):
        NOT_SENT = "not_sent", _("not sent")
        SENT = "sent", _("sent")

    class Payment(models.TextChoices):
        UNPAID = "unpaid", _("unpaid")
        PARTIALLY_PAID = "partially_paid", _("partially paid")
        PAID = "paid", _("paid")
        OVERDUE = "overdue", _("overdue")

    STATUS_FIELDS = INVOICE_STATUS_FIELDS
    changed_message = _("Invoice %(number)s is issued: its content cannot change.")
    deleted_message = _("An issued invoice cannot be deleted.")

    operator = models.ForeignKey(
        Operator, on_delete=models.PROTECT, related_name="+", verbose_name=_("operator")
    )
    seller = models.ForeignKey(
        Seller, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("seller")
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="+", verbose_name=_("warehouse")
    )
    service_line = models.ForeignKey(
        ServiceLine, on_delete=models.PROTECT, related_name="+", verbose_name=_("service line")
    )
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="+", verbose_name=_("contract")
    )
    rate_card = models.ForeignKey(
        RateCard, on_delete=models.PROTECT, related_name="+", verbose_name=_("rate card")
    )
    rate_card_version = models.ForeignKey(
        RateCardVersion, on_delete=models.PROTECT, related_name="+", verbose_name=_("rate card version")
    )
    period = models.DateField(_("month"), help_text=_("The first day of the billed month."))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.REGULAR)
    original = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supplements",
        verbose_name=_("original invoice"),
        help_text=_("The invoice a supplementary invoice completes."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    is_stale = models.BooleanField(
        _("stale"),
        default=False,
        help_text=_(
            "Warehouse rows of the month changed after this draft was computed: close the month again."
        ),
    )
    currency = models.CharField(_("currency"), max_length=3)
    customer_class = models.CharField(_("customer class"), max_length=10)
    subtotal = models.DecimalField(_("subtotal"), **MONEY, default=Decimal(0))
    service_tax = models.DecimalField(_("service tax"), **MONEY, default=Decimal(0))
    total = models.DecimalField(_("total"), **MONEY, default=Decimal(0))
    sections = models.JSONField(_("sections"), default=dict, blank=True)  # section -> amount (decimal string)
    tax_breakdown = models.JSONField(_("tax per rate"), default=list, blank=True)  # [{rate, taxable, tax}]
    not_billed = models.JSONField(_("not billed by this card"), default=list, blank=True)  # ledger kinds
    findings = models.JSONField(_("findings"), default=list, blank=True)  # consistency checks (SPEC §10)
    findings_total = models.PositiveIntegerField(_("findings in all"), default=0)
    # A digest of what the draft was computed from (rows in force, version, contract) and of what it says:
    # a close that finds both unchanged writes nothing.
    inputs_digest = models.CharField(max_length=64, blank=True, editable=False)
    content_digest = models.CharField(max_length=64, blank=True, editable=False)
    computed_at = models.DateTimeField(_("computed"), null=True, blank=True)
    # Issue (SPEC §9): a gap-free number per operator and year.
    number = models.CharField(_("number"), max_length=40, null=True, blank=True, unique=True)
    number_year = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    number_sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("issued by"),
    )
    # Status fields (changed after issue by the delivery and payment services only).
    delivery_status = models.CharField(
        _("delivery"), max_length=10, choices=Delivery.choices, default=Delivery.NOT_SENT
    )
    sent_count = models.PositiveIntegerField(_("sends"), default=0)
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    payment_status = models.CharField(
        _("payment"), max_length=16, choices=Payment.choices, default=Payment.UNPAID
    )
    amount_paid = models.DecimalField(_("paid"), **MONEY, default=Decimal(0))
    # The issued credit notes of the invoice, in all (what is owed is total - credited - paid).
    amount_credited = models.DecimalField(_("credited"), **MONEY, default=Decimal(0))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-period", "seller", "service_line", "id"]
        permissions = [
            ("issue_invoice", _("Can issue invoices")),
            ("send_invoice", _("Can send invoices")),
            ("close_invoice", _("Can close months (write and replace drafts)")),
        ]
        constraints = [
            # SPEC §9: one invoice per seller, contract and month (supplementary invoices come on top).
            models.UniqueConstraint(
                fields=["contract", "period"],
                condition=models.Q(kind="regular"),
                name="invoice_once_per_contract_month",
            ),
            models.UniqueConstraint(
                fields=["operator", "number_year", "number_sequence"],
                condition=models.Q(number_sequence__isnull=False),
                name="invoice_number_once_per_operator_year",
            ),
            models.CheckConstraint(condition=models.Q(period__day=1), name="invoice_period_first_day"),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(number__isnull=False, issue_date__isnull=False),
                name="invoice_issued_has_number",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="regular", original__isnull=True)
                | models.Q(kind="supplementary", original__isnull=False),
                name="invoice_supplement_has_original",
            ),
        ]
        indexes = [
            models.Index(fields=["seller", "period"], name="invoice_by_seller_month"),
            models.Index(fields=["status", "payment_status", "due_date"], name="invoice_open_by_due"),
        ]
        triggers = issued_document_triggers("invoice", INVOICE_STATUS_FIELDS)

    def __str__(self) -> str:
        label = self.number or f"draft #{self.pk}"
        return f"{label} · {self.seller_id and self.seller.code} {self.period:%Y-%m}"

    @property
    def balance(self) -> Decimal:
        """What the seller still owes: the total less its credit notes and the payments allocated to it."""
        return self.total - self.amount_credited - self.amount_paid


class InvoiceLine(IssuedDocumentLine, models.Model):
    """One charge of an invoice: the engine's line with its formula, the rule and version that priced it, and
    the ledger rows behind it (``source_refs``: row primary keys, or ``{"kind", "item_id"}`` for an item's
    month of stock rows; ``billing.selectors.rows_of_line`` turns them back into rows)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(_("position"))
    code = models.CharField(_("code"), max_length=60)
    section = models.CharField(_("section"), max_length=20)
    description = models.CharField(_("description"), max_length=500)  # English; ``description_text`` renders
    description_text = models.JSONField(null=True, blank=True)  # {"id", "params"} (tariffs.messages)
    quantity = models.DecimalField(_("quantity"), max_digits=24, decimal_places=9)
    unit = models.CharField(_("unit"), max_length=30)
    unit_price = models.DecimalField(_("unit price"), max_digits=24, decimal_places=9, null=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    formula = models.TextField(_("formula"))
    formula_text = models.JSONField(null=True, blank=True)
    rule = models.ForeignKey(
        FeeRule, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("rule")
    )
    rule_kind = models.CharField(_("rule kind"), max_length=40, blank=True)
    ledger = models.CharField(_("ledger"), max_length=20, blank=True)  # the ledger kind of its source rows
    inputs = models.JSONField(default=dict, blank=True)
    source_refs = models.JSONField(default=list, blank=True)
    rows_count = models.PositiveIntegerField(_("ledger rows"), default=0)

    document_field = "invoice"
    changed_message = _("The lines of an issued invoice cannot change.")

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position_once")
        ]
        triggers = [issued_lines_trigger("invoice_line", "billing_invoice", "invoice_id")]

    def __str__(self) -> str:
        return f"{self.code} {self.amount}"
