"""A seller's billing figures computed by a worker and read by the pages (issue 12): the month-to-date
preview (the engine over the rows stored so far this month) and the stored volume of the last 90 days."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Seller


class SellerFigures(models.Model):
    class Key(models.TextChoices):
        MONTH_TO_DATE = "month_to_date", _("month-to-date preview")
        STORED_VOLUME = "stored_volume", _("stored volume, last 90 days")

    class Status(models.TextChoices):
        QUEUED = "queued", _("being computed")
        FRESH = "fresh", _("up to date")
        FAILED = "failed", _("failed")

    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="+", verbose_name=_("seller"))
    key = models.CharField(_("figures"), max_length=20, choices=Key.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    data = models.JSONField(_("data"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("computed"), null=True, blank=True)
    requested_at = models.DateTimeField(_("requested"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("seller figures")
        verbose_name_plural = _("seller figures")
        constraints = [models.UniqueConstraint(fields=["seller", "key"], name="seller_figures_once")]

    def __str__(self) -> str:
        return f"{self.seller_id} {self.key}"
