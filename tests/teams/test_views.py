"""The team pages through Django's test client: who may open what, what a bad form does,
the workspace switch, generating from the pool, and moving a ticket in."""

import pytest
from django.urls import reverse

from accounts.teams.models import Invitation, Membership, Organization, TeamEvent
from accounts.teams.services import invitation_token, invite_member
from tests.builders import client_for, funded_user, make_verified_user, ticket_form
from tests.helpers import PASSWORD
from tickets.models import Ticket
from tickets.quotes import ticket_price

NEW = reverse("tickets:new")


def in_workspace(user, team):
    client = client_for(user)
    assert client.post(reverse("teams:switch"), {"workspace": team.slug}).status_code == 302
    return client


def test_creating_a_team_makes_you_its_owner_and_works_in_it(owner, prices):
    client = client_for(owner)
    assert "not in a team yet" in client.get(reverse("teams:list")).content.decode()

    response = client.post(reverse("teams:list"), {"name": "Platform Guild"})

    team = Organization.objects.get()
    assert response["Location"] == reverse("teams:detail", args=["platform-guild"])
    assert Membership.objects.get(organization=team).role == "owner"
    page = client.get(response["Location"]).content.decode()
    assert "Current workspace" in page and "Invite someone" in page


@pytest.mark.parametrize("name, error", [("   ", "This field is required"),
                                         ("Switch", "Choose another short name")])
def test_a_bad_team_name_is_refused_and_nothing_is_written(owner, prices, name, error):
    response = client_for(owner).post(reverse("teams:list"), {"name": name})

    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Organization.objects.exists()


def test_a_taken_address_is_refused(owner, team):
    response = client_for(owner).post(reverse("teams:list"), {"name": "ACME"})

    assert response.status_code == 400
    assert "/teams/acme/ is taken" in response.content.decode()
    assert Organization.objects.count() == 1


ROUTES = [  # (name, method, needs a member id, the least role that may: any, manager, owner)
    ("detail", "get", False, "any"),
    ("usage", "get", False, "any"),
    ("audit", "get", False, "manager"),
    ("invite", "post", False, "manager"),
    ("budget", "post", False, "manager"),
    ("role", "post", True, "manager"),
    ("limits", "post", True, "manager"),
    ("remove", "post", True, "manager"),
    ("transfer", "post", True, "owner"),
]


RANK = {"viewer": 0, "member": 0, "any": 0, "admin": 1, "manager": 1, "owner": 2}


@pytest.mark.parametrize("name, method, member_arg, needs", ROUTES)
@pytest.mark.parametrize("role", ["outsider", "viewer", "member", "admin"])
def test_each_team_route_answers_by_role(team, add_member, name, method, member_arg, needs,
                                         role):
    target = Membership.objects.get(user=add_member("member", email="target@example.com"))
    user = make_verified_user() if role == "outsider" else add_member(role)
    args = [team.slug, target.pk] if member_arg else [team.slug]
    before = TeamEvent.objects.count()

    response = getattr(client_for(user), method)(reverse(f"teams:{name}", args=args), {})

    if role == "outsider":
        assert response.status_code == 404  # a team's existence is not revealed
    elif RANK[role] < RANK[needs]:
        assert response.status_code == 403
        assert "owner" in response.content.decode()
    else:
        assert response.status_code in (200, 302, 400)
    if response.status_code in (403, 404):
        assert TeamEvent.objects.count() == before


def test_an_admin_cannot_remove_or_demote_the_owner(owner, team, add_member):
    admin = client_for(add_member("admin"))
    mine = Membership.objects.get(user=owner)

    removed = admin.post(reverse("teams:remove", args=[team.slug, mine.pk]))
    demoted = admin.post(reverse("teams:role", args=[team.slug, mine.pk]),
                         {f"m{mine.pk}-role": "viewer"})

    assert removed.status_code == demoted.status_code == 403
    assert Membership.objects.get(user=owner).role == "owner"


def test_the_last_owner_cannot_leave(owner, team):
    response = client_for(owner).post(reverse("teams:leave", args=[team.slug]))

    assert response.status_code == 400
    assert "transfer ownership before leaving" in response.content.decode()
    assert Membership.objects.filter(user=owner).exists()


@pytest.mark.parametrize("daily, message", [("-1", "greater than or equal to 0"),
                                            ("5000000", "less than or equal to 1000000"),
                                            ("lots", "Enter a whole number")])
def test_a_bad_limit_is_refused_with_the_reason(owner, team, add_member, daily, message):
    member = Membership.objects.get(user=add_member("member"))

    response = client_for(owner).post(reverse("teams:limits", args=[team.slug, member.pk]),
                                      {f"m{member.pk}-daily_limit": daily})

    assert response.status_code == 400
    assert message in response.content.decode()
    member.refresh_from_db()
    assert member.daily_limit is None
    assert not TeamEvent.objects.filter(action="limits_changed").exists()


