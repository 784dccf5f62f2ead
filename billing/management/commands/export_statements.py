"""`export_statements YYYY-MM --out DIR [--seller CODE] [--language zh-hans|en|ja|vi]`: each invoice's PDF
statement of the month (drafts marked as drafts) and each credit note's PDF of those invoices into DIR, one
path a line (SPEC §12). The language is each seller's unless ``--language`` is given. An issued document's
PDF is its stored file (rendered and stored first when it is not yet); a draft is rendered on the spot."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from billing.models import CreditNote, Invoice
from billing.statements import statement_pdf
from portal.models import Seller
from tariffs.rules import Period, RuleError


class Command(BaseCommand):
    help = (
        "Write every invoice's PDF statement of a month (drafts marked) and its credit notes' PDFs into DIR."
    )

    def add_arguments(self, parser):
        parser.add_argument("period", metavar="YYYY-MM")
        parser.add_argument(
            "--out", required=True, metavar="DIR", help="folder to write into (created if missing)"
        )
        parser.add_argument("--seller", metavar="CODE", help="only this seller's documents")
        parser.add_argument(
            "--language",
            choices=[code for code, _ in settings.LANGUAGES],
            help="render every document in this language (default: each seller's language)",
        )

    def handle(self, *args, **options):
        try:
            first_day = Period.parse(options["period"]).first_day
        except (RuleError, ValueError) as exc:
            raise CommandError(f"period: {exc}") from exc
        out = Path(options["out"])
        if out.exists() and not out.is_dir():
            raise CommandError(f"--out: {out} is not a folder")
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"--out: cannot create {out}: {exc.strerror}") from exc
        invoices = Invoice.objects.filter(period=first_day).select_related("seller")
        notes = CreditNote.objects.filter(invoice__period=first_day).select_related("seller")
        if options["seller"]:
            seller = Seller.objects.filter(code__iexact=options["seller"]).first()
            if seller is None:
                raise CommandError(f"--seller: no seller with the code {options['seller']!r}")
            invoices, notes = invoices.filter(seller=seller), notes.filter(seller=seller)
        documents = [
            *invoices.order_by("seller__code", "warehouse__code", "service_line__code", "kind", "pk"),
            *notes.order_by("seller__code", "number", "pk"),
        ]
        for document in documents:
            language = options["language"] or document.seller.language
            filename, content = statement_pdf(document, language)
            path = out / filename
            try:
                path.write_bytes(content)
            except OSError as exc:
                raise CommandError(f"cannot write {path}: {exc.strerror}") from exc
            self.stdout.write(str(path))
