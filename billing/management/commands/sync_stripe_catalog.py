from django.core.management.base import BaseCommand, CommandError

from billing import stripe_api
from billing.services import sync_stripe_catalog


class Command(BaseCommand):
    help = (
        "Create or update the Stripe Products, Prices and first-purchase coupon for the token "
        "packs in the account the Stripe keys point at, and link them. Safe to run again."
    )

    def handle(self, *args, **options):
        if not stripe_api.is_configured():
            raise CommandError(
                "No Stripe secret key: set STRIPE_TEST_SECRET_KEY (or STRIPE_LIVE_SECRET_KEY "
                "with STRIPE_LIVE_MODE=1) first."
            )
        report = sync_stripe_catalog()
        for line in report.created:
            self.stdout.write(f"created   {line}")
        for line in report.updated:
            self.stdout.write(f"updated   {line}")
        for line in report.unchanged:
            self.stdout.write(f"unchanged {line}")
        summary = "Stripe catalog updated." if report.changed else "Stripe catalog up to date."
        self.stdout.write(self.style.SUCCESS(summary))
