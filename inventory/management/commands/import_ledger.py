"""`import_ledger`: validate and store a ledger file from the shell (SPEC §12); exit 1 and store nothing
when any row is bad."""

import csv
import io
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inventory.ledgers.imports import UploadRefused, create_upload, import_ledger_file
from inventory.models import LedgerFile
from portal.models import Seller, Warehouse


class Command(BaseCommand):
    help = "Validate and store a ledger file (all rows or none)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--kind", required=True, choices=LedgerFile.Kind.values)
        parser.add_argument("--warehouse", required=True, metavar="CODE")
        parser.add_argument("--source", choices=LedgerFile.Source.values, default=LedgerFile.Source.WAREHOUSE)
        parser.add_argument("--seller", metavar="CODE", help="only this seller's rows are allowed")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            warehouse = Warehouse.objects.get(code=options["warehouse"])
        except Warehouse.DoesNotExist as exc:
            known = ", ".join(Warehouse.objects.values_list("code", flat=True))
            raise CommandError(f"unknown warehouse {options['warehouse']!r} (known: {known})") from exc
        seller = None
        if options["seller"]:
            seller = Seller.objects.filter(code=options["seller"]).first()
            if seller is None:
                raise CommandError(f"unknown seller {options['seller']!r}")
        try:
            with path.open("rb") as handle:
                result = create_upload(
                    uploaded=handle,
                    name=path.name,
                    seller=seller,
                    warehouse=warehouse,
                    kind=options["kind"],
                    source=options["source"],
                    user=None,
                    enqueue=False,
                )
        except UploadRefused as exc:
            raise CommandError(f"{path}: {exc}") from exc
        if not result.created and result.ledger_file.status == LedgerFile.Status.STORED:
            self.stdout.write(
                f"{path.name}: already stored as upload #{result.ledger_file.pk} "
                f"({result.ledger_file.rows_stored} rows); nothing to do."
            )
            return
        ledger_file = import_ledger_file(result.ledger_file.pk)
        if ledger_file.status != LedgerFile.Status.STORED:
            lines = [f"{path.name}: {ledger_file.message}"]
            if ledger_file.error_file:
                with ledger_file.error_file.open("rb") as errors:
                    rows = csv.reader(io.TextIOWrapper(errors, encoding="utf-8"))
                    next(rows)  # header
                    lines += [f"  row {row}, {column}: {reason}" for row, column, reason in rows]
            else:
                lines += [f"  row {e['row']}, {e['column']}: {e['reason']}" for e in ledger_file.errors]
            raise CommandError("\n".join(lines))
        self.stdout.write(
            f"{path.name}: {ledger_file.rows_stored} rows stored "
            f"({ledger_file.period_start} to {ledger_file.period_end})."
        )
