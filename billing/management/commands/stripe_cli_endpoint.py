from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from djstripe.models import WebhookEndpoint

LOCAL_ENDPOINT_ID = "we_stripe_cli_local"


class Command(BaseCommand):
    help = (
        "Register the signing secret printed by `stripe listen` as a local dj-stripe webhook "
        "endpoint, and print the --forward-to URL to use. Run it again with a new secret to "
        "update it (the URL stays the same)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--secret", required=True, help="The whsec_... from `stripe listen`.")
        parser.add_argument(
            "--base-url", default=settings.SITE_URL, help="Where this site runs locally."
        )

    def handle(self, *args, secret, base_url, **options):
        if not secret.startswith("whsec_"):
            raise CommandError("The secret from `stripe listen` starts with whsec_.")
        endpoint, _ = WebhookEndpoint.objects.get_or_create(
            id=LOCAL_ENDPOINT_ID,
            defaults={
                "livemode": False,
                "url": base_url,
                "enabled_events": ["*"],
                "status": "enabled",
            },
        )
        path = reverse("djstripe:djstripe_webhook_by_uuid", args=[endpoint.djstripe_uuid])
        endpoint.url = base_url.rstrip("/") + path
        endpoint.secret = secret
        endpoint.save()
        self.stdout.write(self.style.SUCCESS(f"Webhook endpoint ready: {endpoint.url}"))
        self.stdout.write(f"Run:  stripe listen --forward-to {endpoint.url}")
