"""The buttons under a ticket posted in Slack: one per tracker the ticket's workspace has a
working connection to; a click asks the push service (never anyone else's ticket) and
answers "Pushing to …"; when the push finishes, "Created SHOP-12" is posted back.

The push itself (the tracker's client against its fake) is tested with each tracker; here a
finished push is recorded as the sending service records it, and its signal sent."""

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.teams.models import Membership
from accounts.teams.services import create_organization
from integrations.models import Connection, Push
from integrations.services.connections import choose_target, create_connection, mark_broken
from integrations.signals import push_finished
from integrations.slack.models import SlackPost
from integrations.slack.services import NONCE_NAMESPACE, answer_ticket
from tests.builders import client_for, finished_ticket, funded_user, make_verified_user
from tests.helpers import wait_until
from tests.integrations.fixtures_slack import INTERACTIVITY_PATH, link_slack_user, send_to_myba
from tests.teams.conftest import fund_team, request_team_ticket
from tickets.services import run_ticket_generation


def connect(user, kind: str, *, label: str, target: dict, working: bool = True) -> Connection:
    connection = create_connection(owner=user, created_by=user, kind=kind, auth="token",
                                   base_url=f"https://{kind}.example", access_token="secret")
    connection = choose_target(connection=connection, target=target, label=label)
    if not working:
        mark_broken(connection=connection, problem="The token was revoked: reconnect it.")
    return connection


@pytest.fixture
def owner(offline):
    user = funded_user(5)
    link_slack_user(user)
    return user


@pytest.fixture
def ticket(owner):
    return finished_ticket(owner)


@pytest.fixture
def jira(owner):
    return connect(owner, "jira", label="SHOP on acme",
                   target={"project_key": "SHOP", "issue_type_id": "10001"})


def click(fake_slack, button: dict, **who):
    payload = fake_slack.click(button, **who)
    response = send_to_myba(client_for(), INTERACTIVITY_PATH, payload)
    assert response.status_code == 200
    return json.loads(payload["payload"])["response_url"]


def queued_answer() -> dict:
    return SlackPost.objects.latest("pk").message


def push_button(kind: str, ticket) -> dict:
    names = {"jira": "Jira", "github": "GitHub", "gitlab": "GitLab"}
    return {"type": "button", "action_id": f"push_{kind}", "value": ticket.public_id,
            "text": {"type": "plain_text", "text": f"Push to {names[kind]}"}}


def test_the_posted_ticket_has_a_button_per_working_tracker(owner, ticket, jira, fake_slack,
                                                             committing):
    connect(owner, "github", label="octo/shop", target={"repo": "octo/shop"})
    connect(owner, "gitlab", label="acme/shop", target={"project_id": 7}, working=False)
    connect(make_verified_user(), "gitlab", label="not ours", target={"project_id": 8})
    # Asked from Slack: its nonce is the command's (name-based), and a request awaits it.
    ticket.nonce = uuid.uuid5(NONCE_NAMESPACE, "T0FAKE:1.2.3")
    ticket.save(update_fields=["nonce"])
    ticket.slack_requests.create(channel_id="C0GENERAL", response_url=fake_slack.response_url(),
                                 expires_at=timezone.now() + timedelta(minutes=30))

    with committing():
        answer_ticket(ticket=ticket)

    [posted] = fake_slack.messages()
    labels = [b["text"]["text"] for b in posted.buttons]
    assert labels == ["View in MyBA", "Push to GitHub", "Push to Jira"]
    assert {b.get("value") for b in posted.buttons[1:]} == {ticket.public_id}


def test_a_click_pushes_with_the_workspaces_connection_and_the_result_is_posted(
        owner, ticket, jira, fake_slack, committing):
    response_url = click(fake_slack, push_button("jira", ticket))

    push = Push.objects.get()
    assert (push.ticket, push.connection, push.requested_by, push.state) == (
        ticket, jira, owner, Push.State.PENDING)
    assert queued_answer()["text"] == "Pushing to Jira Cloud (SHOP on acme)…"

    # The sending service finishes it and says so.
    Push.objects.filter(pk=push.pk).update(
        state=Push.State.DONE, remote_id="10042", remote_key="SHOP-12",
        remote_url="https://acme.atlassian.net/browse/SHOP-12", done_at=timezone.now())
    with committing():
        push_finished.send(sender=Push, push=Push.objects.get(pk=push.pk))
        push_finished.send(sender=Push, push=Push.objects.get(pk=push.pk))  # said twice

    [created] = fake_slack.messages(response_url)
    assert created.text == "Created SHOP-12"
    assert not created.ephemeral
    assert "<https://acme.atlassian.net/browse/SHOP-12|SHOP-12>" in (
        created.body["blocks"][0]["text"]["text"])


def test_a_failed_push_says_why_to_the_one_who_clicked(ticket, jira, fake_slack, committing):
    response_url = click(fake_slack, push_button("jira", ticket))
    push = Push.objects.get()
    Push.objects.filter(pk=push.pk).update(state=Push.State.FAILED,
                                           error="Jira refused the issue: Summary is required.")
    with committing():
        push_finished.send(sender=Push, push=Push.objects.get(pk=push.pk))

    [answer] = fake_slack.messages(response_url)
    assert answer.ephemeral
    assert "Could not push" in answer.text and "Summary is required" in answer.text


