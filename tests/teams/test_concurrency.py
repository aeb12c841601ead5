"""Team limits and membership rules under real concurrent requests (threads, each with its
own PostgreSQL connection, released together): every limit holds exactly, each alert is
raised once, an invitation makes one member, and a team never loses its last owner."""

from dataclasses import replace

import pytest
from django.core import mail

from accounts.teams.limits import raise_limit_alerts
from accounts.teams.models import Membership, TeamEvent, TeamLimitAlert
from accounts.teams.services import accept_invitation, change_member_role, invite_member
from tests.helpers import assert_ledger_healthy, race
from tests.teams.conftest import fund_team, request_team_ticket
from tickets.models import Ticket
from tickets.quotes import ticket_price
from tokens.exceptions import InsufficientTokens, LimitReached
from tokens.limits import used_by_limits
from tokens.models import Hold

pytestmark = pytest.mark.django_db(transaction=True)

MEMBERS = 5
TRIES_EACH = 10
LIMIT_TICKETS = 3


def members_with_daily_limit(add_member, price):
    return [add_member("member", daily_limit=LIMIT_TICKETS * price) for _ in range(MEMBERS)]


def fire(team, members):
    """Every member asks for TRIES_EACH tickets at once: MEMBERS × TRIES_EACH threads."""
    jobs = [lambda user=user: request_team_ticket(team, user)
            for user in members for _ in range(TRIES_EACH)]
    return race(*jobs, errors_ok=True)


def test_parallel_generations_never_pass_a_members_daily_limit(team, add_member):
    price = ticket_price("standard")
    members = members_with_daily_limit(add_member, price)

    results = fire(team, members)

    accepted = [r for r in results if isinstance(r, Ticket)]
    refused = [r for r in results if isinstance(r, LimitReached)]
    assert len(accepted) == MEMBERS * LIMIT_TICKETS
    assert len(refused) == MEMBERS * TRIES_EACH - len(accepted)
    assert all(r.limit.name == "Your daily limit" for r in refused)
    used = used_by_limits(account_id=team.token_account_id, limits=[
        replace(refused[0].limit, spender=f"user:{user.pk}") for user in members])
    assert used == [LIMIT_TICKETS * price] * MEMBERS
    team.token_account.refresh_from_db()
    assert team.token_account.held == len(accepted) * price
    assert_ledger_healthy()


def test_a_pool_smaller_than_the_limits_runs_dry_exactly(owner, prices, add_member):
    from accounts.teams.services import create_organization

    small = create_organization(user=owner, name="Small")
    price = ticket_price("standard")
    fund_team(small, 10 * price)  # 10 tickets, while the limits would allow 15
    members = []
    for _ in range(MEMBERS):
        user = add_member("member")
        Membership.objects.create(organization=small, user=user, role="member",
                                  daily_limit=LIMIT_TICKETS * price)
        members.append(user)

    results = fire(small, members)

    accepted = [r for r in results if isinstance(r, Ticket)]
    assert len(accepted) == 10
    assert all(isinstance(r, Ticket | InsufficientTokens | LimitReached) for r in results)
    small.token_account.refresh_from_db()
    assert (small.token_account.balance, small.token_account.held) == (10 * price, 10 * price)
    assert small.token_account.available == 0
    assert_ledger_healthy()


def test_each_limit_crossing_alerts_the_admins_once(owner, team, add_member, celery_app):
    price = ticket_price("standard")
    add_member("admin", email="admin@example.com")
    member = add_member("member", daily_limit=5 * price)
    # The checks the requests queue after their commit are left in the broker: here ten
    # checks at once are what notices each crossing, and they send its email inline.
    check = [lambda: raise_limit_alerts(organization_id=team.pk, user_id=member.pk)] * 10

    def checks_at_once():
        celery_app.conf.task_always_eager = True
        try:
            return race(*check)
        finally:
            celery_app.conf.task_always_eager = False

    for _ in range(4):  # 80% of the daily limit
        request_team_ticket(team, member)
    first = checks_at_once()
    request_team_ticket(team, member)  # 100%
    second = checks_at_once()

    assert sum(len(written) for written in first) == 1
    assert sum(len(written) for written in second) == 1
    messages = [alert.message for alert in TeamLimitAlert.objects.order_by("created_at")]
    assert messages == [
        f"{member.email}'s daily limit is 80% used: {4 * price} of {5 * price} tokens.",
        f"{member.email}'s daily limit is 100% used: {5 * price} of {5 * price} tokens.",
    ]
    alerts = [m for m in mail.outbox if "token limit is filling up" in m.subject]
    assert len(alerts) == 2
    assert all(sorted(m.to) == ["admin@example.com", "owner@example.com"] for m in alerts)
    assert not TeamLimitAlert.objects.filter(emailed_at__isnull=True).exists()


def test_an_invitation_accepted_twice_at_once_makes_one_member(owner, team):
    invitation = invite_member(actor=owner, organization=team, email="new@example.com",
                               role="member")
    from tests.builders import make_verified_user

    newcomer = make_verified_user(email="new@example.com")

    results = race(*[lambda: accept_invitation(user=newcomer, key=invitation.key)] * 6,
                   errors_ok=True)

    assert sum(isinstance(r, Membership) for r in results) == 1
    assert Membership.objects.filter(user=newcomer).count() == 1
    assert TeamEvent.objects.filter(action="joined").count() == 1


def test_two_owners_demoting_each_other_at_once_leave_one_owner(owner, team, add_member):
    other = add_member("owner")
    mine = Membership.objects.get(user=owner)
    theirs = Membership.objects.get(user=other)

    race(lambda: change_member_role(actor=owner, membership=theirs, role="admin"),
         lambda: change_member_role(actor=other, membership=mine, role="admin"),
         errors_ok=True)

    assert Membership.objects.filter(organization=team, role="owner").count() == 1


def test_a_released_hold_gives_its_tokens_back_to_the_limit(team, add_member):
    from tokens.services import release_hold

    price = ticket_price("standard")
    member = add_member("member", daily_limit=price)
    ticket = request_team_ticket(team, member)
    with pytest.raises(LimitReached):
        request_team_ticket(team, member)

    release_hold(hold=Hold.objects.get(pk=ticket.hold_id), reason="generation failed")

    assert isinstance(request_team_ticket(team, member), Ticket)
