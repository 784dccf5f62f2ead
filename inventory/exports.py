"""Exports too large for a request (issue 10): the ledger rows of a kind and the SKU list, written on a
worker to a file (CSV streamed row by row, XLSX by openpyxl's write-only mode) with progress, then
downloaded by the seller. Text cells a spreadsheet would run as formulas are escaped, as inline."""

from __future__ import annotations

import csv
import io
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.catalog.resources import escape_formula
from inventory.ledgers.kinds import KINDS
from inventory.models import ExportJob
from portal.models import Seller
from portal.tenancy import scope

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
PROGRESS_EVERY = 2_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_TYPE}


@dataclass
class Rows:
    """What an export writes: a sheet name, its header and its rows (plain cell values)."""

    sheet: str
    header: list[str]
    count: int
    rows: Iterator[list]


def ledger_rows(seller: Seller, kind: str, filters: dict) -> Rows:
    """The seller's current rows of a ledger kind with the rows page's filters."""
    from inventory.ledgers.views import filtered_rows

    return ledger_rows_of(filtered_rows(seller, kind, query_dict(filters)), kind)


def ledger_rows_of(queryset, kind: str) -> Rows:
    columns = ["warehouse", "service_line", "source", "row_number", *KINDS[kind].shown]
    queryset = queryset.select_related("warehouse", "service_line")

    def cells(row) -> list:
        values = []
        for column in columns:
            if column == "warehouse":
                value = row.warehouse.code
            elif column == "service_line":
                value = row.service_line.code if row.service_line_id else ""
            else:
                value = getattr(row, column)
            values.append(
                escape_formula(value) if isinstance(value, str) else ("" if value is None else value)
            )
        return values

    return Rows(
        sheet=kind,
        header=columns,
        count=queryset.count(),
        rows=(cells(row) for row in queryset.iterator(chunk_size=5000)),
    )


def sku_rows(seller: Seller, filters: dict, file_format: str) -> Rows:
    """The seller's SKUs with the list's filters, in the import/export columns (headers re-importable)."""
    from inventory.catalog.compliance import active_rules
    from inventory.catalog.filters import SkuFilter
    from inventory.catalog.resources import SkuResource
    from inventory.models import Sku

    skus = scope(Sku.objects.all(), seller)
    queryset = SkuFilter(
        query_dict(filters), queryset=skus, rules=active_rules(), today=timezone.localdate()
    ).qs.order_by("code")
    resource = SkuResource(seller=seller)
    fields = resource.get_export_fields()
    native = file_format == "xlsx"

    def cells(sku) -> list:
        values = []
        for export_field in fields:
            value = resource.export_field(export_field, sku, force_native_type=native)
            values.append(
                escape_formula(value) if isinstance(value, str) else ("" if value is None else value)
            )
        return values

    return Rows(
        sheet="SKUs",
        header=resource.get_export_headers(),
        count=queryset.count(),
        rows=(cells(sku) for sku in queryset.iterator(chunk_size=2000)),
    )


def query_dict(filters: dict) -> QueryDict:
    """The filters a job keeps (``{name: [values]}``) as the request's query they came from."""
    query = QueryDict(mutable=True)
    for name, values in filters.items():
        query.setlist(name, [str(v) for v in (values if isinstance(values, list) else [values])])
    return query


def filters_of(query: QueryDict) -> dict:
    """A request's query without the export switches, kept on the job as JSON."""
    return {name: values for name, values in query.lists() if name not in ("export", "format", "page")}


def rows_of(seller: Seller, kind: str, filters: dict, file_format: str) -> Rows:
    if kind == "skus":
        return sku_rows(seller, filters, file_format)
    if kind.startswith("ledger:") and kind.split(":", 1)[1] in KINDS:
        return ledger_rows(seller, kind.split(":", 1)[1], filters)
    raise ValueError(f"unknown export {kind!r}")


def write_rows(rows: Rows, out, file_format: str, progress=None) -> int:
    """Write ``rows`` to the binary file ``out`` as CSV (UTF-8 with BOM) or XLSX; memory stays flat."""
    written = 0
    if file_format == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        text.write("\ufeff")
        writer = csv.writer(text)
        writer.writerow(rows.header)
        for row in rows.rows:
            writer.writerow(row)
            written += 1
            if progress and written % PROGRESS_EVERY == 0:
                progress(written)
        text.flush()
        text.detach()
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(rows.sheet[:31])
        sheet.append(rows.header)
        for row in rows.rows:
            sheet.append([str(v) if hasattr(v, "as_tuple") else v for v in row])
            written += 1
            if progress and written % PROGRESS_EVERY == 0:
                progress(written)
        book.save(out)
    return written


def export_name(kind: str, file_format: str, today=None) -> str:
    day = today or timezone.localdate()
    stem = "skus" if kind == "skus" else f"{kind.split(':', 1)[1]}-ledger"
    return f"{stem}-{day:%Y%m%d}.{file_format}"


def create_export(*, seller: Seller, user, kind: str, filters: dict, file_format: str) -> ExportJob:
    """Queue an export on a worker (after commit)."""
    rows_of(seller, kind, filters, file_format)  # an unknown kind is refused here, not on the worker
    with transaction.atomic():
        job = ExportJob.objects.create(
            seller=seller,
            kind=kind,
            filters=filters,
            file_format=file_format,
            created_by=user,
            file_name=export_name(kind, file_format),
        )
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from inventory.tasks import run_export_task

    run_export_task.delay(job_id)


def run_export(job_id: int, *, now=None) -> ExportJob:
    """Write the export's file. Running it again does nothing more; it gives up after MAX_ATTEMPTS."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().get(pk=job_id)
        if job.status in (ExportJob.Status.READY, ExportJob.Status.FAILED):
            return job
        job.attempts += 1
        if job.attempts > MAX_ATTEMPTS:
            return _failed(job, _("Gave up after %(n)d attempts.") % {"n": MAX_ATTEMPTS}, now=now)
        job.status = ExportJob.Status.RUNNING
        job.save(update_fields=["attempts", "status"])
    try:
        rows = rows_of(job.seller, job.kind, job.filters, job.file_format)
        ExportJob.objects.filter(pk=job.pk).update(row_count=rows.count, rows_done=0)
        with tempfile.TemporaryFile() as out:
            written = write_rows(
                rows,
                out,
                job.file_format,
                progress=lambda n: ExportJob.objects.filter(pk=job.pk).update(rows_done=n),
            )
            out.seek(0)
            with transaction.atomic():
                job = ExportJob.objects.select_for_update().get(pk=job.pk)
                if job.status == ExportJob.Status.READY:
                    return job
                job.file.save(job.file_name or f"export.{job.file_format}", File(out), save=False)
                job.status = ExportJob.Status.READY
                job.rows_done = job.row_count = written
                job.finished_at = now or timezone.now()
                job.save()
        return job
    except Exception as exc:  # shown on the export's page, not retried for ever
        logger.exception("export %s failed", job_id)
        return _failed(job, _("The export failed: %(error)s") % {"error": exc}, now=now)


def _failed(job: ExportJob, message: str, *, now=None) -> ExportJob:
    job.status = ExportJob.Status.FAILED
    job.error = message
    job.finished_at = now or timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    return job
