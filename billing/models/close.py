"""Close runs (SPEC §9): one per seller and month, recording how far the close of that month got, what it
wrote, and why it could not compute an invoice (listed for ops)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Seller


class CloseRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("could not compute")

    seller = models.ForeignKey(
        Seller, on_delete=models.CASCADE, related_name="close_runs", verbose_name=_("seller")
    )
    period = models.DateField(_("month"), help_text=_("The first day of the month."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    task_id = models.CharField(_("task"), max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    drafts_written = models.PositiveIntegerField(_("drafts written"), default=0)
    drafts_unchanged = models.PositiveIntegerField(_("drafts unchanged"), default=0)
    # Why an invoice of the seller's month could not be computed: [{"service_line", "message", "text"}].
    problems = models.JSONField(_("problems"), default=list, blank=True)

    class Meta:
        verbose_name = _("close run")
        verbose_name_plural = _("close runs")
        ordering = ["-period", "seller"]
        constraints = [
            models.UniqueConstraint(fields=["seller", "period"], name="close_run_once_per_seller_month"),
            models.CheckConstraint(condition=models.Q(period__day=1), name="close_run_period_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.seller_id and self.seller.code} {self.period:%Y-%m}"
