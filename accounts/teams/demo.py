"""The local demo's team (`seed_demo`, DEBUG only): the demo staff account owns "Demo Team",
whose pool holds 40 tokens, with two demo customers in it (a member with a daily limit of
5, and a viewer), so `make run` shows teams without setting one up."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.teams.models import Membership, Organization
from accounts.teams.services import create_organization
from tokens.services import grant_tokens

DEMO_TEAM = "Demo Team"


def seed_team_demo(command) -> None:
    if not settings.DEBUG or Organization.objects.filter(slug="demo-team").exists():
        return
    from accounts.management.commands.seed_demo import DEMO_STAFF_EMAIL

    users = get_user_model().objects
    owner = users.filter(email=DEMO_STAFF_EMAIL).first()
    if owner is None:
        return
    with transaction.atomic():
        team = create_organization(user=owner, name=DEMO_TEAM)
        grant_tokens(account=team.token_account, amount=40, kind="adjustment",
                     idempotency_key="demo:team:pool", memo="Demo team's pool")
        for email, role, daily in (("customer1@demo.myba.local", "member", 5),
                                   ("customer2@demo.myba.local", "viewer", None)):
            user = users.filter(email=email).first()
            if user is not None:
                Membership.objects.create(organization=team, user=user, role=role,
                                          daily_limit=daily)
    command.stdout.write(command.style.SUCCESS(
        f"Demo team ready: /teams/{team.slug}/ (owned by {DEMO_STAFF_EMAIL})"))
