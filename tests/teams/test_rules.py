"""The teams' rules, through their services: limits and what counts against them,
invitations that work once, and ownership."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from accounts.teams.limits import describe_limit_reached
from accounts.teams.models import Invitation, Membership, TeamEvent
from accounts.teams.services import (
    TeamError,
    accept_invitation,
    invitation_token,
    invite_member,
    read_invitation_token,
    resend_invitation,
    revoke_invitation,
    set_monthly_budget,
    transfer_ownership,
)
from tests.builders import make_verified_user, request_ticket
from tests.teams.conftest import request_team_ticket
from tickets.quotes import ticket_price
from tokens.exceptions import LimitReached
from tokens.limits import SpendLimit

# --- limits --------------------------------------------------------------------------------


def test_a_limit_of_zero_refuses_and_none_is_unlimited(team, add_member):
    blocked, free = add_member("member", daily_limit=0), add_member("member")

    with pytest.raises(LimitReached):
        request_team_ticket(team, blocked)
    for _ in range(5):
        request_team_ticket(team, free)


def test_the_teams_budget_caps_everyone_together(owner, team, add_member):
    price = ticket_price("standard")
    set_monthly_budget(actor=owner, organization=team, budget=3 * price)
    first, second = add_member("member"), add_member("member")
    request_team_ticket(team, first)
    request_team_ticket(team, first)
    request_team_ticket(team, second)

    with pytest.raises(LimitReached) as refused:
        request_team_ticket(team, second)

    assert refused.value.limit.name == "The team's monthly budget"


def test_personal_spending_does_not_count_against_a_team_limit(team, add_member):
    price = ticket_price("standard")
    member = add_member("member", daily_limit=price)
    from tests.builders import funded_account

    personal = funded_account(5)
    member.token_account = personal
    member.save(update_fields=["token_account"])
    request_ticket(personal, owner=member)
    request_ticket(personal, owner=member)

    request_team_ticket(team, member)  # their one team ticket today is still there
    with pytest.raises(LimitReached):
        request_team_ticket(team, member)


def test_the_refusal_says_which_limit_what_is_left_and_when_it_resets():
    limit = SpendLimit(name="Your daily limit", tokens=5, since=datetime(2026, 12, 3, tzinfo=UTC),
                       resets_at=datetime(2026, 12, 4, tzinfo=UTC), spender="user:1")

    message = describe_limit_reached(limit, used=4, needed=3)

    assert message == ("Your daily limit of 5 tokens is reached: 1 left, this needs 3. "
                       "It resets on 4 Dec 2026, 00:00 UTC.")
    with translation.override("es"):
        assert describe_limit_reached(limit, used=4, needed=3) == (
            "Tu límite diario de 5 tokens se ha alcanzado: quedan 1 y esto necesita 3. "
            "Se restablece el 4 Dic 2026, 00:00 UTC.")


# --- invitations ---------------------------------------------------------------------------


@pytest.fixture
def invitation(owner, team):
    return invite_member(actor=owner, organization=team, email="New@Example.com",
                         role="viewer")


@pytest.fixture
def newcomer(db):
    return make_verified_user(email="new@example.com")


def test_an_invitation_joins_with_its_role_once(invitation, newcomer, team):
    membership = accept_invitation(user=newcomer, key=invitation.key)

    invitation.refresh_from_db()
    assert (membership.organization, membership.role) == (team, "viewer")
    assert invitation.accepted_by == newcomer
    with pytest.raises(TeamError, match="already used"):
        accept_invitation(user=newcomer, key=invitation.key)


def test_inviting_again_resends_the_open_invitation(owner, team, invitation):
    again = invite_member(actor=owner, organization=team, email="new@example.com",
                          role="member")

    assert again.pk == invitation.pk and again.key != invitation.key
    assert again.role == "member"
    assert Invitation.objects.count() == 1


def test_a_resent_invitation_retires_the_old_link(owner, invitation, newcomer):
    old_key = invitation.key
    resend_invitation(actor=owner, invitation=invitation)

    with pytest.raises(TeamError, match="not valid any more"):
        accept_invitation(user=newcomer, key=old_key)
    invitation.refresh_from_db()
    assert accept_invitation(user=newcomer, key=invitation.key).role == "viewer"


@pytest.mark.parametrize("spoil, message", [
    (lambda i: Invitation.objects.filter(pk=i.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)), "expired"),
    (lambda i: revoke_invitation(actor=i.invited_by, invitation=i), "revoked"),
])
def test_a_spoilt_invitation_writes_nothing(invitation, newcomer, spoil, message):
    spoil(invitation)

    with pytest.raises(TeamError, match=message):
        accept_invitation(user=newcomer, key=invitation.key)
    assert not Membership.objects.filter(user=newcomer).exists()
    assert not TeamEvent.objects.filter(action="joined").exists()


def test_someone_already_in_the_team_is_not_invited(owner, team, add_member):
    add_member("member", email="in@example.com")

    with pytest.raises(TeamError, match="already in Acme"):
        invite_member(actor=owner, organization=team, email="IN@example.com", role="member")


def test_members_cannot_invite(team, add_member):
    with pytest.raises(PermissionDenied):
        invite_member(actor=add_member("member"), organization=team, email="x@example.com",
                      role="member")


def test_a_tampered_link_reads_as_nothing(invitation):
    token = invitation_token(invitation)

    assert read_invitation_token(token) == invitation.key
    assert read_invitation_token(token[:-2] + "xx") is None


# --- ownership -----------------------------------------------------------------------------


def test_transfer_makes_the_target_owner_and_the_owner_an_admin(owner, team, add_member):
    heir = add_member("member")

    transfer_ownership(actor=owner, membership=Membership.objects.get(user=heir))

    roles = dict(Membership.objects.values_list("user__email", "role"))
    assert roles == {owner.email: "admin", heir.email: "owner"}
    assert TeamEvent.objects.filter(action="ownership_transferred",
                                    subject=heir.email).count() == 1


# --- closing an account --------------------------------------------------------------------


def test_closing_an_account_leaves_its_teams(team, add_member):
    from accounts.services import close_user_account

    member = add_member("member")

    close_user_account(user=member)

    assert not Membership.objects.filter(user=member).exists()
    assert TeamEvent.objects.filter(action="left", actor=member).count() == 1


def test_the_only_owner_of_a_team_with_members_cannot_close_their_account(owner, team,
                                                                         add_member):
    from accounts.services import close_user_account

    add_member("member")

    with pytest.raises(TeamError, match="only owner of Acme"):
        close_user_account(user=owner)

    owner.refresh_from_db()
    assert owner.is_active and owner.email == "owner@example.com"
    assert Membership.objects.filter(user=owner, role="owner").exists()
