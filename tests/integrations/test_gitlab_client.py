"""The GitLab client against the fake GitLab (real HTTP): where each field lands (weight on
Premium), finding an issue again by its hidden marker, an epic's stories linked to its issue,
failures as the right TrackerError, OAuth with rotating refresh tokens, and destinations."""

from datetime import UTC, datetime, timedelta

import pytest

from integrations.fakes.gitlab import DEMO_PROJECT, DEMO_TOKEN
from integrations.models import marker_for
from integrations.trackers import Remote, TrackerError
from integrations.trackers.gitlab import GitLabTracker, check_project
from tests.builders import GOOD_STORY, finished_ticket, funded_user

pytestmark = pytest.mark.django_db

STORY = {**GOOD_STORY, "priority": "high", "labels": ["billing", "pdf, invoices"],
         "story_points": 5}


@pytest.fixture
def author(offline):
    return funded_user(tokens=50)


@pytest.fixture
def client(gitlab_connection):
    return GitLabTracker(gitlab_connection, token=DEMO_TOKEN)


def a_minute_ago() -> datetime:
    return datetime.now(UTC) - timedelta(minutes=1)


def error_of(action) -> TrackerError:
    with pytest.raises(TrackerError) as caught:
        action()
    return caught.value


@pytest.mark.parametrize("premium", [False, True])
def test_every_field_lands_where_the_preview_says(client, author, gitlab_fake, premium):
    gitlab_fake.premium = premium
    ticket = finished_ticket(author, **STORY)
    draft = client.draft(ticket)
    remote = client.create(draft)

    [issue] = gitlab_fake.issues(DEMO_PROJECT)
    assert remote == Remote(id="1", key="#1", url=issue["web_url"],
                            extra={"id": issue["id"], "project_id": issue["project_id"]})
    assert issue["title"] == STORY["title"]
    description = issue["description"]
    assert STORY["summary"] in description and f"> {STORY['user_story']}" in description
    assert description.count("- [ ] **Given** ") == len(STORY["acceptance_criteria"])
    assert "Story points: 5" in description
    assert description.rstrip().endswith(f"<!-- myba:{marker_for(ticket.public_id)} -->")
    # A comma inside a label would have split it into two labels.
    assert issue["labels"] == ["billing", "pdf  invoices", "story", "priority: high"]
    assert issue["issue_type"] == "issue"
    assert issue["weight"] == (5 if premium else None)
    # The token went as a bearer token, to the URL-encoded project.
    create = gitlab_fake.calls("POST", r"/issues$")[0]
    assert create.headers["authorization"] == f"Bearer {DEMO_TOKEN}"

    rows = {row.ours: row for row in draft.rows}
    for ours in ("Title", "Summary", "User story", "Acceptance criteria", "Priority", "Labels",
                 "Story points", "Type", "Parent"):
        assert ours in rows
    assert rows["Story points"].theirs == "weight (GitLab Premium)"
    assert rows["Priority"].value == "priority: high"


def test_finds_its_issue_by_the_hidden_marker_across_pages(client, author, gitlab_fake):
    ticket = finished_ticket(author, **STORY)
    made = client.create(client.draft(ticket))
    for number in range(120):
        gitlab_fake.add_issue(DEMO_PROJECT, title=f"Someone's issue {number}")

    assert client.find(marker_for(ticket.public_id), since=a_minute_ago()) == made
    lists = gitlab_fake.calls("GET", r"/issues$")
    assert len(lists) == 2
    assert lists[0].arg("order_by") == "created_at" and lists[0].arg("sort") == "desc"
    assert lists[0].arg("created_after")
    assert client.find(marker_for("0000000000"), since=a_minute_ago()) is None


def test_an_issue_created_before_since_is_not_found(client, author, gitlab_fake):
    ticket = finished_ticket(author, **STORY)
    client.create(client.draft(ticket))
    gitlab_fake.issues(DEMO_PROJECT)[0]["created_at"] = "2020-01-01T00:00:00.000Z"
    assert client.find(marker_for(ticket.public_id), since=a_minute_ago()) is None


def test_update_rewrites_the_issue_and_keeps_the_marker(client, author, gitlab_fake):
    ticket = finished_ticket(author, **STORY)
    made = client.create(client.draft(ticket))
    ticket.title = "Invoices download as PDF from the invoice page"
    assert client.update(made, client.draft(ticket)) == made
    [issue] = gitlab_fake.issues(DEMO_PROJECT)
    assert issue["title"] == ticket.title
    assert gitlab_fake.calls("PUT", r"/issues/1$")
    assert client.find(marker_for(ticket.public_id), since=a_minute_ago()) == made


