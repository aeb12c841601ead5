"""Pushing tickets into a tracker exactly once: the state machine against the GitHub fake
(real HTTP), with faults where duplicates come from in real life — the tracker made the issue
and the answer was lost (timeout, dropped connection, 500 after the fact, a dead worker) —
and rate limits. Pushing never touches the ledger."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import Connection, Push
from integrations.services.pushing import PushRefused, request_pushes
from integrations.services.sending import send_pushes, sweep_pushes
from tests.builders import finished_ticket, funded_user
from tests.helpers import assert_ledger_healthy, race, user_balance, wait_until
from tests.integrations.pushing import (
    REPO,
    connect_github,
    copies,
    issues_by_marker,
)

pytestmark = pytest.mark.django_db(transaction=True)
FAULTS = ("timeout_after", "drop_after", "500_after", "429", "500")


def _drive(push_ids: list[int], *, rounds: int = 12) -> None:
    """Play the worker: attempt every due push until none is pending (retries are due at
    once in these tests: delays and Retry-After are 0)."""
    for _ in range(rounds):
        pending = list(Push.objects.filter(pk__in=push_ids, state=Push.State.PENDING)
                       .values_list("pk", flat=True))
        if not pending:
            return
        for push_id in pending:
            send_pushes(push_ids=[push_id])


def test_a_ticket_lands_once_with_its_fields_and_costs_nothing(github, owner):
    ticket = finished_ticket(owner)
    connection = connect_github(owner)
    balance = user_balance(owner)
    [push] = request_pushes(user=owner, tickets=[ticket], connection=connection)
    _drive([push.pk])
    push.refresh_from_db()
    [issue] = github.issues(REPO)
    assert push.state == Push.State.DONE
    assert push.remote_key == f"#{issue['number']}" and push.remote_url == issue["html_url"]
    assert issue["title"] == ticket.title
    assert f"<!-- myba:myba-{ticket.public_id} -->" in issue["body"]
    assert user_balance(owner) == balance
    assert_ledger_healthy()


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_ends_in_one_issue(github, owner, fault):
    ticket = finished_ticket(owner)
    github.fail("POST", r"/issues$", fault, retry_after=0)
    [push] = request_pushes(user=owner, tickets=[ticket], connection=connect_github(owner))
    _drive([push.pk])
    push.refresh_from_db()
    assert push.state == Push.State.DONE
    assert issues_by_marker(github) == {f"myba-{ticket.public_id}": 1}
    # A fault after the work makes the next attempt look before creating; one before it
    # (429/500) sends the create again, and only one ever succeeds.
    assert len(github.calls("POST", r"/issues$")) == (1 if fault.endswith("_after") else 2)


def test_a_hundred_faulty_pushes_make_a_hundred_issues(github, owner):
    """Every other create fails in one of the five ways, and so do some of the searches:
    0 duplicates, 0 lost."""
    tickets = copies(finished_ticket(owner), 99)
    tickets.append(tickets[0].__class__.objects.filter(owner=owner).order_by("pk").first())
    for index in range(50):
        github.fail("POST", r"/issues$", FAULTS[index % len(FAULTS)], retry_after=0)
    for index in range(10):
        github.fail("GET", r"/issues$", ("429", "drop_after")[index % 2], retry_after=0)
    pushes = request_pushes(user=owner, tickets=tickets, connection=connect_github(owner))
    assert len(pushes) == 100
    _drive([p.pk for p in pushes])
    states = set(Push.objects.filter(pk__in=[p.pk for p in pushes])
                 .values_list("state", flat=True))
    assert states == {Push.State.DONE}
    counts = issues_by_marker(github)
    assert len(counts) == 100 and set(counts.values()) == {1}
    assert len(github.issues(REPO)) == 100


def test_the_same_push_sent_by_two_workers_at_once_is_created_once(github, owner):
    """Twenty times over, two workers get the same push at the same moment: one claims it, the
    other finds it claimed (a claim that named the parent's state once let both through)."""
    tickets = copies(finished_ticket(owner), 20)
    pushes = request_pushes(user=owner, tickets=tickets, connection=connect_github(owner))
    for push in pushes:
        race(lambda push=push: send_pushes(push_ids=[push.pk]),
             lambda push=push: send_pushes(push_ids=[push.pk]))
    assert issues_by_marker(github) == {f"myba-{t.public_id}": 1 for t in tickets}
    assert len(github.calls("POST", r"/issues$")) == 20


def test_a_double_submit_records_one_push(github, owner):
    ticket = finished_ticket(owner)
    connection = connect_github(owner)
    race(*[lambda: request_pushes(user=owner, tickets=[ticket], connection=connection)] * 4)
    assert Push.objects.filter(ticket=ticket).count() == 1


def test_a_worker_that_died_after_the_tracker_made_the_issue_is_not_repeated(github, owner):
    """The worker claimed the push, sent the create (the issue exists) and died before
    recording it: the claim lapses, the sweep puts it back, the next attempt adopts the
    issue by its marker."""
    ticket = finished_ticket(owner)
    [push] = request_pushes(user=owner, tickets=[ticket], connection=connect_github(owner))
    github.fail("POST", r"/issues$", "drop_after")
    github.fail("GET", r"/issues$", "500", times=len(__import__("django.conf").conf
                                                     .settings.PUSH_RETRY_DELAYS) + 1)
    send_pushes(push_ids=[push.pk])  # the create's answer is lost; the search fails too
    Push.objects.filter(pk=push.pk).update(state=Push.State.SENDING,
                                           next_attempt_at=timezone.now())
    github.faults.clear()
    due = sweep_pushes(now=timezone.now() + timedelta(seconds=1))
    assert [push.pk] in due.values()
    _drive([push.pk])
    push.refresh_from_db()
    assert push.state == Push.State.DONE
    assert issues_by_marker(github) == {f"myba-{ticket.public_id}": 1}


def test_retry_after_is_honoured(github, owner, settings):
    settings.PUSH_RETRY_DELAYS = [1.0]
    ticket = finished_ticket(owner)
    github.fail("POST", r"/issues$", "429", retry_after=37)
    [push] = request_pushes(user=owner, tickets=[ticket], connection=connect_github(owner))
    [outcome] = send_pushes(push_ids=[push.pk])
    push.refresh_from_db()
    assert outcome.state == Push.State.PENDING and outcome.retry_in == 37
    assert timedelta(seconds=35) < push.next_attempt_at - timezone.now() <= timedelta(
        seconds=37)
    assert send_pushes(push_ids=[push.pk]) == []  # not due yet: nothing is sent
    assert github.issues(REPO) == []


def test_a_revoked_token_breaks_the_connection_with_a_reason(github, owner):
    ticket = finished_ticket(owner)
    connection = connect_github(owner, token="github_pat_revoked")
    [push] = request_pushes(user=owner, tickets=[ticket], connection=connection)
    send_pushes(push_ids=[push.pk])
    push.refresh_from_db()
    connection.refresh_from_db()
    assert push.state == Push.State.FAILED
    assert connection.health == Connection.Health.BROKEN and "reconnect" in (
        connection.problem.lower())
    with pytest.raises(PushRefused) as refused:
        request_pushes(user=owner, tickets=[ticket], connection=connection)
    assert refused.value.code == "connection_unusable"
    assert github.issues(REPO) == []


def test_an_edited_ticket_updates_its_issue_instead_of_making_another(github, owner):
    ticket = finished_ticket(owner)
    connection = connect_github(owner)
    [push] = request_pushes(user=owner, tickets=[ticket], connection=connection)
    _drive([push.pk])
    ticket.title = "Export invoices as CSV, filtered by month"
    ticket.save(update_fields=["title"])
    [again] = request_pushes(user=owner, tickets=[ticket], connection=connection)
    assert again.pk == push.pk and again.state == Push.State.DONE  # nothing new to do
    [update] = request_pushes(user=owner, tickets=[ticket], connection=connection,
                              update=True)
    _drive([update.pk])
    [issue] = github.issues(REPO)
    assert issue["title"] == "Export invoices as CSV, filtered by month"
    update.refresh_from_db()
    assert update.state == Push.State.DONE and update.action == Push.Action.CREATE


def test_an_epic_goes_first_and_its_stories_become_sub_issues(github, owner, celery_worker):
    epic = finished_ticket(owner, ticket_type="epic")
    wait_until(lambda: epic.children.count() >= 3 and not epic.children.exclude(
        status="succeeded").exists(), timeout=20)
    stories = list(epic.children.order_by("position"))
    pushes = request_pushes(user=owner, tickets=[epic], connection=connect_github(owner))
    assert [p.ticket_id for p in pushes] == [epic.pk] + [s.pk for s in stories]
    wait_until(lambda: not Push.objects.exclude(state=Push.State.DONE).exists(), timeout=20)
    issues = github.issues(REPO)
    assert len(issues) == 1 + len(stories)
    parent = next(i for i in issues if i["title"] == epic.title)
    repo = github.repos[REPO]
    assert all(repo.parents.get(child["id"]) == parent["id"]
               for child in issues if child["id"] != parent["id"])
    assert len(github.calls("POST", r"/sub_issues$")) == len(stories)


def test_another_workspace_cannot_push_with_my_connection(github, owner):
    stranger = funded_user(5)
    ticket = finished_ticket(stranger)
    with pytest.raises(PushRefused) as refused:
        request_pushes(user=stranger, tickets=[ticket], connection=connect_github(owner))
    assert refused.value.code == "forbidden"
    with pytest.raises(PushRefused):
        request_pushes(user=owner, tickets=[ticket], connection=connect_github(owner))
    assert not Push.objects.exists()
