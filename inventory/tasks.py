"""Celery tasks of the inventory app: thin, idempotent, calling a service."""

from celery import shared_task

from inventory.ledgers.imports import import_ledger_file_task  # noqa: F401  (defined by its service)


@shared_task(acks_late=True)
def import_sku_file_task(job_id: int) -> str:
    """Import an uploaded SKU catalog file, all or nothing (running it twice does the work once)."""
    from inventory.catalog.sku_import import run_sku_import

    return run_sku_import(job_id).status


@shared_task(acks_late=True)
def purge_refused_uploads_task() -> int:
    """Daily: delete the stored files of refused uploads past the retention (idempotent)."""
    from inventory.upload_policy import purge_refused_uploads

    return purge_refused_uploads().total


@shared_task(acks_late=True)
def render_order_document_task(document_id: int) -> str:
    """Render one document of an inbound order to its file (running it twice renders it once)."""
    from inventory.inbound.documents import render_order_document

    return render_order_document(document_id).status


@shared_task(acks_late=True)
def run_export_task(job_id: int) -> str:
    """Write a large export to its file (running it twice writes it once)."""
    from inventory.exports import run_export

    return run_export(job_id).status