def test_stories_are_linked_to_their_epic_once(client, author, gitlab_fake):
    epic = client.create(client.draft(finished_ticket(author, ticket_type="epic")))
    draft = client.draft(finished_ticket(author, **STORY), parent=epic)
    assert "Part of #1" in draft.payload["description"]
    parent_row = {row.ours: row for row in draft.rows}["Parent"]
    assert parent_row.theirs == "linked issue (relates to)" and "Premium" in parent_row.note
    story = client.create(draft)

    client.link_child(epic, story)
    client.link_child(epic, Remote(id=story.id, key=story.key, url=story.url))  # a retry

    project = gitlab_fake.projects[DEMO_PROJECT]
    assert project.links == {(epic.extra["id"], story.extra["id"])}
    links = gitlab_fake.calls("POST", r"/issues/1/links$")
    assert links[0].json() == {"target_project_id": project.id, "target_issue_iid": 2,
                               "link_type": "relates_to"}


@pytest.mark.parametrize(("setup", "kind", "words"), [
    (lambda fake: fake.tokens.clear(), "auth", "credentials"),
    (lambda fake: fake.projects.pop(DEMO_PROJECT), "missing", "no longer exists"),
    (lambda fake: fake.add_token(DEMO_TOKEN, DEMO_PROJECT, level=10), "auth", "may not"),
])
def test_refusals_become_the_right_error(client, author, gitlab_fake, setup, kind, words):
    draft = client.draft(finished_ticket(author, **STORY))
    setup(gitlab_fake)
    error = error_of(lambda: client.create(draft))
    assert error.kind == kind and words in error.message
    assert not any(project.issues for project in gitlab_fake.projects.values())


def test_a_validation_error_says_what_was_refused(client, author):
    draft = client.draft(finished_ticket(author, **STORY))
    draft.payload["title"] = " "
    error = error_of(lambda: client.create(draft))
    assert error.kind == "invalid" and "can't be blank" in error.message


@pytest.mark.parametrize("mode", ["429", "500", "500_after", "timeout_after", "drop_after"])
def test_passing_failures_are_retried_and_a_made_issue_found(client, author, gitlab_fake,
                                                             mode):
    ticket = finished_ticket(author, **STORY)
    gitlab_fake.fail("POST", r"/issues$", mode, retry_after=9)
    error = error_of(lambda: client.create(client.draft(ticket)))
    assert error.kind == "retry"
    assert error.retry_after == (9.0 if mode == "429" else None)
    found = client.find(marker_for(ticket.public_id), since=a_minute_ago())
    assert (found is not None) == mode.endswith("_after")


def test_the_pasted_token_offers_its_project(client, gitlab_fake):
    [destination] = client.destinations()
    host = gitlab_fake.url.split("://")[1]
    assert destination.target == {"project_id": gitlab_fake.projects[DEMO_PROJECT].id,
                                  "path": DEMO_PROJECT}
    assert destination.label == f"{DEMO_PROJECT} on {host}"
    assert gitlab_fake.calls("GET", r"/api/v4/projects/acme%2Fshop$")


@pytest.mark.parametrize(("token", "path", "kind", "words"), [
    ("glpat-wrong", DEMO_PROJECT, "auth", "credentials"),
    (DEMO_TOKEN, "acme/nothing", "missing", "Not found"),
    ("glpat-guest", DEMO_PROJECT, "auth", "Reporter role"),
])
def test_checking_a_pasted_token(gitlab_fake, token, path, kind, words):
    gitlab_fake.add_token("glpat-guest", DEMO_PROJECT, level=10)
    error = error_of(lambda: check_project(gitlab_fake.url, token, path))
    assert error.kind == kind and words in error.message


def test_oauth_lists_member_projects_and_refresh_tokens_rotate(gitlab_oauth_connection,
                                                               gitlab_fake):
    connection = gitlab_oauth_connection
    for number in range(110):
        gitlab_fake.add_project(f"acme/service-{number:03}")
        gitlab_fake.oauth_projects.add(f"acme/service-{number:03}")
    gitlab_fake.expire_access_tokens()
    stale = GitLabTracker(connection, token=connection.access_token)
    assert error_of(stale.destinations).kind == "auth"

    grant = stale.refresh()
    assert grant.refresh_token and grant.refresh_token != connection.refresh_token
    assert timedelta(minutes=119) < grant.expires_at - datetime.now(UTC) <= timedelta(hours=2)
    form = gitlab_fake.calls("POST", r"/oauth/token$")[-1].body.decode()
    assert "grant_type=refresh_token" in form and "client_secret=local-fake" in form

    fresh = GitLabTracker(connection, token=grant.access_token)
    assert len(fresh.destinations()) == 112  # acme/shop, acme/website and 110 more
    assert gitlab_fake.calls("GET", r"/api/v4/projects$")[0].arg("min_access_level") == "20"

    # The old refresh token was rotated away: using it again is refused for good.
    error = error_of(stale.refresh)
    assert error.kind == "auth" and "connect GitLab again" in error.message
    connection.refresh_token = grant.refresh_token
    assert GitLabTracker(connection, token="").refresh().access_token != grant.access_token


def test_a_pasted_token_cannot_be_refreshed(client):
    assert error_of(client.refresh).kind == "auth"
