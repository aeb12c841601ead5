from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from billing.models import Purchase, TokenPack
from tickets.models import Ticket


@pytest.mark.django_db
def test_make_run_seeds_dashboard_demo_data_once(settings, tmp_path, staff_client, plans):
    settings.DEBUG = True
    settings.DATA_DIR = tmp_path
    TokenPack.objects.get_or_create(
        slug="starter", defaults={"name": "Starter", "tokens": 10, "price_cents": 500}
    )
    call_command("seed_demo", stdout=StringIO())
    counts = (User.objects.count(), Ticket.objects.count(), Purchase.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (User.objects.count(), Ticket.objects.count(), Purchase.objects.count()) == counts
    assert counts[1] >= 8 and counts[2] >= 2
    settings.DEBUG = False
    overview = staff_client.get("/dashboard/?range=30")
    figures = {f.label: f.current for f in overview.context["figures"]}
    assert figures["Tickets"] == counts[1] and figures["Purchases"] == counts[2]
    subscriptions = staff_client.get("/dashboard/subscriptions/").context
    # Basic $15 + Basic yearly $150 / 12 + two Pro at $45 (one past due, one cancelling).
    assert subscriptions["mrr_label"] == "$117.50"
    assert (subscriptions["live_count"], subscriptions["lists"]["churned"]["count"],
            subscriptions["conversion"]) == (5, 1, 50.0)
    call_command("ledger_audit", stdout=StringIO())
