"""SKU catalog imports on a worker (SPEC §4, §13; issue 10): the upload is kept as a ``SkuImportJob``,
a Celery task runs ``run_sku_import`` (idempotent), the page polls the job's progress.

Exactly once: the run that stores the SKUs also marks the job finished, in one transaction, after
checking under a row lock that no other run finished it first (a redelivered task waits on the SKU
unique constraint, finds the job done and rolls its own work back).
"""

from __future__ import annotations

import os

from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.catalog.resources import RowProblem, SkuImportResult, import_skus
from inventory.models import SkuImportJob
from inventory.upload_policy import QuotaExceeded, check_upload_quota
from portal.models import Seller
from portal.uploads import size_text, upload_limits

MAX_ATTEMPTS = 3
SHOWN_PROBLEMS = 500


class SkuImportRefused(Exception):
    """The upload is refused before anything is stored (too large, empty, over the quota)."""


def create_sku_import(*, seller: Seller, uploaded, user=None, enqueue: bool = True) -> SkuImportJob:
    """Keep the uploaded file as a queued job and start its import after commit."""
    size = uploaded.size
    limit = upload_limits("sku_import").max_file_bytes
    if size > limit:
        raise SkuImportRefused(_("The file is larger than %(limit)s.") % {"limit": size_text(limit)})
    if size == 0:
        raise SkuImportRefused(_("The file is empty."))
    with transaction.atomic():
        Seller.objects.select_for_update().filter(pk=seller.pk).first()  # one quota decision at a time
        try:
            check_upload_quota(seller, size)
        except QuotaExceeded as exc:
            raise SkuImportRefused(str(exc)) from None
        job = SkuImportJob(
            seller=seller,
            original_name=os.path.basename(uploaded.name or "")[:255] or "skus",
            size=size,
            uploaded_by=user if getattr(user, "pk", None) else None,
        )
        uploaded.seek(0)
        job.file.save("skus", File(uploaded), save=False)
        job.save()
        if enqueue:
            from inventory.tasks import import_sku_file_task

            transaction.on_commit(lambda: import_sku_file_task.delay(job.pk))
    return job


def run_sku_import(job_id: int, *, now=None) -> SkuImportJob:
    """Import the job's file, all or nothing; running it again (or at once) does the work once."""
    with transaction.atomic():
        job = SkuImportJob.objects.select_for_update().get(pk=job_id)
        if not job.running:
            return job
        job.attempts += 1
        if job.attempts > MAX_ATTEMPTS:
            return _finish(job, SkuImportResult(problems=[RowProblem(None, None, _gave_up())]), now=now)
        job.status = SkuImportJob.Status.RUNNING
        job.save(update_fields=["attempts", "status"])
    progress, close = _progress_writer(job.pk)
    try:
        with transaction.atomic():
            if not job.file:
                result = SkuImportResult(
                    problems=[RowProblem(None, None, _("The uploaded file is missing."))]
                )
            else:
                with job.file.open("rb") as handle:
                    result = import_skus(seller=job.seller, file=handle, progress=progress)
            current = SkuImportJob.objects.select_for_update().get(pk=job.pk)
            if not current.running:  # another run finished first: undo ours
                transaction.set_rollback(True)
                return current
            return _finish(current, result, now=now)
    finally:
        close()


def _gave_up() -> str:
    return _("Gave up after %(n)s attempts; upload the file again.") % {"n": MAX_ATTEMPTS}


def _finish(job: SkuImportJob, result: SkuImportResult, *, now=None) -> SkuImportJob:
    job.status = SkuImportJob.Status.DONE if result.ok else SkuImportJob.Status.REFUSED
    job.created, job.updated = result.created, result.updated
    job.problems = [
        {"row": p.row, "column": p.column, "reason": str(p.reason)} for p in result.problems[:SHOWN_PROBLEMS]
    ]
    job.ignored_columns = list(result.ignored_columns)
    if result.ok:
        job.rows_done = job.rows_total = result.created + result.updated
    job.finished_at = now or timezone.now()
    job.save()
    return job


def _progress_writer(job_id: int):
    """``progress(done, total)`` and ``close()``. On PostgreSQL through a second, autocommit connection:
    the import runs inside one transaction, whose own writes nobody sees before it commits."""
    table = SkuImportJob._meta.db_table
    sql = f"UPDATE {table} SET rows_done = %s, rows_total = %s WHERE id = %s"  # noqa: S608 - our table
    if connection.vendor != "postgresql":

        def progress(done: int, total: int) -> None:
            SkuImportJob.objects.filter(pk=job_id).update(rows_done=done, rows_total=total)

        return progress, lambda: None
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    side = psycopg.connect(**params, autocommit=True)

    def progress(done: int, total: int) -> None:
        side.execute(sql, (done, total, job_id))

    return progress, side.close
