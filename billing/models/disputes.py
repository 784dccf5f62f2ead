"""Disputes (SPEC §10, issue 14): a seller (or the system, at issue, from a finding) questions a line of an
issued invoice; a worker recomputes the whole invoice with the seller's figures (the proposal); ops accept it
as a credit note now or as a pending adjustment that the next issued invoice of that seller and line carries,
or reject it with a reason. Both sides write in one thread, with attachments.

Database guarantees: one open dispute per line from the seller, one system dispute per finding of an invoice,
one credit note and one pending adjustment per dispute, and a pending adjustment carried by one invoice only
(``billing.adjustments.carry`` sets ``carried_by`` where it is still null, under the row's lock)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from billing.models.credit import CreditNote
from billing.models.invoices import MONEY, Invoice, InvoiceLine
from portal.models import Seller, ServiceLine


class Dispute(models.Model):
    class Origin(models.TextChoices):
        SELLER = "seller", _("seller")
        SYSTEM = "system", _("system")

    class Reason(models.TextChoices):
        WRONG_QUANTITY = "wrong_quantity", _("wrong quantity")
        WRONG_WEIGHT = "wrong_weight", _("wrong weight")
        WRONG_DAYS = "wrong_days", _("wrong days")
        WRONG_RATE = "wrong_rate", _("wrong rate")
        NOT_OURS = "not_ours", _("not ours")
        OTHER = "other", _("other")

    class State(models.TextChoices):
        # The states' own words (a context: "closed" or "accepted" as a time elsewhere reads otherwise)
        OPEN = "open", pgettext_lazy("dispute state", "open")
        PROPOSED = "proposed", pgettext_lazy("dispute state", "proposed")
        ACCEPTED = "accepted", pgettext_lazy("dispute state", "accepted")
        REJECTED = "rejected", pgettext_lazy("dispute state", "rejected")
        CLOSED = "closed", pgettext_lazy("dispute state", "closed")
        WITHDRAWN = "withdrawn", pgettext_lazy("dispute state", "withdrawn")

    class Decision(models.TextChoices):
        CREDIT_NOTE = "credit_note", _("credit note now")
        PENDING_ADJUSTMENT = "pending_adjustment", _("adjustment on the next invoice")

    # States in which a dispute is still being argued (the seller's one-per-line constraint counts these).
    ACTIVE_STATES = (State.OPEN, State.PROPOSED)

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="disputes", verbose_name=_("invoice")
    )
    line = models.ForeignKey(
        InvoiceLine,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disputes",
        verbose_name=_("invoice line"),
    )
    seller = models.ForeignKey(
        Seller, on_delete=models.PROTECT, related_name="disputes", verbose_name=_("seller")
    )
    origin = models.CharField(_("opened by"), max_length=10, choices=Origin.choices, default=Origin.SELLER)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("opened by user"),
    )
    # System disputes: what they came from ({"kind": finding kind or "receiving_discrepancy", ...}) and a key
    # that names it within the invoice (one dispute per finding).
    source = models.JSONField(_("source"), default=dict, blank=True)
    source_key = models.CharField(max_length=200, blank=True, editable=False)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    text = models.TextField(_("explanation"), blank=True)
    # What the seller believes is right (SPEC §10); ``reference`` names the item, parcel or ledger reference.
    reference = models.CharField(_("item, order or reference"), max_length=100, blank=True)
    claimed_quantity = models.DecimalField(
        _("claimed quantity"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    claimed_weight_kg = models.DecimalField(
        _("claimed weight (kg)"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    claimed_day_from = models.DateField(_("from day"), null=True, blank=True)
    claimed_day_to = models.DateField(_("to day"), null=True, blank=True)
    claimed_amount = models.DecimalField(_("claimed amount"), **MONEY, null=True, blank=True)
    seller_figures = models.JSONField(_("seller's figures"), default=dict, blank=True)
    # The figures the recomputation puts in place of the disputed ones (``billing.disputes.corrections_of``).
    corrections = models.JSONField(default=list, blank=True, editable=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    # The proposal: the whole invoice recomputed with the seller's figures (same rate card version).
    line_amount = models.DecimalField(_("line as invoiced"), **MONEY, null=True, blank=True)
    proposed_line_amount = models.DecimalField(_("line as proposed"), **MONEY, null=True, blank=True)
    original_total = models.DecimalField(_("invoice total"), **MONEY, null=True, blank=True)
    proposed_total = models.DecimalField(_("proposed invoice total"), **MONEY, null=True, blank=True)
    difference = models.DecimalField(_("difference"), **MONEY, null=True, blank=True)
    difference_taxable = models.DecimalField(**MONEY, null=True, blank=True, editable=False)
    difference_pass_through = models.DecimalField(**MONEY, null=True, blank=True, editable=False)
    formula = models.TextField(_("formula"), blank=True)
    proposal = models.JSONField(default=dict, blank=True, editable=False)  # details (baseline disputes, ...)
    proposed_at = models.DateTimeField(_("proposed"), null=True, blank=True)
    proposal_error = models.TextField(_("proposal error"), blank=True)
    proposal_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    # The decision.
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    credit_note = models.OneToOneField(
        CreditNote,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dispute",
        verbose_name=_("credit note"),
    )
    opened_at = models.DateTimeField(_("opened"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-opened_at", "-id"]
        permissions = [
            ("decide_dispute", _("Can accept or reject disputes")),
            ("reply_dispute", _("Can write in dispute threads")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["line"],
                condition=models.Q(origin="seller", state__in=["open", "proposed"]),
                name="dispute_one_open_per_line",
            ),
            models.UniqueConstraint(
                fields=["invoice", "source_key"],
                condition=models.Q(origin="system"),
                name="dispute_system_once_per_finding",
            ),
            models.CheckConstraint(
                condition=~models.Q(decision="credit_note") | models.Q(credit_note__isnull=False),
                name="dispute_credit_note_decision_has_note",
            ),
        ]
        indexes = [models.Index(fields=["seller", "state"], name="dispute_by_seller_state")]

    def __str__(self) -> str:
        return f"D-{self.pk} · {self.invoice.number or self.invoice_id}"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    @property
    def is_credit(self) -> bool:
        return self.difference is not None and self.difference < 0

    @property
    def credit_amount(self) -> Decimal:
        return -self.difference if self.is_credit else Decimal(0)


class DisputeMessage(models.Model):
    """One message of a dispute's thread, by the seller's side or the operator's."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    from_seller = models.BooleanField(_("from the seller"))
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("written"))

    seller_lookup = "dispute__seller"

    class Meta:
        verbose_name = _("dispute message")
        verbose_name_plural = _("dispute messages")
        ordering = ["dispute", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.dispute}: {self.body[:40]}"


