"""Pushing to Jira Cloud through the push service (integrations.services), against the fake
Jira over real HTTP: bulk creates that lose their answer still make one issue per ticket,
an epic's stories become its children, and an expired token is refreshed once however many
workers need it (refresh tokens rotate)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import Connection, Push
from integrations.services.pushing import request_pushes
from integrations.services.sending import send_pushes
from tests.builders import client_for, finished_ticket
from tests.helpers import race
from tests.integrations.fixtures_jira import jira_connection_to
from tests.integrations.pushing import copies

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fast(settings):
    settings.INTEGRATIONS_TIMEOUT_SECONDS = 0.4
    settings.PUSH_RETRY_DELAYS = [0.0] * 7


def drive(push_ids: list[int], *, rounds: int = 12) -> None:
    """Play the worker: send every due push of the batch together, until none is pending."""
    for _ in range(rounds):
        pending = list(Push.objects.filter(pk__in=push_ids, state=Push.State.PENDING)
                       .order_by("pk").values_list("pk", flat=True))
        if not pending:
            return
        send_pushes(push_ids=pending)


def markers(fake) -> dict[str, int]:
    counts: dict[str, int] = {}
    for issue in fake.issues(fake.demo):
        for label in issue["fields"].get("labels", []):
            if label.startswith("myba-"):
                counts[label] = counts.get(label, 0) + 1
    return counts


@pytest.mark.parametrize("fault", ["timeout_after", "drop_after", "500_after", "429"])
def test_a_bulk_create_that_loses_its_answer_makes_each_issue_once(jira_fake, owner, fast,
                                                                   fault):
    tickets = copies(finished_ticket(owner), 3)
    connection = jira_connection_to(jira_fake, owner)
    pushes = request_pushes(user=owner, tickets=tickets, connection=connection)
    jira_fake.fail("POST", r"/issue/bulk$", fault)

    drive([p.pk for p in pushes])

    assert markers(jira_fake) == {f"myba-{t.public_id}": 1 for t in tickets}
    done = Push.objects.filter(pk__in=[p.pk for p in pushes], state=Push.State.DONE)
    assert sorted(done.values_list("remote_key", flat=True)) == ["SHOP-1", "SHOP-2", "SHOP-3"]
    assert all(p.remote_url.endswith(f"/browse/{p.remote_key}") for p in done)


def test_an_epic_is_an_epic_and_its_stories_are_its_children(jira_fake, owner, fast):
    epic = finished_ticket(owner, ticket_type="epic")
    stories = copies(finished_ticket(owner), 2)
    for position, story in enumerate(stories, start=1):
        story.parent, story.position = epic, position
        story.save(update_fields=["parent", "position"])
    pushes = request_pushes(user=owner, tickets=[epic], connection=jira_connection_to(
        jira_fake, owner))

    drive([p.pk for p in pushes])

    issues = {i["fields"]["labels"][0]: i for i in jira_fake.issues(jira_fake.demo)}
    epic_issue = issues[f"myba-{epic.public_id}"]
    assert epic_issue["fields"]["issuetype"] == {"id": "10000"}  # SHOP's Epic type
    for story in stories:
        child = issues[f"myba-{story.public_id}"]["fields"]
        assert child["issuetype"] == {"id": "10001"}
        assert child["parent"] == {"key": epic_issue["key"]}


def test_an_expired_token_is_refreshed_once_for_concurrent_pushes(jira_fake, owner, fast):
    tickets = copies(finished_ticket(owner), 2)
    connection = jira_connection_to(jira_fake, owner)
    old_refresh = connection.refresh_token
    Connection.objects.filter(pk=connection.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1))
    jira_fake.expire_tokens()
    pushes = request_pushes(user=owner, tickets=tickets, connection=connection)

    race(*[lambda push=push: send_pushes(push_ids=[push.pk]) for push in pushes])
    drive([p.pk for p in pushes])

    refreshes = [r for r in jira_fake.calls("POST", r"/oauth/token$")
                 if r.json()["grant_type"] == "refresh_token"]
    assert len(refreshes) == 1
    connection.refresh_from_db()
    assert connection.health == "ok"
    assert connection.refresh_token != old_refresh
    assert old_refresh not in jira_fake.refresh_tokens  # rotated: the old one is dead
    assert markers(jira_fake) == {f"myba-{t.public_id}": 1 for t in tickets}


def test_a_revoked_grant_breaks_the_connection_with_a_reason(jira_fake, owner, fast):
    ticket = finished_ticket(owner)
    connection = jira_connection_to(jira_fake, owner)
    Connection.objects.filter(pk=connection.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1))
    jira_fake.refresh_tokens.clear()  # revoked in the user's Atlassian account
    [push] = request_pushes(user=owner, tickets=[ticket], connection=connection)

    drive([push.pk])

    connection.refresh_from_db()
    push.refresh_from_db()
    assert connection.health == "broken"
    assert "Reconnect" in connection.problem
    assert push.state == Push.State.FAILED
    assert jira_fake.issues(jira_fake.demo) == []


def test_the_preview_shows_where_each_field_lands_and_what_jira_requires(jira_fake, owner):
    jira_fake.add_field(jira_fake.demo, "SHOP", "Story", {
        "fieldId": "customfield_10050", "key": "customfield_10050", "name": "Team",
        "required": True, "hasDefaultValue": False, "operations": ["set"],
        "schema": {"type": "team", "custom": "com.atlassian.teams"}})
    ticket = finished_ticket(owner)
    connection = jira_connection_to(jira_fake, owner)

    page = client_for(owner).get(reverse("integrations:preview", args=[ticket.public_id]),
                                 {"connection": connection.pk}).content.decode()

    for where in ("Story Points", "Acceptance Criteria", "Summary", "Labels", "Priority"):
        assert where in page
    assert f"myba-{ticket.public_id}" in page
    assert "Required by Jira" in page and "Team" in page
    assert jira_fake.calls("POST", r"/issue") == []
