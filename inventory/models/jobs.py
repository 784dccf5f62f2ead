"""Exports too large for a request (issue 10)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def export_upload_path(instance, filename: str) -> str:
    return f"exports/{instance.seller_id}/{filename}"


class ExportJob(models.Model):
    """An export too large to build inside a request (ledger rows, SKUs): written to a file on a worker,
    with progress, then downloaded by its seller (issue 10)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Writing rows")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    seller = models.ForeignKey(
        "portal.Seller", on_delete=models.CASCADE, related_name="export_jobs", verbose_name=_("seller")
    )
    kind = models.CharField(_("export"), max_length=40, help_text=_("ledger:<kind> or skus"))
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    file_format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to=export_upload_path, blank=True)
    file_name = models.CharField(_("file name"), max_length=120, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} ({self.file_format})"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.READY:
            return 100
        if not self.row_count:
            return 0
        return min(99, int(100 * self.rows_done / self.row_count))

    @property
    def running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
