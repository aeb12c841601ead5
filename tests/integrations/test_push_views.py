"""The pages around pushing: Connections, choosing a destination, the preview (every field
and where it goes), Create / Update, the ticket page's card, the library's "Send selected",
and that nobody reaches another workspace's tickets or connections."""

import json

import pytest

from integrations.models import Connection, Push
from integrations.services.connections import create_connection
from tests.builders import client_for, finished_ticket, funded_user
from tests.integrations.pushing import REPO, TOKEN, connect_github, issues_by_marker

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_preview_shows_each_field_and_creating_sends_it_once(github, owner, committing):
    ticket = finished_ticket(owner)
    connection = connect_github(owner)
    client = client_for(owner)
    page = client.get(f"/tickets/{ticket.public_id}/push/?connection={connection.pk}")
    html = page.content.decode()
    assert page.status_code == 200
    for field in ("Title", "User story", "Acceptance criteria", "Priority", "Story points"):
        assert f'<th scope="row">{field}</th>' in html
    assert "Create 1 issue in acme/shop" in html
    assert not github.requests  # the preview asks the tracker nothing
    with committing():
        answer = client.post(f"/tickets/{ticket.public_id}/push/",
                             {"connection": connection.pk, "action": "create"})
        answer = client.post(f"/tickets/{ticket.public_id}/push/",
                             {"connection": connection.pk, "action": "create"})
    assert answer.status_code == 302
    assert issues_by_marker(github) == {f"myba-{ticket.public_id}": 1}
    push = Push.objects.get(ticket=ticket)
    card = client.get(f"/tickets/{ticket.public_id}/").content.decode()
    assert f'href="{push.remote_url}"' in card and push.remote_key in card


def test_an_edited_ticket_is_offered_an_update(github, owner, committing):
    ticket = finished_ticket(owner)
    connection = connect_github(owner)
    client = client_for(owner)
    with committing():
        client.post(f"/tickets/{ticket.public_id}/push/", {"connection": connection.pk,
                                                            "action": "create"})
    assert "data-push-offer-update" not in client.get(
        f"/tickets/{ticket.public_id}/").content.decode()
    ticket.title = "Export invoices as CSV by month"
    ticket.save(update_fields=["title"])
    assert "Update the existing issue" in client.get(
        f"/tickets/{ticket.public_id}/").content.decode()
    preview = client.get(f"/tickets/{ticket.public_id}/push/?connection={connection.pk}")
    assert "data-push-update" in preview.content.decode()
    assert "data-push-create" not in preview.content.decode()
    with committing():
        client.post(f"/tickets/{ticket.public_id}/push/", {"connection": connection.pk,
                                                            "action": "update"})
    [issue] = github.issues(REPO)
    assert issue["title"] == "Export invoices as CSV by month"


def test_the_library_sends_several_at_once(github, owner, committing):
    tickets = [finished_ticket(owner) for _ in range(3)]
    connection = connect_github(owner)
    client = client_for(owner)
    library = client.get("/tickets/").content.decode()
    assert "Send selected to:" in library and f'value="{connection.pk}"' in library
    ids = [t.public_id for t in tickets[:2]]
    preview = client.get("/tickets/push/", {"ids": ids, "connection": connection.pk})
    assert preview.content.decode().count("data-preview=") == 2
    with committing():
        client.post("/tickets/push/", {"ids": ids, "connection": connection.pk,
                                       "action": "create"})
    assert set(issues_by_marker(github)) == {f"myba-{pid}" for pid in ids}


def test_nobody_reaches_another_workspaces_tickets_or_connections(github, owner):
    mine = finished_ticket(owner)
    connection = connect_github(owner)
    stranger = funded_user(5)
    theirs = finished_ticket(stranger)
    client = client_for(stranger)
    assert client.get(f"/tickets/{mine.public_id}/push/").status_code == 404
    assert client.post(f"/tickets/{mine.public_id}/push/", {
        "connection": connection.pk, "action": "create"}).status_code == 404
    # Their own ticket, my connection: not theirs to use.
    assert client.get(f"/tickets/{theirs.public_id}/push/?connection={connection.pk}"
                      ).status_code == 404
    assert client.post(f"/tickets/{theirs.public_id}/push/", {
        "connection": connection.pk, "action": "create"}).status_code == 404
    assert client.get(f"/account/connections/{connection.pk}/target/").status_code == 404
    assert client.post(f"/account/connections/{connection.pk}/delete/").status_code == 404
    assert Connection.objects.filter(pk=connection.pk).exists()
    assert not Push.objects.exists() and not github.issues(REPO)


def test_choosing_a_destination(github, owner):
    connection = create_connection(owner=owner, created_by=owner, kind="github",
                                   auth="token", base_url=github.url, access_token=TOKEN,
                                   account_ref=REPO)
    client = client_for(owner)
    page = client.get("/account/connections/")
    assert "Choose destination" in page.content.decode()
    target = client.get(f"/account/connections/{connection.pk}/target/")
    assert REPO in target.content.decode()
    refused = client.post(f"/account/connections/{connection.pk}/target/",
                          {"target": json.dumps({"repo": "evil/elsewhere"})})
    assert refused.status_code == 400
    assert "Choose one of the destinations listed." in refused.content.decode()
    connection.refresh_from_db()
    assert connection.health == Connection.Health.NEEDS_TARGET and not connection.target
    chosen = client.post(f"/account/connections/{connection.pk}/target/",
                         {"target": json.dumps({"repo": REPO}, separators=(",", ":"))})
    assert chosen.status_code == 302
    connection.refresh_from_db()
    assert connection.target == {"repo": REPO} and connection.health == Connection.Health.OK


def test_a_broken_connection_says_why_and_offers_to_reconnect(github, owner):
    connection = connect_github(owner)
    Connection.objects.filter(pk=connection.pk).update(
        health=Connection.Health.BROKEN, problem="GitHub no longer accepts this token.")
    html = client_for(owner).get("/account/connections/").content.decode()
    assert "GitHub no longer accepts this token." in html
    assert f"?reconnect={connection.pk}" in html


def test_no_connection_yet_points_to_connections(owner):
    ticket = finished_ticket(owner)
    client = client_for(owner)
    assert "connect a tracker" in client.get(f"/tickets/{ticket.public_id}/").content.decode()
    page = client.get(f"/tickets/{ticket.public_id}/push/").content.decode()
    assert "No tracker connected" in page