def test_another_persons_ticket_cannot_be_pushed_from_slack(ticket, jira, fake_slack):
    stranger = funded_user(5)
    link_slack_user(stranger, user_id="U0STRANGER")
    connect(stranger, "jira", label="THEIRS", target={"project_key": "T"})

    click(fake_slack, push_button("jira", ticket), user_id="U0STRANGER")

    assert not Push.objects.exists()
    assert queued_answer()["text"] == "This ticket is not in your MyBA workspace."


def test_a_teammate_pushes_a_team_ticket_with_the_teams_connection(fake_slack, offline):
    admin = funded_user(5)
    team = create_organization(user=admin, name="Acme")
    fund_team(team, 10)
    ticket = request_team_ticket(team, admin)
    run_ticket_generation(ticket_id=ticket.pk)
    team_jira = create_connection(organization=team, created_by=admin, kind="jira",
                                  auth="token", base_url="https://jira.example")
    choose_target(connection=team_jira, target={"project_key": "ACME"}, label="ACME")
    teammate, viewer = make_verified_user(), make_verified_user()
    Membership.objects.create(organization=team, user=teammate, role="member")
    Membership.objects.create(organization=team, user=viewer, role="viewer")
    link_slack_user(teammate, user_id="U0MATE")  # linked to their personal account
    link_slack_user(viewer, user_id="U0VIEWER")

    click(fake_slack, push_button("jira", ticket), user_id="U0VIEWER")
    assert not Push.objects.exists()  # viewers read, they do not push
    click(fake_slack, push_button("jira", ticket), user_id="U0MATE")

    push = Push.objects.get()
    assert (push.connection, push.requested_by) == (team_jira, teammate)


def test_an_unlinked_clicker_is_asked_to_link_first(ticket, jira, fake_slack):
    click(fake_slack, push_button("jira", ticket), user_id="U0NEW")
    assert not Push.objects.exists()
    assert "link your MyBA account" in queued_answer()["text"]


def test_without_a_working_connection_of_that_kind_it_says_where_to_set_one_up(
        owner, ticket, fake_slack):
    connect(owner, "github", label="octo/shop", target={"repo": "octo/shop"}, working=False)
    click(fake_slack, push_button("github", ticket))
    assert not Push.objects.exists()
    assert "no working GitHub connection" in queued_answer()["text"]
    assert "https://myba.test/account/connections/" in queued_answer()["text"]


@pytest.mark.django_db(transaction=True)
def test_from_slack_to_a_github_issue_and_back_with_a_real_worker(fake_slack, offline, settings,
                                                                   celery_worker):
    """The whole way: the ticket posted in Slack, "Push to GitHub", the worker sends it to
    the GitHub fake, and "Created #1" comes back to the one who clicked. (Runs once the
    GitHub client and its fake are merged.)"""
    pytest.importorskip("integrations.fakes.github")
    pytest.importorskip("integrations.trackers.github")
    from tests.integrations.pushing import REPO, connect_github, start_github

    github = start_github(settings)
    try:
        user = funded_user(5)
        link_slack_user(user)
        connect_github(user)
        command = fake_slack.command("Let shoppers save their cart and come back to it later")
        send_to_myba(client_for(), "/integrations/slack/commands/", command)
        posted = wait_until(lambda: [m for m in fake_slack.messages(command["response_url"])
                                     if m.buttons])[0]
        button = next(b for b in posted.buttons if b["action_id"] == "push_github")

        response_url = click(fake_slack, button)

        created = wait_until(lambda: [m for m in fake_slack.messages(response_url)
                                      if m.text.startswith("Created")],
                             message=lambda: f"{fake_slack.messages(response_url)}")
        [issue] = github.issues(REPO)
        assert created[0].text == f"Created #{issue['number']}"
        assert fake_slack.messages(response_url)[0].text.startswith("Pushing to GitHub")
    finally:
        github.stop()


@pytest.mark.django_db(transaction=True)
def test_from_slack_to_a_jira_issue_and_back_with_a_real_worker(fake_slack, jira_fake, offline,
                                                                 celery_worker):
    """The whole way with Jira: "Push to Jira" under the posted ticket, the worker creates
    the issue on the Jira fake, "Created SHOP-1" comes back; clicking again makes no second
    issue."""
    from tests.integrations.fixtures_jira import jira_connection_to

    user = funded_user(5)
    link_slack_user(user)
    jira_connection_to(jira_fake, user)
    command = fake_slack.command("Let shoppers save their cart and come back to it later")
    send_to_myba(client_for(), "/integrations/slack/commands/", command)
    posted = wait_until(lambda: [m for m in fake_slack.messages(command["response_url"])
                                 if m.buttons])[0]
    button = next(b for b in posted.buttons if b["action_id"] == "push_jira")

    response_url = click(fake_slack, button)

    created = wait_until(lambda: [m for m in fake_slack.messages(response_url)
                                  if m.text.startswith("Created")],
                         message=lambda: f"{fake_slack.messages(response_url)}")
    [issue] = jira_fake.issues(jira_fake.demo)
    assert created[0].text == f"Created {issue['key']}"
    assert f"{jira_fake.demo.url}/browse/{issue['key']}" in (
        created[0].body["blocks"][0]["text"]["text"])

    again = click(fake_slack, button)
    [already] = wait_until(lambda: fake_slack.messages(again))
    assert already.text == f"Created {issue['key']}"
    assert len(jira_fake.issues(jira_fake.demo)) == 1
    assert not Push.objects.exclude(state=Push.State.DONE).exists()
