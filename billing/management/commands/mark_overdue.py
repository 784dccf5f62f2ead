"""``manage.py mark_overdue [--today YYYY-MM-DD]``: the daily beat job by hand (SPEC §9)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from billing.services import mark_overdue


class Command(BaseCommand):
    help = "Mark issued invoices past their due date and not fully paid as overdue."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="the day to judge by (YYYY-MM-DD); default: today")

    def handle(self, *args, today=None, **options):
        try:
            day = date.fromisoformat(today) if today else None
        except ValueError:
            raise CommandError(f"--today must be YYYY-MM-DD, got {today!r}") from None
        count = mark_overdue(today=day)
        self.stdout.write(f"{count} invoice(s) marked overdue")
