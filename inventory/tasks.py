"""Celery tasks of the inventory app: thin, idempotent, calling a service."""

from celery import shared_task


@shared_task(acks_late=True)
def import_ledger_file_task(ledger_file_id: int) -> str:
    """Check and store an uploaded ledger file (running it twice does the work once)."""
    from inventory.ledger_import import import_ledger_file

    return import_ledger_file(ledger_file_id).status
