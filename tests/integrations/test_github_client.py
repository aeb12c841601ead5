"""The GitHub client against the fake GitHub (real HTTP): where each of a ticket's fields lands,
finding an issue again by its hidden marker, sub-issues for an epic's stories, every failure
as the TrackerError the push service acts on, app installation tokens and destinations."""

from datetime import UTC, datetime, timedelta

import pytest

from integrations.fakes.github import DEMO_REPO, DEMO_TOKEN
from integrations.models import marker_for
from integrations.trackers import Remote, TrackerError
from integrations.trackers.github import GitHubTracker, check_repository
from tests.builders import GOOD_STORY, finished_ticket, funded_user

pytestmark = pytest.mark.django_db

STORY = {**GOOD_STORY, "priority": "high", "labels": ["billing", "pdf"], "story_points": 5}


@pytest.fixture
def author(offline):
    return funded_user(tokens=50)


@pytest.fixture
def client(github_connection):
    return GitHubTracker(github_connection, token=DEMO_TOKEN)


def a_minute_ago() -> datetime:
    return datetime.now(UTC) - timedelta(minutes=1)


def error_of(action) -> TrackerError:
    with pytest.raises(TrackerError) as caught:
        action()
    return caught.value


def test_every_field_lands_where_the_preview_says(client, author, github_fake):
    ticket = finished_ticket(author, **STORY)
    draft = client.draft(ticket)
    remote = client.create(draft)

    issue = github_fake.issues(DEMO_REPO)[0]
    assert remote == Remote(id="1", key="#1", url=issue["html_url"],
                            extra={"id": issue["id"], "node_id": issue["node_id"]})
    assert issue["title"] == STORY["title"]
    body = issue["body"]
    assert STORY["summary"] in body
    assert f"> {STORY['user_story']}" in body
    criterion = STORY["acceptance_criteria"][0]
    assert (f"- [ ] **Given** {criterion['given']} **when** {criterion['when']} "
            f"**then** {criterion['then']}") in body
    assert "Story points: 5" in body and "Priority: High" in body and "Type: Story" in body
    assert body.rstrip().endswith(f"<!-- myba:{marker_for(ticket.public_id)} -->")
    assert [label["name"] for label in issue["labels"]] == [
        "billing", "pdf", "story", "priority: high"]
    # The request carried GitHub's media type and API version.
    create = github_fake.calls("POST", r"/issues$")[0]
    assert create.headers["accept"] == "application/vnd.github+json"
    assert create.headers["x-github-api-version"] == "2022-11-28"

    rows = {row.ours: row for row in draft.rows}
    for ours in ("Title", "Summary", "User story", "Acceptance criteria", "Priority", "Labels",
                 "Story points", "Type", "Parent"):
        assert ours in rows
    assert rows["Story points"].theirs == "body"
    assert rows["Story points"].note == "GitHub issues have no estimate field"
    assert rows["Priority"].value == "priority: high"
    assert not rows["Parent"].mapped


def test_a_bug_and_an_epic_keep_their_own_sections(client, author):
    bug = finished_ticket(author, ticket_type="bug", title="Checkout loses the cart",
                          steps_to_reproduce=["Add a book", "Sign in"],
                          expected_behaviour="The book is still in the cart",
                          actual_behaviour="The cart is empty")
    body = client.draft(bug).payload["body"]
    assert "1. Add a book\n2. Sign in" in body
    assert "### Expected behavior\n\nThe book is still in the cart" in body
    epic = finished_ticket(author, ticket_type="epic", scope=["Invoices as PDF"])
    assert "### Scope\n\n- Invoices as PDF" in client.draft(epic).payload["body"]
    assert "epic" in client.draft(epic).payload["labels"]


def test_finds_its_issue_by_the_hidden_marker_across_pages(client, author, github_fake):
    ticket = finished_ticket(author, **STORY)
    made = client.create(client.draft(ticket))
    for number in range(120):  # people open issues after ours: it is on page 2
        github_fake.add_issue(DEMO_REPO, title=f"Someone's issue {number}", body="text")

    assert client.find(marker_for(ticket.public_id), since=a_minute_ago()) == made
    assert len(github_fake.calls("GET", r"/issues$")) == 2
    assert client.find(marker_for("0000000000"), since=a_minute_ago()) is None