class DisputeAttachment(models.Model):
    """Evidence attached to a message: checked by ``portal.uploads.validate_document`` before it is stored."""

    message = models.ForeignKey(DisputeMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="dispute-evidence/%Y/%m/")
    name = models.CharField(_("name"), max_length=200)
    mime_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(_("size"))

    seller_lookup = "message__dispute__seller"

    class Meta:
        verbose_name = _("dispute attachment")
        verbose_name_plural = _("dispute attachments")
        ordering = ["message", "id"]

    def __str__(self) -> str:
        return self.name


class PendingAdjustment(models.Model):
    """An accepted dispute's difference that the next issued invoice of the seller and service line carries
    (its ``adjustments`` line, before that invoice's service tax; a pass-through part in its own section)."""

    dispute = models.OneToOneField(
        Dispute, on_delete=models.PROTECT, related_name="pending_adjustment", verbose_name=_("dispute")
    )
    seller = models.ForeignKey(
        Seller, on_delete=models.PROTECT, related_name="pending_adjustments", verbose_name=_("seller")
    )
    service_line = models.ForeignKey(
        ServiceLine, on_delete=models.PROTECT, related_name="+", verbose_name=_("service line")
    )
    currency = models.CharField(_("currency"), max_length=3)
    amount = models.DecimalField(_("amount"), **MONEY)  # signed, as on the line (a credit is negative)
    pass_through_amount = models.DecimalField(_("pass-through amount"), **MONEY, default=Decimal(0))
    after_period = models.DateField(_("after month"))  # the disputed invoice's month: later drafts carry it
    carried_by = models.ForeignKey(
        Invoice,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="carried_adjustments",
        verbose_name=_("carried by"),
    )
    carried_at = models.DateTimeField(_("carried"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("pending adjustment")
        verbose_name_plural = _("pending adjustments")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(carried_by__isnull=True, carried_at__isnull=True)
                | models.Q(carried_by__isnull=False, carried_at__isnull=False),
                name="pending_adjustment_carried_has_date",
            )
        ]
        indexes = [
            models.Index(
                fields=["seller", "service_line"],
                condition=models.Q(carried_by__isnull=True),
                name="pending_adjustment_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dispute}: {self.amount} {self.currency}"
