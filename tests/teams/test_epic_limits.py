"""An epic in a team counts every story it reserves against the member's limit, under the
pool's lock: parallel epics never pass it, and what the plan does not use is given back."""

import uuid

import pytest
from django.utils import timezone

from accounts.teams.limits import member_limits
from accounts.teams.models import Membership
from tests.helpers import assert_ledger_healthy, race
from tickets.kinds import KINDS
from tickets.models import Ticket
from tickets.services import request_ticket_generation
from tokens.exceptions import LimitReached
from tokens.models import Hold, HoldStatus


def request_team_epic(team, user, *, max_children: int):
    membership = Membership.objects.get(organization=team, user=user)
    return request_ticket_generation(
        account=team.token_account, owner=user, ticket_type="epic", quality="standard",
        description=KINDS["epic"].example, nonce=uuid.uuid4(), organization=team,
        limits=member_limits(membership, now=timezone.now()), max_children=max_children)


@pytest.mark.django_db
def test_an_epic_is_refused_when_its_stories_would_pass_the_members_limit(team, add_member):
    member = add_member("member", daily_limit=5)
    with pytest.raises(LimitReached):
        request_team_epic(team, member, max_children=5)  # 1 + 5 > 5
    assert not Ticket.objects.exists() and not Hold.objects.exists()
    epic = request_team_epic(team, member, max_children=4)  # 1 + 4 == 5
    assert Hold.objects.filter(status=HoldStatus.PENDING).count() == 5
    assert epic.split.slots.count() == 4


@pytest.mark.django_db(transaction=True)
def test_parallel_epics_never_pass_a_members_limit(team, add_member):
    member = add_member("member", daily_limit=8)
    outcomes = race(*[lambda: request_team_epic(team, member, max_children=3)
                      for _ in range(4)], errors_ok=True)
    made = [outcome for outcome in outcomes if isinstance(outcome, Ticket)]
    assert len(made) == 2  # 2 × (1 + 3) == 8
    assert all(isinstance(outcome, LimitReached) for outcome in outcomes
               if not isinstance(outcome, Ticket))
    assert sum(Hold.objects.filter(status=HoldStatus.PENDING).values_list(
        "amount", flat=True)) == 8
    assert_ledger_healthy()