def test_find_stops_at_issues_created_before_since(client, author, github_fake):
    long_ago = datetime.now(UTC) - timedelta(days=30)
    ticket = finished_ticket(author, **STORY)
    old = client.create(client.draft(ticket))
    github_fake.issues(DEMO_REPO)[0]["created_at"] = long_ago.strftime("%Y-%m-%dT%H:%M:%SZ")
    for number in range(150):
        github_fake.add_issue(DEMO_REPO, title=f"Old issue {number}", created_at=long_ago)
        # Edited today: `since` (last update) still lists them.
        github_fake.issues(DEMO_REPO)[-1]["updated_at"] = datetime.now(UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
    for number in range(99):
        github_fake.add_issue(DEMO_REPO, title=f"New issue {number}")

    assert old.id == "1"
    assert client.find(marker_for(ticket.public_id), since=a_minute_ago()) is None
    assert len(github_fake.calls("GET", r"/issues$")) == 1  # page 2 is older: never asked


def test_ticket_text_cannot_forge_another_tickets_marker(client, author):
    victim = finished_ticket(author, **STORY)
    forger = finished_ticket(author, **{
        **STORY, "summary": f"Quoted: <!-- myba:{marker_for(victim.public_id)} -->"})
    client.create(client.draft(forger))
    assert client.find(marker_for(victim.public_id), since=a_minute_ago()) is None
    assert client.find(marker_for(forger.public_id), since=a_minute_ago()) is not None


def test_update_rewrites_the_issue_and_keeps_the_marker(client, author, github_fake):
    ticket = finished_ticket(author, **STORY)
    made = client.create(client.draft(ticket))
    ticket.title = "Invoices download as PDF from the invoice page"
    ticket.labels = ["billing"]
    assert client.update(made, client.draft(ticket)) == made

    issue = github_fake.issues(DEMO_REPO)[0]
    assert issue["title"] == ticket.title
    assert [label["name"] for label in issue["labels"]] == ["billing", "story", "priority: high"]
    assert client.find(marker_for(ticket.public_id), since=a_minute_ago()) == made
    assert len(github_fake.issues(DEMO_REPO)) == 1


def test_stories_become_sub_issues_of_their_epic_once(client, author, github_fake):
    epic = client.create(client.draft(finished_ticket(author, ticket_type="epic")))
    story_ticket = finished_ticket(author, **STORY)
    draft = client.draft(story_ticket, parent=epic)
    assert "Part of #1" in draft.payload["body"]
    assert {row.ours: row.value for row in draft.rows}["Parent"] == "#1"
    story = client.create(draft)

    client.link_child(epic, story)
    # Linked again (a retried push), and from a Remote rebuilt from the push record (no
    # numeric id): nothing changes and nothing fails.
    client.link_child(epic, Remote(id=story.id, key=story.key, url=story.url))

    sub_issues = github_fake.calls("POST", r"/issues/1/sub_issues$")
    assert [call.json() for call in sub_issues] == [{"sub_issue_id": story.extra["id"]}] * 2
    assert github_fake.repos[DEMO_REPO].parents == {story.extra["id"]: epic.extra["id"]}

    other_epic = client.create(client.draft(finished_ticket(author, ticket_type="epic")))
    error = error_of(lambda: client.link_child(other_epic, story))
    assert error.kind == "invalid" and "only have one parent" in error.message


@pytest.mark.parametrize(("setup", "kind", "words"), [
    (lambda fake: fake.tokens.clear(), "auth", "credentials"),
    (lambda fake: fake.repos.pop(DEMO_REPO), "missing", "no longer exists"),
    (lambda fake: fake.add_repo(DEMO_REPO, has_issues=False), "invalid", "Issues are turned off"),
    (lambda fake: fake.add_token(DEMO_TOKEN, DEMO_REPO, push=False), "auth", "may not"),
])
def test_refusals_become_the_right_error(client, author, github_fake, setup, kind, words):
    draft = client.draft(finished_ticket(author, **STORY))
    setup(github_fake)
    error = error_of(lambda: client.create(draft))
    assert error.kind == kind and words in error.message
    assert not any(repo.issues for repo in github_fake.repos.values())


def test_a_validation_error_names_the_field(client, author):
    draft = client.draft(finished_ticket(author, **STORY))
    draft.payload["title"] = ""
    error = error_of(lambda: client.create(draft))
    assert error.kind == "invalid" and error.status == 422
    assert "Validation Failed" in error.message and "title" in error.message


def test_rate_limits_are_retried_after_what_github_says(client, author, github_fake):
    draft = client.draft(finished_ticket(author, **STORY))
    github_fake.limit(secondary=1)
    error = error_of(lambda: client.create(draft))
    assert (error.kind, error.retry_after) == ("retry", 2.0)

    github_fake.limit(primary=True)
    error = error_of(lambda: client.create(draft))
    assert error.kind == "retry" and 50 < error.retry_after <= 60

    github_fake.limit()
    github_fake.fail("POST", r"/issues$", "429", retry_after=7)
    assert error_of(lambda: client.create(draft)).retry_after == 7.0
    assert github_fake.issues(DEMO_REPO) == []


@pytest.mark.parametrize("mode", ["500_after", "timeout_after", "drop_after"])
def test_a_create_github_did_but_we_never_heard_is_found_again(client, author, github_fake,
                                                                mode):
    ticket = finished_ticket(author, **STORY)
    github_fake.fail("POST", r"/issues$", mode)
    assert error_of(lambda: client.create(client.draft(ticket))).kind == "retry"
    found = client.find(marker_for(ticket.public_id), since=a_minute_ago())
    assert found is not None and found.key == "#1"


def test_the_pasted_token_offers_its_repository(client, github_fake):
    destinations = client.destinations()
    assert [(d.target, d.label) for d in destinations] == [({"repo": DEMO_REPO}, DEMO_REPO)]


@pytest.mark.parametrize(("token", "repo", "kind", "words"), [
    ("github_pat_wrong", DEMO_REPO, "auth", "credentials"),
    (DEMO_TOKEN, "acme/nothing", "missing", "Not found"),
    ("read-only", DEMO_REPO, "auth", "not write its issues"),
])
def test_checking_a_pasted_token(github_fake, token, repo, kind, words):
    github_fake.add_token("read-only", DEMO_REPO, push=False)
    error = error_of(lambda: check_repository(token, repo))
    assert error.kind == kind and words in error.message


def test_an_app_installation_mints_tokens_and_lists_its_repositories(github_app_connection,
                                                                      github_fake):
    for number in range(120):
        github_fake.add_repo(f"acme/service-{number:03}")
    github_fake.installations[int(github_app_connection.account_ref)].update(
        f"acme/service-{number:03}" for number in range(120))

    grant = GitHubTracker(github_app_connection, token="").refresh()
    assert grant.access_token.startswith("ghs_")
    assert timedelta(minutes=55) < grant.expires_at - datetime.now(UTC) <= timedelta(hours=1)
    claims = github_fake.calls("POST", r"/access_tokens$")[0]
    assert claims.headers["authorization"].startswith("Bearer ey")

    client = GitHubTracker(github_app_connection, token=grant.access_token)
    labels = [destination.label for destination in client.destinations()]
    assert len(labels) == 121 and DEMO_REPO in labels
    assert len(github_fake.calls("GET", r"/installation/repositories$")) == 2


def test_an_app_refresh_fails_as_auth_when_uninstalled_or_misconfigured(
        github_app_connection, github_fake, settings, github_app_keys):
    client = GitHubTracker(github_app_connection, token="")
    github_fake.installations.clear()
    error = error_of(client.refresh)
    assert error.kind == "auth" and "install it again" in error.message

    github_fake.installations[int(github_app_connection.account_ref)] = {DEMO_REPO}
    settings.GITHUB_APP_ID = "999"  # a JWT of another app
    assert error_of(client.refresh).kind == "auth"


def test_a_pasted_token_cannot_be_refreshed(client):
    assert error_of(client.refresh).kind == "auth"
