"""`export_invoices YYYY-MM --format json|csv [--language LANG]`: every invoice of the month with its lines
and totals (SPEC §12). JSON lines and sections have the shape ``simulate_invoice`` prints; CSV is one row
per line with the invoice's seller, service line, number and currency repeated."""

import csv
import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from billing.exports import export_csv_rows, invoice_dict, month_invoices
from tariffs.rules import Period, RuleError


class Command(BaseCommand):
    help = "Print every invoice of a month (drafts and issued) with its lines and totals, as JSON or CSV."

    def add_arguments(self, parser):
        parser.add_argument("period", metavar="YYYY-MM")
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument(
            "--language",
            choices=[code for code, _ in settings.LANGUAGES],
            help="render descriptions and formulas in this language (default: the stored English text)",
        )

    def handle(self, *args, **options):
        try:
            period = Period.parse(options["period"])
            first_day = period.first_day
        except (RuleError, ValueError) as exc:
            raise CommandError(f"period: {exc}") from exc
        language = options["language"]
        localized = language is not None
        with translation.override(language or "en"):
            invoices = month_invoices(first_day)
            if options["format"] == "csv":
                writer = csv.writer(self.stdout, lineterminator="\n")
                for row in export_csv_rows(invoices, str(period), localized=localized):
                    writer.writerow(row)
                return
            result = {
                "period": str(period),
                "invoices": [invoice_dict(invoice, localized=localized) for invoice in invoices],
            }
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
