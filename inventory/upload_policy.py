"""What a seller may keep stored, and for how long (issue 10, finding 4).

- Quota: the bytes of a seller's stored uploads (its own ledger files, SKU import files, certificate
  files) may not pass ``SELLER_UPLOAD_QUOTA_BYTES`` or the seller's ``upload_quota_bytes``. The
  warehouse's (ops) ledger uploads do not count. Files deleted by the retention free their bytes.
- Retention: refused uploads (ledger files refused, SKU imports refused) lose their stored file after
  ``REFUSED_UPLOAD_RETENTION_DAYS``; the row, its message and its error report stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import Certificate, LedgerFile, SkuImportJob
from portal.models import Seller
from portal.uploads import size_text


class QuotaExceeded(Exception):
    """The upload would take the seller over its quota; the message says how much is used and the limit."""


def seller_quota(seller: Seller) -> int:
    if seller.upload_quota_bytes is not None:
        return seller.upload_quota_bytes
    return settings.SELLER_UPLOAD_QUOTA_BYTES


def seller_upload_usage(seller: Seller) -> int:
    """Bytes of the seller's stored uploads that count against its quota."""
    ledgers = (
        LedgerFile.objects.filter(seller=seller, source=LedgerFile.Source.SELLER)
        .exclude(file="")
        .aggregate(total=Sum("size"))["total"]
    )
    imports = (
        SkuImportJob.objects.filter(seller=seller).exclude(file="").aggregate(total=Sum("size"))["total"]
    )
    certificates = 0
    for certificate in Certificate.objects.filter(sku__seller=seller).exclude(file=""):
        try:
            certificates += certificate.file.size
        except FileNotFoundError:  # a missing file takes no room
            continue
    return (ledgers or 0) + (imports or 0) + certificates


def check_upload_quota(seller: Seller, size: int) -> None:
    """Refuse (QuotaExceeded) an upload of ``size`` bytes that would pass the seller's quota."""
    quota = seller_quota(seller)
    used = seller_upload_usage(seller)
    if used + size > quota:
        raise QuotaExceeded(
            _(
                "Your stored uploads already use %(used)s of your %(quota)s quota; this file (%(size)s) "
                "would go over it. Delete old certificates or ask us to raise the quota."
            )
            % {"used": size_text(used), "quota": size_text(quota), "size": size_text(size)}
        )


@dataclass(frozen=True)
class PurgeResult:
    ledger_files: int
    sku_imports: int

    @property
    def total(self) -> int:
        return self.ledger_files + self.sku_imports


def purge_refused_uploads(*, now: datetime | None = None, days: int | None = None) -> PurgeResult:
    """Delete the stored file of every refused upload older than the retention (the rows stay).
    Running it again deletes nothing more: a purged row has no file name left."""
    now = now or timezone.now()
    days = settings.REFUSED_UPLOAD_RETENTION_DAYS if days is None else days
    cutoff = now - timedelta(days=days)
    note = _("The stored file was deleted after %(days)s days (refused uploads are not kept).") % {
        "days": days
    }
    ledger_count = 0
    ledger_ids = list(
        LedgerFile.objects.filter(status=LedgerFile.Status.FAILED, finished_at__lt=cutoff)
        .exclude(file="")
        .values_list("pk", flat=True)
    )
    for pk in ledger_ids:
        with transaction.atomic():
            ledger_file = LedgerFile.objects.select_for_update().filter(pk=pk).exclude(file="").first()
            if ledger_file is None or ledger_file.status != LedgerFile.Status.FAILED:
                continue
            _delete_after_commit(ledger_file.file)
            ledger_file.file.name = ""
            ledger_file.message = f"{ledger_file.message} {note}".strip()
            ledger_file.save(update_fields=["file", "message"])
            ledger_count += 1
    job_count = 0
    job_ids = list(
        SkuImportJob.objects.filter(status=SkuImportJob.Status.REFUSED, finished_at__lt=cutoff)
        .exclude(file="")
        .values_list("pk", flat=True)
    )
    for pk in job_ids:
        with transaction.atomic():
            job = SkuImportJob.objects.select_for_update().filter(pk=pk).exclude(file="").first()
            if job is None or job.status != SkuImportJob.Status.REFUSED:
                continue
            _delete_after_commit(job.file)
            job.file.name = ""
            job.file_deleted_at = now
            job.save(update_fields=["file", "file_deleted_at"])
            job_count += 1
    return PurgeResult(ledger_count, job_count)


def _delete_after_commit(field_file) -> None:
    storage, name = field_file.storage, field_file.name
    transaction.on_commit(lambda: storage.delete(name))