def test_limits_and_budget_are_saved_and_audited(owner, team, add_member):
    member = Membership.objects.get(user=add_member("member"))
    client = client_for(owner)

    client.post(reverse("teams:limits", args=[team.slug, member.pk]),
                {f"m{member.pk}-daily_limit": "4", f"m{member.pk}-monthly_limit": ""})
    client.post(reverse("teams:budget", args=[team.slug]), {"monthly_budget": "250"})

    member.refresh_from_db()
    team.refresh_from_db()
    assert (member.daily_limit, member.monthly_limit, team.monthly_budget) == (4, None, 250)
    audit = client.get(reverse("teams:audit", args=[team.slug])).content.decode()
    assert "Changed the limits of" in audit and "daily: 4" in audit
    assert "Changed the team&#x27;s monthly budget" in audit


def test_inviting_a_bad_address_changes_nothing(owner, team):
    response = client_for(owner).post(reverse("teams:invite", args=[team.slug]),
                                      {"email": "not-an-address", "role": "member"})

    assert response.status_code == 400
    assert "Enter a valid email address" in response.content.decode()
    assert not Invitation.objects.exists()


def test_an_invitation_link_signs_up_and_joins(owner, team, committing, mailoutbox):
    with committing():
        client_for(owner).post(reverse("teams:invite", args=[team.slug]),
                               {"email": "New.Hire@example.com", "role": "member"})
    link = next(line for line in mailoutbox[0].body.splitlines() if "/teams/invitations/" in line)
    path = link[link.index("/teams/invitations/"):].strip()

    visitor = client_for()
    page = visitor.get(path).content.decode()
    assert "Join Acme" in page and "Sign up with new.hire@example.com" in page
    # The invited address needs no second confirmation: the link came to that inbox.
    signed_up = visitor.post(f"/accounts/signup/?next={path}", {
        "email": "new.hire@example.com", "password1": PASSWORD, "password2": PASSWORD,
        "next": path})
    assert signed_up["Location"] == path
    joined = visitor.post(path)

    assert joined["Location"] == reverse("teams:detail", args=[team.slug])
    membership = Membership.objects.get(user__email="new.hire@example.com")
    assert membership.role == "member"
    assert len(mailoutbox) == 1  # the invitation only: no confirmation email was needed
    assert visitor.post(path).status_code == 400  # used


def test_an_invitation_for_someone_else_changes_nothing(owner, team, tasks_inline):
    invitation = invite_member(actor=owner, organization=team, email="a@example.com",
                               role="member")
    path = reverse("teams:invitation", args=[invitation_token(invitation)])
    stranger = client_for(make_verified_user(email="b@example.com"))

    page = stranger.get(path).content.decode()
    refused = stranger.post(path)

    assert "This invitation is for a@example.com; you are signed in as b@example.com" in page
    assert refused.status_code == 400
    assert not Membership.objects.filter(user__email="b@example.com").exists()


def test_a_tampered_invitation_link_is_not_found(db):
    response = client_for().get(reverse("teams:invitation", args=["forged:token"]))

    assert response.status_code == 404
    assert "not valid any more" in response.content.decode()


def test_generating_in_a_team_spends_the_pool_within_the_members_limit(team, add_member,
                                                                       offline):
    price = ticket_price("standard")
    member = add_member("member", daily_limit=price)
    client = in_workspace(member, team)

    first = client.post(NEW, ticket_form())
    refused = client.post(NEW, ticket_form())

    ticket = Ticket.objects.get()
    assert first.status_code == 302
    assert (ticket.organization, ticket.token_account) == (team, team.token_account)
    assert refused.status_code == 200
    assert "Your daily limit of 1 token is reached: 0 left, this needs 1" in (
        refused.content.decode().replace("\n", " "))
    assert Ticket.objects.count() == 1
    team.token_account.refresh_from_db()
    assert team.token_account.available == 100 - price


def test_a_viewer_reads_but_cannot_generate(team, add_member, offline):
    viewer = in_workspace(add_member("viewer"), team)

    page = viewer.get(NEW).content.decode()
    response = viewer.post(NEW, ticket_form())

    assert "you can read its tickets but not spend its tokens" in page
    assert "data-generate-button" not in page  # no button that cannot work
    assert "not spend its tokens" in response.content.decode()
    assert not Ticket.objects.exists()


def test_the_header_shows_the_pool_in_a_team_workspace(team, add_member):
    member = add_member("member")
    client = in_workspace(member, team)

    badge = client.get(reverse("accounts:balance_badge")).content.decode()

    assert 'data-balance="100"' in badge and "Acme" in badge
    assert reverse("teams:usage", args=[team.slug]) in badge
    usage = client.get(reverse("accounts:usage")).content.decode()
    assert "this page is about your personal tokens" in usage


