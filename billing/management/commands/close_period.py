"""`close_period YYYY-MM [--seller CODE] [--queue]`: the monthly close (SPEC §9, §12).

Runs the close in this process and returns when the drafts are written; `--queue` hands it to the workers.
Exits non-zero naming the sellers and reasons when an invoice could not be computed."""

from django.core.management.base import BaseCommand, CommandError

from billing import close
from billing.models import CloseRun
from portal.models import Seller
from tariffs.rules import RuleError


class Command(BaseCommand):
    help = "Close a month: write (or replace) the draft invoice of each seller, contract and month."

    def add_arguments(self, parser):
        parser.add_argument("period", metavar="YYYY-MM")
        parser.add_argument("--seller", metavar="CODE", action="append", help="only this seller (repeatable)")
        parser.add_argument("--queue", action="store_true", help="hand the close to the Celery workers")

    def handle(self, *args, **options):
        try:
            period = close.parse_period(options["period"])
        except (RuleError, ValueError) as exc:
            raise CommandError(f"period: {exc}") from exc
        sellers = None
        if options["seller"]:
            codes = [code.strip().lower() for code in options["seller"]]
            found = {
                seller.code.lower(): seller for seller in Seller.objects.filter(code__in=options["seller"])
            }
            found.update({s.code.lower(): s for s in Seller.objects.all() if s.code.lower() in codes})
            missing = [code for code in codes if code not in found]
            if missing:
                raise CommandError(f"unknown seller(s): {', '.join(missing)}")
            sellers = [found[code] for code in codes]
        if options["queue"]:
            count = close.queue_close(period, sellers)
            self.stdout.write(f"{period}: the close of {count} seller(s) is queued")
            return
        sellers = close.sellers_to_close(period) if sellers is None else sellers
        failed = []
        results = {}
        for start in range(0, len(sellers), close.BATCH_SIZE):  # in batches, as the workers close them
            batch = close.close_sellers_month(
                sellers=sellers[start : start + close.BATCH_SIZE], period=period
            )
            results.update((result.run.seller_id, result) for result in batch)
        for seller in sellers:
            result = results[seller.pk]
            written = result.run.drafts_written
            unchanged = result.run.drafts_unchanged
            self.stdout.write(f"{seller.code} {period}: {written} draft(s) written, {unchanged} unchanged")
            if result.run.status == CloseRun.Status.FAILED:
                failed.append((seller, result.run.problems))
        if failed:
            lines = [f"{period}: {len(failed)} seller(s) could not be closed:"]
            for seller, problems in failed:
                for problem in problems:
                    where = "/".join(p for p in (problem.get("warehouse"), problem.get("service_line")) if p)
                    lines.append(f"  {seller.code} {where}: {problem['message']}")
            raise CommandError("\n".join(lines))
