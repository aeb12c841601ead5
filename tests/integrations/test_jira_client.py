"""The Jira Cloud client against the fake Jira over real HTTP: each of our fields lands in the
field the project uses, descriptions are valid ADF, bulk creates go 50 at a time, issues are
found again by their marker label, and Jira's answers become the right TrackerError kinds."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.fakes.jira_meta import ACCEPTANCE, STORY_POINTS, validate_adf
from integrations.trackers.base import Remote, TrackerError
from integrations.trackers.jira import JiraTracker
from tests.integrations.fixtures_jira import jira_connection_to
from tests.tickets.fake_openrouter import ticket_json
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def ticket(kind: str = "story", *, public_id: str = "a7k2m9q4xz", **fields) -> Ticket:
    """An unsaved finished ticket (a draft is a pure function of the ticket and target)."""
    content = {**ticket_json(kind), **fields}
    content.pop("type")
    return Ticket(public_id=public_id, ticket_type=kind, quality="standard",
                  status="succeeded", description="d", **content)


def texts(node) -> str:
    """All the text of an ADF node, in order."""
    if node.get("type") == "text":
        return node["text"]
    return " ".join(texts(child) for child in node.get("content", []))


def stored(fake, remote: Remote) -> dict:
    return next(i for i in fake.issues(fake.demo) if i["key"] == remote.key)["fields"]


def test_destinations_list_projects_and_issue_types_without_sub_tasks(jira_fake, user):
    connection = jira_connection_to(jira_fake, user)
    labels = {d.label for d in JiraTracker(connection, token=connection.access_token)
              .destinations()}
    assert {"SHOP · Story on acme", "SHOP · Epic on acme", "SHOP · Bug on acme",
            "OPS · Task on acme"} <= labels
    assert not any("Sub-task" in label for label in labels)


def test_story_fields_land_in_the_projects_custom_fields(jira_fake, jira_tracker):
    story = ticket(priority="high", labels=["billing", "pdf export"])
    draft = jira_tracker.draft(story)
    remote = jira_tracker.create(draft)

    fields = stored(jira_fake, remote)
    assert remote.key == "SHOP-1"
    assert remote.url == f"{jira_fake.demo.url}/browse/SHOP-1"
    assert fields["summary"] == story.title
    assert fields["issuetype"] == {"id": "10001"}
    assert fields[STORY_POINTS] == 3
    assert fields["priority"] == {"name": "High"}
    # The marker is always a label; a label with a space is made Jira-legal.
    assert fields["labels"] == ["myba-a7k2m9q4xz", "billing", "pdf-export"]
    # Criteria in their own rich-text field, with Given/When/Then in bold, not in the
    # description; the description has the user story and no estimate (it has a field).
    criteria = fields[ACCEPTANCE]
    assert validate_adf(criteria) == ""
    assert "I click Download PDF" in texts(criteria)
    bullet = criteria["content"][0]
    first_words = bullet["content"][0]["content"][0]["content"][0]
    assert bullet["type"] == "bulletList"
    assert first_words == {"type": "text", "text": "Given ", "marks": [{"type": "strong"}]}
    description = texts(fields["description"])
    assert story.user_story in description
    assert "Download PDF" not in description and "story points" not in description
    rows = {row.ours: row for row in draft.rows}
    assert rows["Acceptance criteria"].theirs == "Acceptance Criteria"
    assert rows["Story points"].theirs == "Story Points"
    assert rows["Priority"].value == "High"


def test_without_custom_fields_criteria_and_estimate_go_in_the_description(jira_fake, user):
    connection = jira_connection_to(jira_fake, user, project="OPS", issue_type="Task")
    tracker = JiraTracker(connection, token=connection.access_token)
    checklist = [{"given": "", "when": "", "then": "Backups restore on staging"}]
    draft = tracker.draft(ticket("task", acceptance_criteria=checklist, priority="high"))
    remote = tracker.create(draft)

    fields = stored(jira_fake, remote)
    assert "priority" not in fields and STORY_POINTS not in fields
    description = fields["description"]
    assert validate_adf(description) == ""
    headings = [texts(n) for n in description["content"] if n["type"] == "heading"]
    assert "Acceptance criteria" in headings
    task_list = next(n for n in description["content"] if n["type"] == "taskList")
    assert task_list["content"][0]["attrs"]["state"] == "TODO"
    assert "Backups restore on staging" in texts(task_list)
    assert "3 story points" in texts(description)
    rows = {row.ours: row for row in draft.rows}
    assert rows["Acceptance criteria"].theirs == "Description"
    assert "under a heading" in rows["Acceptance criteria"].note
    assert not rows["Priority"].mapped  # shown as having nowhere to go


def test_bug_description_has_numbered_steps(jira_fake, user):
    connection = jira_connection_to(jira_fake, user, issue_type="Bug")
    tracker = JiraTracker(connection, token=connection.access_token)
    remote = tracker.create(tracker.draft(ticket("bug")))
    description = stored(jira_fake, remote)["description"]
    steps = next(n for n in description["content"] if n["type"] == "orderedList")
    assert texts(steps) == "Open an invoice Click Download PDF"


def test_epic_is_an_epic_and_its_stories_its_children(jira_fake, jira_tracker):
    epic = ticket("epic", public_id="e0000000e1", scope=["Save cards"], out_of_scope=["Wallets"],
                  success_measures=["Checkout under a minute"])
    epic_remote = jira_tracker.create(jira_tracker.draft(epic))
    child = ticket(public_id="c0000000c1")
    child.parent = epic
    child_remote = jira_tracker.create(jira_tracker.draft(child, parent=epic_remote))

    assert stored(jira_fake, epic_remote)["issuetype"] == {"id": "10000"}
    assert "Save cards" in texts(stored(jira_fake, epic_remote)["description"])
    assert stored(jira_fake, child_remote)["parent"] == {"key": epic_remote.key}


def test_a_storys_tasks_become_its_sub_tasks(jira_fake, jira_tracker):
    story = ticket(public_id="s0000000s1")
    story_remote = jira_tracker.create(jira_tracker.draft(story))
    task = ticket("task", public_id="t0000000t1")
    task.parent = story
    draft = jira_tracker.draft(task, parent=story_remote)
    task_remote = jira_tracker.create(draft)

    fields = stored(jira_fake, task_remote)
    assert fields["issuetype"] == {"id": "10004"}  # SHOP's Sub-task type
    assert fields["parent"] == {"key": story_remote.key}
    assert ("Type", "Sub-task in SHOP") in [(row.ours, row.value) for row in draft.rows]


def test_without_a_sub_task_type_a_storys_task_stands_alone(jira_fake, user):
    connection = jira_connection_to(jira_fake, user, project="OPS", issue_type="Task")
    tracker = JiraTracker(connection, token=connection.access_token)
    story = ticket("story", public_id="s0000000s2")
    story_remote = tracker.create(tracker.draft(story))
    task = ticket("task", public_id="t0000000t2")
    task.parent = story
    draft = tracker.draft(task, parent=story_remote)

    assert "parent" not in draft.payload["fields"]
    assert not next(row for row in draft.rows if row.ours == "Parent").mapped
    assert "parent" not in stored(jira_fake, tracker.create(draft))


def test_a_plain_string_description_is_refused_like_jira_does(jira_fake, jira_tracker):
    draft = jira_tracker.draft(ticket())
    draft.payload["fields"]["description"] = "plain text"
    with pytest.raises(TrackerError) as error:
        jira_tracker.create(draft)
    assert error.value.kind == "invalid"
    assert "Atlassian Document" in error.value.message
    assert jira_fake.issues(jira_fake.demo) == []


def test_required_field_we_cannot_fill_is_shown_and_nothing_is_sent(jira_fake, user):
    jira_fake.add_field(jira_fake.demo, "SHOP", "Story", {
        "fieldId": "customfield_10050", "key": "customfield_10050", "name": "Team",
        "required": True, "hasDefaultValue": False, "operations": ["set"],
        "schema": {"type": "team", "custom": "com.atlassian.teams"}})
    connection = jira_connection_to(jira_fake, user)
    tracker = JiraTracker(connection, token=connection.access_token)

    draft = tracker.draft(ticket())

    assert ("Required by Jira", "Team") in [(row.ours, row.theirs) for row in draft.rows]
    with pytest.raises(TrackerError) as error:
        tracker.create(draft)
    assert error.value.kind == "invalid"
    assert "Jira requires Team" in error.value.message
    results = tracker.create_many([draft])
    assert results[0].kind == "invalid"
    assert jira_fake.calls("POST", r"/issue") == []


def test_field_errors_name_our_field(jira_fake, jira_tracker):
    draft = jira_tracker.draft(ticket())
    draft.payload["fields"][STORY_POINTS] = "three"
    with pytest.raises(TrackerError) as error:
        jira_tracker.create(draft)
    assert error.value.kind == "invalid"
    assert "Story Points: Operation value must be a number" in error.value.message


def test_bulk_of_120_is_three_calls_and_errors_map_to_their_drafts(jira_fake, jira_tracker):
    drafts = [jira_tracker.draft(ticket(public_id=f"b{n:09d}")) for n in range(120)]
    drafts[7].payload["fields"]["summary"] = ""
    drafts[60].payload["fields"]["summary"] = ""

    results = jira_tracker.create_many(drafts)

    assert len(jira_fake.calls("POST", r"/issue/bulk$")) == 3
    assert [len(c.json()["issueUpdates"]) for c in jira_fake.calls("POST", r"/issue/bulk$")] \
        == [50, 50, 20]
    assert [i for i, r in enumerate(results) if isinstance(r, TrackerError)] == [7, 60]
    assert results[7].kind == "invalid" and "Summary is required" in results[7].message
    made = {i["key"]: i["fields"]["labels"][0] for i in jira_fake.issues(jira_fake.demo)}
    assert len(made) == 118
    # Each result is the issue made from its own draft.
    assert all(made[r.key] == d.marker for r, d in zip(results, drafts, strict=True)
               if isinstance(r, Remote))


def test_the_fake_refuses_more_than_50_at_once(jira_fake, jira_tracker):
    drafts = [jira_tracker.draft(ticket(public_id=f"b{n:09d}")) for n in range(51)]
    with pytest.raises(TrackerError) as error:
        jira_tracker._create_chunk(drafts)
    assert error.value.kind == "invalid"
    assert jira_fake.issues(jira_fake.demo) == []


def test_a_rate_limited_bulk_fails_its_chunk_and_the_rest_without_calling(jira_fake,
                                                                          jira_tracker):
    drafts = [jira_tracker.draft(ticket(public_id=f"b{n:09d}")) for n in range(70)]
    jira_fake.fail("POST", r"/issue/bulk$", "429", retry_after=7)
    results = jira_tracker.create_many(drafts)
    assert all(r.kind == "retry" and r.retry_after == 7 for r in results)
    assert len(jira_fake.calls("POST", r"/issue/bulk$")) == 1


def test_find_by_marker_label(jira_fake, jira_tracker):
    since = timezone.now()
    remote = jira_tracker.create(jira_tracker.draft(ticket(public_id="f0000000f1")))
    jira_tracker.create(jira_tracker.draft(ticket(public_id="f0000000f2")))

    assert jira_tracker.find("myba-f0000000f1", since=since) == remote
    assert jira_tracker.find("myba-f0000000f3", since=since) is None
    # An issue made long before this push began is not this push's.
    assert jira_tracker.find("myba-f0000000f1", since=since + timedelta(hours=1)) is None
    search = jira_fake.calls("GET", r"/search/jql$")[0]
    assert search.arg("jql") == 'labels = "myba-f0000000f1" ORDER BY created DESC'


def test_a_create_that_timed_out_is_found_afterwards(jira_fake, jira_tracker):
    since = timezone.now()
    draft = jira_tracker.draft(ticket())
    jira_fake.fail("POST", r"/issue$", "timeout_after")
    with pytest.raises(TrackerError) as error:
        jira_tracker.create(draft)
    assert error.value.kind == "retry"
    assert jira_tracker.find(draft.marker, since=since).key == "SHOP-1"


def test_update_edits_fields_and_keeps_the_teams_labels(jira_fake, jira_tracker):
    remote = jira_tracker.create(jira_tracker.draft(ticket()))
    issue = next(i for i in jira_fake.issues(jira_fake.demo) if i["key"] == remote.key)
    issue["fields"]["labels"].append("team-triaged")

    assert jira_tracker.update(remote, jira_tracker.draft(ticket(title="Renamed",
                                                                 story_points=5))) == remote
    fields = stored(jira_fake, remote)
    assert fields["summary"] == "Renamed" and fields[STORY_POINTS] == 5
    assert "team-triaged" in fields["labels"] and "myba-a7k2m9q4xz" in fields["labels"]


@pytest.mark.parametrize(("status", "kind"), [(401, "auth"), (404, "missing"),
                                              (429, "retry"), (500, "retry")])
def test_http_errors_become_kinds(jira_fake, jira_tracker, status, kind):
    draft = jira_tracker.draft(ticket())
    if status == 401:
        jira_fake.expire_tokens()
    elif status == 404:
        jira_tracker.connection.account_ref = "no-such-site"
    else:
        jira_fake.fail("POST", r"/issue$", str(status), retry_after=3)
    with pytest.raises(TrackerError) as error:
        jira_tracker.create(draft)
    assert error.value.kind == kind
    assert error.value.retry_after == (3 if status == 429 else None)


def test_update_of_a_deleted_issue_is_missing(jira_fake, jira_tracker):
    draft = jira_tracker.draft(ticket())
    with pytest.raises(TrackerError) as error:
        jira_tracker.update(Remote(id="1", key="SHOP-99", url=""), draft)
    assert error.value.kind == "missing"


def test_refresh_rotates_and_the_old_refresh_token_is_refused(jira_fake, jira_connection):
    tracker = JiraTracker(jira_connection, token=jira_connection.access_token)
    old = jira_connection.refresh_token

    grant = tracker.refresh()

    assert grant.refresh_token and grant.refresh_token != old
    assert grant.expires_at > timezone.now() + timedelta(minutes=59)
    assert JiraTracker(jira_connection, token=grant.access_token).destinations()
    with pytest.raises(TrackerError) as error:
        tracker.refresh()  # the old one again
    assert error.value.kind == "auth"
    assert jira_fake.calls("POST", r"/oauth/token$")[-1].json()["refresh_token"] == old
    jira_connection.refresh_token = grant.refresh_token
    assert tracker.refresh().refresh_token not in (old, grant.refresh_token)