def test_a_member_sees_team_tickets_and_changes_only_their_own(team, add_member, offline,
                                                               committing):
    author, other = add_member("member"), add_member("member")
    with committing():
        in_workspace(author, team).post(NEW, ticket_form())
    ticket = Ticket.objects.get()
    other_client = in_workspace(other, team)

    library = other_client.get(reverse("tickets:list")).content.decode()
    edit = other_client.get(reverse("tickets:edit", args=[ticket.public_id]))

    assert ticket.public_id in library and "Acme’s tickets" in library
    assert f"by {author.email}" in library
    assert edit.status_code == 403
    assert client_for(author).get(
        reverse("tickets:delete", args=[ticket.public_id])).status_code == 200


def test_leaving_hides_the_teams_tickets(team, add_member, offline):
    member = add_member("member")
    client = in_workspace(member, team)
    client.post(NEW, ticket_form())
    ticket = Ticket.objects.get()

    client.post(reverse("teams:leave", args=[team.slug]))

    assert client.get(reverse("tickets:detail", args=[ticket.public_id])).status_code == 404
    assert ticket.public_id not in client.get(reverse("tickets:list")).content.decode()


def test_moving_a_personal_ticket_into_the_team(team, add_member, offline):
    member = add_member("member")
    funded = funded_user(5, email="solo@example.com")
    Membership.objects.create(organization=team, user=funded, role="member")
    client = client_for(funded)
    client.post(NEW, ticket_form())
    ticket = Ticket.objects.get()

    client.post(reverse("tickets:move", args=[ticket.public_id]), {"team": "acme"})

    ticket.refresh_from_db()
    assert ticket.organization == team
    assert client_for(member).get(
        reverse("tickets:detail", args=[ticket.public_id])).status_code == 200
    assert TeamEvent.objects.filter(action="ticket_moved", subject=ticket.public_id).count() == 1


def test_team_usage_adds_up_to_the_pools_spending(team, add_member, offline, committing):
    first, second = add_member("member", email="first@example.com"), add_member("member")
    for user, count in ((first, 2), (second, 1)):
        client = in_workspace(user, team)
        for _ in range(count):
            with committing():
                # The same description each time: past the duplicate warning.
                client.post(NEW, ticket_form(duplicate_ok="on"))

    page = client_for(first).get(reverse("teams:usage", args=[team.slug])).content.decode()

    price = ticket_price("standard")
    team.token_account.refresh_from_db()
    assert 100 - team.token_account.balance == 3 * price
    assert f'data-total-spent>{3 * price}<' in page
    row = page[page.index('data-usage-row="first@example.com"'):]
    assert f"data-spent>{2 * price}<" in row[:400]

    # Someone who left still accounts for what they spent.
    client_for(first).post(reverse("teams:leave", args=[team.slug]))
    page = client_for(second).get(reverse("teams:usage", args=[team.slug])).content.decode()
    row = page[page.index('data-usage-row="first@example.com"'):]
    assert f"data-spent>{2 * price}<" in row[:400] and "Left the team" in row[:600]
    assert f'data-total-spent>{3 * price}<' in page



def test_a_viewer_sees_a_team_ticket_without_the_buttons_that_change_it(team, add_member,
                                                                        offline, committing):
    author, viewer = add_member("member"), add_member("viewer")
    with committing():
        in_workspace(author, team).post(NEW, ticket_form())
    ticket = Ticket.objects.get()
    path = reverse("tickets:detail", args=[ticket.public_id])

    as_viewer = client_for(viewer).get(path).content.decode()
    as_author = client_for(author).get(path).content.decode()

    edit = reverse("tickets:edit", args=[ticket.public_id])
    assert edit not in as_viewer and edit in as_author
    assert "Copy as Markdown" in as_viewer  # reading and exporting stay open
    assert client_for(viewer).post(reverse("tickets:improve", args=[ticket.public_id]),
                                   {"nonce": "x"}).status_code == 403
    assert client_for(viewer).post(reverse("tickets:rate", args=[ticket.public_id]),
                                   {"helpful": "no"}).status_code == 403


def test_an_invitation_to_your_address_can_be_accepted_from_the_teams_page(owner, team):
    invitation = invite_member(actor=owner, organization=team, email="me@example.com",
                               role="member")
    me = client_for(make_verified_user(email="me@example.com"))
    stranger = client_for(make_verified_user(email="other@example.com"))

    assert "Join Acme" in me.get(reverse("teams:list")).content.decode()
    assert stranger.post(reverse("teams:join", args=[invitation.pk])).status_code == 404
    joined = me.post(reverse("teams:join", args=[invitation.pk]))

    assert joined["Location"] == reverse("teams:detail", args=[team.slug])
    assert Membership.objects.filter(user__email="me@example.com", role="member").exists()
    assert not Membership.objects.filter(user__email="other@example.com").exists()
