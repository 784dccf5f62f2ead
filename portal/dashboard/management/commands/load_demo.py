from django.core.management.base import BaseCommand

from portal.dashboard.demo import DEMO_PASSWORD, load_demo_data


class Command(BaseCommand):
    help = "Load the demo sellers, their logins and ops staff (idempotent) and print the logins."

    def handle(self, *args, **options):
        logins = load_demo_data()
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for login in logins:
            self.stdout.write(f"  {login.email:<34} {login.role:<10} {login.seller}")
