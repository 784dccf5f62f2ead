"""`simulate_invoice`: one seller's month computed straight from ledger files, storing nothing (SPEC §12)."""

import json

from django.core.management.base import BaseCommand, CommandError

from inventory.ledgers import LedgerFileError, read_ledger
from inventory.ledgers.kinds import KINDS
from tariffs.engine import LEDGERS, MonthFacts, compute_invoice
from tariffs.models import CustomerClass
from tariffs.rules import Period, RuleError
from tariffs.selectors import RateCardNotFound, rate_card_by_code, rule_specs, version_in_force


class Command(BaseCommand):
    help = "Compute one seller's invoice for a month from ledger files with a rate card; stores nothing."

    def add_arguments(self, parser):
        parser.add_argument("--rate-card", required=True, metavar="CODE")
        parser.add_argument("--customer-class", choices=CustomerClass.values, default=CustomerClass.REGULAR)
        parser.add_argument("--currency", metavar="CUR")
        parser.add_argument("--period", required=True, metavar="YYYY-MM")
        for ledger in LEDGERS:
            parser.add_argument(f"--{ledger}", metavar="FILE", help=f"{ledger} ledger (CSV or XLSX)")
        parser.add_argument("--format", choices=["json"], default="json")

    def handle(self, *args, **options):
        try:
            period = Period.parse(options["period"])
        except (RuleError, ValueError) as exc:
            raise CommandError(f"--period: {exc}") from exc
        try:
            card = rate_card_by_code(options["rate_card"], options["currency"])
            version = version_in_force(card, period)
        except RateCardNotFound as exc:
            raise CommandError(str(exc)) from exc
        if card.customer_classes and options["customer_class"] not in card.customer_classes:
            raise CommandError(
                f"rate card {card} has no prices for customer class {options['customer_class']!r} "
                f"(it has: {', '.join(card.customer_classes)})"
            )
        facts = MonthFacts(period=period, ledgers=self.read_files(options, period))
        if not any(facts.ledgers.values()):
            files = [options[ledger] for ledger in LEDGERS if options[ledger]]
            raise CommandError(
                f"no ledger data for {period}"
                + (f" in {', '.join(files)}" if files else ": give at least one file")
            )
        try:
            computation = compute_invoice(
                facts,
                rule_specs(version),
                currency=card.currency,
                customer_class=options["customer_class"],
                service_tax_rate=card.service_tax_rate,
                not_billed_kinds=version.not_billed_kinds,
            )
        except RuleError as exc:
            raise CommandError(str(exc)) from exc
        result = {"rate_card": card.code, "version": version.version, **computation.as_dict()}
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))

    def read_files(self, options, period: Period) -> dict[str, list]:
        ledgers: dict[str, list] = {}
        sellers: set[str] = set()
        for ledger in LEDGERS:
            path = options[ledger]
            if not path:
                continue
            try:
                rows = read_ledger(path, ledger)
            except LedgerFileError as exc:
                lines = [f"{path}: {exc}"] + [f"  {error}" for error in getattr(exc, "errors", [])[:200]]
                raise CommandError("\n".join(lines)) from exc
            except OSError as exc:
                raise CommandError(f"{path}: {exc.strerror or exc}") from exc
            in_period = [row for row in rows if KINDS[ledger].day_of(row) in period]
            sellers.update(row.seller for row in in_period)
            ledgers[ledger] = in_period
        if len(sellers) > 1:
            raise CommandError(
                f"the files hold rows of several sellers ({', '.join(sorted(sellers))}): "
                "simulate one seller at a time"
            )
        # The same facts as the store gives (``inventory.ledgers.store_facts``): stock summed per item.
        try:
            return {ledger: KINDS[ledger].month_facts(rows, period) for ledger, rows in ledgers.items()}
        except RuleError as exc:
            raise CommandError(str(exc)) from exc
