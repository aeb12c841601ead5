"""A team's API keys: made by its owners and admins, paying from the pool within the team's
budget, their tickets in the team's library and their spending on the team's usage page."""

from django.urls import reverse

from accounts.apikeys.models import ApiKey
from accounts.apikeys.services import create_api_key
from tests.api.conftest import ALL_SCOPES, ApiClient, error_of
from tests.builders import DESCRIPTION, client_for
from tickets.models import Ticket


def in_team(user, team):
    client = client_for(user)
    client.post(reverse("teams:switch"), {"workspace": team.slug})
    return client


def test_an_admin_makes_a_team_key_that_pays_from_the_pool(team, add_member, committing,
                                                           offline):
    admin = add_member("admin")
    client = in_team(admin, team)
    client.post("/account/api-keys/", {"name": "Team CI", "scopes": ALL_SCOPES})
    secret = client.get("/account/api-keys/").context["issued"]["secret"]
    key = ApiKey.objects.get()
    assert key.organization == team and key.owner == admin
    api = ApiClient(secret, committing)
    made = api.post("/tickets", {"description": DESCRIPTION})
    assert made.status_code == 202
    ticket = Ticket.objects.get(public_id=made.json()["id"])
    assert ticket.organization == team and ticket.token_account == team.token_account
    assert api.get("/balance").json()["available"] == 100 - ticket.cost
    member = add_member("member")
    library = in_team(member, team).get("/tickets/")
    assert ticket.public_id.encode() in library.content
    usage = in_team(admin, team).get(f"/teams/{team.slug}/usage/")
    assert "API key “Team CI”".encode() in usage.content


def test_members_and_viewers_cannot_make_or_revoke_team_keys(team, owner, add_member):
    key = create_api_key(actor=owner, organization=team, name="Owner's", scopes=ALL_SCOPES).key
    for role in ("member", "viewer"):
        client = in_team(add_member(role), team)
        page = client.get("/account/api-keys/")
        assert b"Only Acme's owners and admins" in page.content
        client.post("/account/api-keys/", {"name": "Mine", "scopes": ALL_SCOPES})
        assert client.post(f"/account/api-keys/{key.pk}/revoke/").status_code == 404
    assert ApiKey.objects.count() == 1 and ApiKey.objects.get().revoked_at is None


def test_the_teams_monthly_budget_binds_its_keys(team, owner, committing, offline):
    team.monthly_budget = 1
    team.save()
    api = ApiClient(create_api_key(actor=owner, organization=team, name="CI",
                                   scopes=ALL_SCOPES).secret, committing)
    assert api.post("/tickets", {"description": DESCRIPTION}).status_code == 202
    refused = api.post("/tickets", {"description": DESCRIPTION})
    assert refused.status_code == 402
    assert error_of(refused)["details"]["limit"] == "The team's monthly budget"


def test_a_personal_key_never_sees_the_teams_tickets(team, owner, committing, offline):
    team_api = ApiClient(create_api_key(actor=owner, organization=team, name="Team",
                                        scopes=ALL_SCOPES).secret, committing)
    personal = ApiClient(create_api_key(actor=owner, name="Mine", scopes=ALL_SCOPES).secret)
    made = team_api.post("/tickets", {"description": DESCRIPTION}).json()["id"]
    assert personal.get(f"/tickets/{made}").status_code == 404
    assert personal.get("/tickets").json()["tickets"] == []
