"""`purge_refused_uploads`: delete the stored files of refused uploads older than the retention (the
rows and their error reports stay); the same as the daily Celery beat task."""

from django.core.management.base import BaseCommand

from inventory.upload_policy import purge_refused_uploads


class Command(BaseCommand):
    help = "Delete the stored files of refused uploads older than REFUSED_UPLOAD_RETENTION_DAYS."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="retention in days (default: the setting)")

    def handle(self, *args, **options):
        result = purge_refused_uploads(days=options["days"])
        self.stdout.write(
            f"Deleted the files of {result.ledger_files} refused ledger upload(s) and "
            f"{result.sku_imports} refused SKU import(s)."
        )
