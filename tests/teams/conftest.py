"""Teams: an owner with a funded team pool, and a builder for members of any role."""

import uuid

import pytest
from django.utils import timezone

from accounts.teams.limits import member_limits
from accounts.teams.models import Membership
from accounts.teams.services import create_organization
from tests.builders import DESCRIPTION, make_verified_user, new_key
from tickets.services import request_ticket_generation
from tokens.services import grant_tokens


def fund_team(team, tokens: int) -> None:
    """Credit `tokens` to the team's pool (as a purchase for the team would)."""
    grant_tokens(account=team.token_account, amount=tokens, kind="purchase",
                 idempotency_key=new_key("team"))
    team.token_account.refresh_from_db()


def request_team_ticket(team, user):
    """A ticket `user` requests in `team`, paid from its pool within their limits read now,
    as the generator's submit does."""
    membership = Membership.objects.select_related("organization").get(organization=team,
                                                                       user=user)
    return request_ticket_generation(
        account=team.token_account, owner=user, visitor=None, ticket_type="story",
        quality="standard", description=DESCRIPTION, nonce=uuid.uuid4(), organization=team,
        limits=member_limits(membership, now=timezone.now()))


@pytest.fixture
def owner(db):
    return make_verified_user(email="owner@example.com")


@pytest.fixture
def team(owner, prices):
    """"Acme", owned by `owner`, its pool holding 100 tokens."""
    team = create_organization(user=owner, name="Acme")
    fund_team(team, 100)
    return team


@pytest.fixture
def add_member(team):
    """add_member(role="member", email=None, daily_limit=None, monthly_limit=None): a
    verified user put straight into `team` (invitations have their own tests)."""
    def add(role: str = "member", *, email: str | None = None, **limits):
        user = make_verified_user(**({"email": email} if email else {}))
        Membership.objects.create(organization=team, user=user, role=role, **limits)
        return user

    return add
