"""Payments (SPEC §9): money received from a seller in one currency (amount, date, bank reference), allocated
to its open issued invoices (``Allocation``); what is not allocated is the seller's credit balance in that
currency, offered on its next invoice (``billing.services``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.models.invoices import MONEY, Invoice
from portal.models import Seller


class Payment(models.Model):
    seller = models.ForeignKey(
        Seller, on_delete=models.PROTECT, related_name="payments", verbose_name=_("seller")
    )
    currency = models.CharField(_("currency"), max_length=3)
    amount = models.DecimalField(_("amount"), **MONEY)
    received_on = models.DateField(_("received on"))
    bank_reference = models.CharField(_("bank reference"), max_length=100)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive")
        ]
        indexes = [
            models.Index(fields=["seller", "currency", "received_on"], name="payment_by_seller_currency")
        ]

    def __str__(self) -> str:
        return f"{self.seller_id and self.seller.code} {self.amount} {self.currency} {self.received_on}"


class Allocation(models.Model):
    """Part of a payment applied to an invoice (the sum over an invoice is its ``amount_paid``)."""

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("payment")
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("invoice")
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    created_at = models.DateTimeField(_("allocated"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("allocated by"),
    )

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="allocation_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.amount} → {self.invoice}"
