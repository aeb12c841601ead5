"""Epics that split into stories, and stories into sub-tasks: one hold per child, each settled
on its own, so the person pays for exactly the children delivered."""

import csv
import io
import json
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.builders import funded_user, ticket_form
from tests.helpers import assert_ledger_healthy, race
from tickets import services
from tickets.exports import ticket_markdown, tickets_jira_csv, tickets_json, tickets_pdf
from tickets.kinds import KINDS
from tickets.models import Split, SplitStatus, Status, Ticket
from tickets.selectors import get_split_progress, with_children
from tickets.services.running import run_ticket_generation
from tickets.services.splitting import run_split_planning, sweep_stuck_splits
from tokens.exceptions import InsufficientTokens
from tokens.models import Hold, HoldStatus, LedgerEntry

from .fake_openrouter import PRIMARY, Reply, server_error, success, ticket_json

EPIC = KINDS["epic"].example


def epic_reply(**overrides) -> Reply:
    return success("epic", user_story="", **{
        "title": "Let shoppers pay with saved cards",
        "summary": "Repeat customers retype their card for every order, and many give up.",
        "scope": ["Save a card at checkout", "Choose a saved card", "Remove saved cards"],
        "out_of_scope": ["Wallets such as Apple Pay"],
        "success_measures": ["Repeat checkout takes under 60 seconds at the median"],
        **overrides})


def plan_reply(count: int = 3) -> Reply:
    children = [{"title": f"Save a card at checkout, part {n}",
                 "description": f"Shoppers save a card while paying, part {n} of the work.",
                 "depends_on": [1] if n > 1 else []} for n in range(1, count + 1)]
    return Reply(content=json.dumps({"children": children}))


def finished_form(**overrides) -> dict:
    """The generator form as sent once confirmed, with its questions answered."""
    return ticket_form(confirmed="on", clarified="on", **overrides)


def request_epic(user, *, max_children: int = 8, nonce=None) -> Ticket:
    return services.request_ticket_generation(
        account=user.token_account, owner=user, ticket_type="epic", quality="standard",
        description=EPIC, nonce=nonce or uuid.uuid4(), max_children=max_children)


def holds_of(epic: Ticket) -> dict[str, int]:
    """Tokens by hold status over the epic's hold and its split's slots."""
    holds = Hold.objects.filter(pk__in=[epic.hold_id, *epic.split.slots.values_list(
        "hold_id", flat=True)])
    totals: dict[str, int] = {}
    for hold in holds:
        totals[hold.status] = totals.get(hold.status, 0) + hold.amount
    return totals


# --- Money ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_confirming_an_epic_reserves_the_epic_and_every_possible_story_in_one_go(prices):
    user = funded_user(12)
    epic = request_epic(user, max_children=5)
    account = user.token_account
    account.refresh_from_db()
    assert (account.balance, account.held) == (12, 6)
    assert epic.hold.feature_key == "ticket.epic.standard" and epic.cost == 1
    slots = list(epic.split.slots.select_related("hold"))
    assert [slot.position for slot in slots] == [1, 2, 3, 4, 5]
    assert {slot.hold.feature_key for slot in slots} == {"ticket.epic_child.standard"}
    assert epic.split.status == SplitStatus.PLANNING


@pytest.mark.django_db
def test_an_epic_the_balance_cannot_cover_reserves_nothing(prices):
    user = funded_user(8)
    with pytest.raises(InsufficientTokens):
        request_epic(user, max_children=8)  # 1 + 8 tokens
    assert not Ticket.objects.exists() and not Split.objects.exists()
    assert not Hold.objects.exists()
    user.token_account.refresh_from_db()
    assert user.token_account.held == 0


@pytest.mark.django_db
def test_all_stories_succeed_each_captured_once_and_the_unused_places_released(offline,
                                                                               committing):
    user = funded_user(12)
    with committing():
        epic = request_epic(user, max_children=8)
    epic.refresh_from_db()
    assert epic.status == Status.SUCCEEDED and epic.scope and epic.success_measures
    children = list(epic.children.order_by("position"))
    assert 3 <= len(children) <= 8
    assert all(child.status == Status.SUCCEEDED for child in children)
    assert all(child.ticket_type == "story" and child.user_story for child in children)
    assert all(child.quality_score is not None for child in children)
    assert {hold.status for hold in Hold.objects.filter(ticket__in=children)} == {"captured"}
    delivered = len(children)
    assert holds_of(epic) == {HoldStatus.CAPTURED: 1 + delivered,
                              HoldStatus.RELEASED: 8 - delivered}
    spends = LedgerEntry.objects.filter(account=user.token_account, amount__lt=0)
    assert spends.count() == 1 + delivered
    user.token_account.refresh_from_db()
    assert (user.token_account.balance, user.token_account.held) == (12 - 1 - delivered, 0)
    # "Choose a saved card" uses what "Save a card" makes.
    assert children[1].depends_on.get() == children[0]
    assert_ledger_healthy()


@pytest.mark.django_db
def test_stories_that_fail_are_given_back_exactly(fake_openrouter, committing):
    # The epic, its plan and the first two stories come from the model; every later call
    # fails on both models, so stories 3 and 4 fail after their retries and fallback.
    fake_openrouter.queue(PRIMARY, epic_reply(), plan_reply(4), success(), success())
    fake_openrouter.default = server_error(502)
    user = funded_user(10)
    with committing():
        epic = request_epic(user, max_children=6)
    children = list(Ticket.objects.get(pk=epic.pk).children.order_by("position"))
    assert [child.status for child in children] == ["succeeded", "succeeded", "failed", "failed"]
    assert holds_of(epic) == {HoldStatus.CAPTURED: 3, HoldStatus.RELEASED: 4}
    user.token_account.refresh_from_db()
    assert (user.token_account.balance, user.token_account.held) == (7, 0)
    progress = get_split_progress(epic)
    assert (progress.ready, progress.charged, progress.given_back, progress.reserved) == (
        2, 2, 4, 0)
    assert_ledger_healthy()


@pytest.mark.django_db
def test_an_epic_that_fails_releases_every_story_it_reserved(fake_openrouter, committing):
    fake_openrouter.default = server_error(500)
    user = funded_user(9)
    with committing():
        epic = request_epic(user)
    epic.refresh_from_db()
    assert epic.status == Status.FAILED
    assert epic.split.status == SplitStatus.FAILED and not epic.children.exists()
    assert holds_of(epic) == {HoldStatus.RELEASED: 9}
    user.token_account.refresh_from_db()
    assert (user.token_account.balance, user.token_account.held) == (9, 0)
    assert_ledger_healthy()


@pytest.mark.django_db(transaction=True)
def test_a_plan_delivered_twice_at_once_makes_the_stories_once(offline, tasks_inline):
    user = funded_user(12)
    epic = request_epic(user, max_children=8)
    run_ticket_generation(ticket_id=epic.pk)  # on_commit planning not run: no capture here
    split_id = epic.split.pk
    results = race(lambda: run_split_planning(split_id=split_id),
                   lambda: run_split_planning(split_id=split_id))
    assert all(result is None or result.status == SplitStatus.PLANNED for result in results)
    epic.refresh_from_db()
    count = epic.children.count()
    assert 3 <= count <= 8
    assert Hold.objects.filter(split_slot__split=epic.split, status="released").count() == (
        8 - count)
    assert_ledger_healthy()


@pytest.mark.django_db(transaction=True)
def test_a_story_task_delivered_twice_at_once_is_captured_once(offline):
    user = funded_user(12)
    epic = request_epic(user, max_children=3)
    run_ticket_generation(ticket_id=epic.pk)
    run_split_planning(split_id=epic.split.pk)
    child = Ticket.objects.filter(parent=epic).order_by("position").first()
    outcomes = race(lambda: run_ticket_generation(ticket_id=child.pk),
                    lambda: run_ticket_generation(ticket_id=child.pk))
    assert sum(outcome is not None for outcome in outcomes) == 1
    assert LedgerEntry.objects.filter(idempotency_key=f"hold:{child.hold_id}:capture").count() == 1
    # And delivered again later: nothing more.
    assert run_ticket_generation(ticket_id=child.pk) is None
    assert_ledger_healthy()


@pytest.mark.django_db
def test_a_worker_killed_mid_split_leaves_every_story_final(offline, committing, settings):
    """The planning task was lost with its worker, and a story's run died mid-generation:
    the sweeper sends both again, and every reservation ends captured or released."""
    user = funded_user(12)
    epic = request_epic(user, max_children=5)
    run_ticket_generation(ticket_id=epic.pk)  # the epic is done; its plan's task is lost
    later = timezone.now() + timedelta(seconds=settings.TICKETS_RUN_LEASE_SECONDS + 1)
    with committing():
        assert sweep_stuck_splits(now=later)["splits_sent_again"] == 1
    epic.refresh_from_db()
    assert epic.split.status == SplitStatus.PLANNED
    assert all(child.status == Status.SUCCEEDED for child in epic.children.all())
    # A second epic whose story's worker died while running it.
    second = request_epic(user, max_children=3, nonce=uuid.uuid4())
    run_ticket_generation(ticket_id=second.pk)
    run_split_planning(split_id=second.split.pk)
    dead = second.children.order_by("position").first()
    Ticket.objects.filter(pk=dead.pk).update(
        status=Status.RUNNING, run_token=uuid.uuid4(), runs=1,
        lease_expires_at=timezone.now() - timedelta(seconds=1),
        dispatched_at=timezone.now() - timedelta(hours=1))
    with committing():
        services.sweep_stuck_tickets(now=later + timedelta(seconds=1))
    assert not Ticket.objects.filter(status__in=["queued", "running"]).exists()
    assert not Hold.objects.filter(status=HoldStatus.PENDING).exists()
    user.token_account.refresh_from_db()
    assert user.token_account.held == 0
    assert_ledger_healthy()


@pytest.mark.django_db
def test_a_split_stuck_past_its_time_is_given_up_and_released(offline, settings):
    user = funded_user(12)
    epic = request_epic(user, max_children=4)
    run_ticket_generation(ticket_id=epic.pk)
    later = timezone.now() + timedelta(seconds=settings.TICKETS_STUCK_AFTER_SECONDS + 1)
    assert sweep_stuck_splits(now=later)["splits_given_up"] == 1
    epic.refresh_from_db()
    assert epic.split.status == SplitStatus.FAILED
    assert holds_of(epic) == {HoldStatus.CAPTURED: 1, HoldStatus.RELEASED: 4}
    assert_ledger_healthy()


# --- Splitting a story into sub-tasks --------------------------------------------------------


@pytest.mark.django_db
def test_a_finished_story_splits_into_sub_tasks_from_its_page(offline, client, committing):
    user = funded_user(10)
    client.force_login(user)
    with committing():
        client.post(reverse("tickets:new"), finished_form(ticket_type="story"))
    story = Ticket.objects.get(owner=user)
    page = client.get(reverse("tickets:detail", args=[story.public_id])).content.decode()
    assert "data-split-form" in page and "1 token per sub-task" in page
    with committing():
        response = client.post(reverse("tickets:split", args=[story.public_id]),
                               {"max_children": "4"}, follow=True)
    assert "Splitting into sub-tasks" in response.content.decode()
    tasks = list(story.children.order_by("position"))
    assert 3 <= len(tasks) <= 4 and {task.ticket_type for task in tasks} == {"task"}
    assert all(task.status == Status.SUCCEEDED for task in tasks)
    user.token_account.refresh_from_db()
    assert (user.token_account.balance, user.token_account.held) == (10 - 1 - len(tasks), 0)
    again = client.post(reverse("tickets:split", args=[story.public_id]),
                        {"max_children": "4"}, follow=True).content.decode()
    assert "This ticket was split already." in again
    page = client.get(reverse("tickets:detail", args=[story.public_id])).content.decode()
    assert "data-split-form" not in page and "Sub-tasks" in page
    child_page = client.get(reverse("tickets:detail", args=[tasks[0].public_id])).content.decode()
    assert f"Part of <a href=\"{reverse('tickets:detail', args=[story.public_id])}\"" in child_page
    assert_ledger_healthy()


@pytest.mark.django_db
def test_splitting_refuses_what_cannot_be_split_and_changes_nothing(offline, client, committing):
    user = funded_user(3)
    client.force_login(user)
    with committing():
        client.post(reverse("tickets:new"), finished_form(ticket_type="bug"))
        client.post(reverse("tickets:new"), finished_form(ticket_type="story"))
    bug, story = (Ticket.objects.get(owner=user, ticket_type=kind) for kind in ("bug", "story"))
    refused = client.post(reverse("tickets:split", args=[bug.public_id]),
                          {"max_children": "3"}, follow=True).content.decode()
    assert "Only stories and features can be split into sub-tasks." in refused
    short = client.post(reverse("tickets:split", args=[story.public_id]),
                        {"max_children": "3"}, follow=True).content.decode()
    assert "Up to 3 sub-tasks reserve 3 tokens; you have 1." in short
    bad = client.post(reverse("tickets:split", args=[story.public_id]),
                      {"max_children": "12"}, follow=True).content.decode()
    assert "Choose between 3 and 8 sub-tasks." in bad
    assert not Split.objects.exists()
    other = client_for_other_user()
    assert other.post(reverse("tickets:split", args=[story.public_id]),
                      {"max_children": "3"}).status_code == 404
    assert other.get(reverse("tickets:children", args=[story.public_id])).status_code == 404


def client_for_other_user():
    from tests.builders import client_for

    return client_for(funded_user(20))


# --- The generator, the card, the library ------------------------------------------------------


@pytest.mark.django_db
def test_the_generator_asks_before_an_epic_with_its_most_cost(offline, client):
    user = funded_user(20)
    client.force_login(user)
    form = ticket_form(ticket_type="epic", description=EPIC, max_children="5")
    page = client.post(reverse("tickets:new"), form, HTTP_HX_REQUEST="true").content.decode()
    assert "A Standard epic with up to 5 stories" in page and "up to 6 tokens" in page
    assert 'name="max_children" value="5"' in page
    assert not Ticket.objects.exists()
    generator = client.get(reverse("tickets:new")).content.decode()
    assert 'data-own-standard="1"' in generator and 'data-each-standard="1"' in generator


@pytest.mark.django_db
def test_the_library_folds_an_epics_stories_under_it(offline, client, committing):
    user = funded_user(12)
    client.force_login(user)
    with committing():
        epic = request_epic(user, max_children=4)
    children = list(epic.children.order_by("position"))
    library = client.get(reverse("tickets:list")).content.decode()
    assert f'data-ticket-row="{epic.public_id}"' in library
    assert all(f'data-ticket-row="{child.public_id}"' not in library for child in children)
    assert f"{len(children)} stories" in library
    folded = client.get(reverse("tickets:children", args=[epic.public_id]),
                        {"compact": "1"}).content.decode()
    assert all(child.title in folded for child in children)
    found = client.get(reverse("tickets:list"), {"q": children[0].title}).content.decode()
    assert f'data-ticket-row="{children[0].public_id}"' in found


# --- Exports keep the hierarchy ----------------------------------------------------------------


@pytest.mark.django_db
def test_exports_keep_the_epic_above_its_stories(offline, committing):
    user = funded_user(12)
    with committing():
        epic = request_epic(user, max_children=4)
    children = list(epic.children.order_by("position"))
    [tree] = with_children([Ticket.objects.get(pk=epic.pk)])
    markdown = ticket_markdown(tree)
    assert "## Goal" in markdown and "## Scope" in markdown and "## Stories" in markdown
    assert f"### {children[0].title}" in markdown and "#### Acceptance criteria" in markdown
    data = json.loads(tickets_json([tree]))["tickets"]
    assert len(data) == 1 and [c["id"] for c in data[0]["children"]] == [
        c.public_id for c in children]
    assert data[0]["children"][1]["parent"] == epic.public_id
    rows = list(csv.DictReader(io.StringIO(tickets_jira_csv([tree]))))
    assert rows[0]["Issue Type"] == "Epic" and rows[0]["Parent"] == ""
    assert [row["Parent"] for row in rows[1:]] == [rows[0]["Issue ID"]] * len(children)
    assert [row["Issue Type"] for row in rows[1:]] == ["Story"] * len(children)
    assert "h3. Scope" in rows[0]["Description"]
    assert tickets_pdf([tree]).startswith(b"%PDF")


def test_the_offline_epic_has_its_sections_and_validates():
    from tickets.providers.offline.generator import generate_offline
    from tickets.providers.prompts import GenerationRequest

    content = generate_offline(GenerationRequest(description=EPIC, ticket_type="epic",
                                                 quality="standard"))
    assert content["scope"][:2] == ["Save a card at checkout", "Choose a saved card next time"]
    assert content["success_measures"] and content["out_of_scope"]
    assert content["user_story"] == "" and content["steps_to_reproduce"] == []


def test_a_plan_with_a_backward_or_unknown_dependency_drops_it():
    from tickets.providers.planning import UnusablePlan, validate_plan

    plan = {"children": [
        {"title": "First piece", "description": "Build the first piece of the work.",
         "depends_on": [2]},
        {"title": "Second piece", "description": "Build the second piece of the work.",
         "depends_on": [1, 1, 9, "x"]},
        {"title": "Third piece", "description": "Build the third piece of the work.",
         "depends_on": [3]},
    ]}
    assert [c["depends_on"] for c in validate_plan(plan, max_children=5)] == [[], [1], []]
    with pytest.raises(UnusablePlan):
        validate_plan({"children": plan["children"][:2]}, max_children=5)
    with pytest.raises(UnusablePlan):
        validate_plan(plan, max_children=2)
    assert ticket_json("epic")["type"] == "epic"


@pytest.mark.django_db(transaction=True)
def test_parallel_epics_on_one_balance_reserve_one_and_leave_nothing_half_made(prices):
    user = funded_user(7)  # one epic with up to 5 stories: 6 tokens
    outcomes = race(*[lambda: request_epic(user, max_children=5) for _ in range(3)],
                    errors_ok=True)
    made = [outcome for outcome in outcomes if isinstance(outcome, Ticket)]
    assert len(made) == 1
    assert all(isinstance(outcome, InsufficientTokens) for outcome in outcomes
               if not isinstance(outcome, Ticket))
    assert Ticket.objects.count() == 1 and Split.objects.count() == 1
    assert Hold.objects.filter(status=HoldStatus.PENDING).count() == 6
    user.token_account.refresh_from_db()
    assert user.token_account.held == 6
    assert_ledger_healthy()


@pytest.mark.django_db
def test_staff_read_a_split_and_its_slots_in_the_admin(offline, committing, superuser_client):
    user = funded_user(12)
    with committing():
        epic = request_epic(user, max_children=4)
    listing = superuser_client.get("/admin/tickets/split/")
    assert listing.status_code == 200 and epic.title in listing.content.decode()
    page = superuser_client.get(f"/admin/tickets/split/{epic.split.pk}/change/")
    assert page.status_code == 200 and "Slot" in page.content.decode()
    ticket_page = superuser_client.get(f"/admin/tickets/ticket/{epic.children.first().pk}/change/")
    assert ticket_page.status_code == 200


@pytest.mark.django_db
def test_the_pricing_page_says_what_an_epic_and_each_story_cost(prices, client):
    page = client.get(reverse("billing:pricing")).content.decode()
    assert "1 Standard epic = 1 token + 1 per story it splits into (3 to 8: up to 9 tokens)" in (
        page)
    assert "1 Advanced epic = 2 tokens + 2 per story it splits into (3 to 8: up to 18 tokens)" in (
        page)


@pytest.mark.django_db
def test_an_unusable_plan_from_the_model_falls_back_to_the_offline_planner(fake_openrouter,
                                                                           committing):
    fake_openrouter.queue(PRIMARY, epic_reply(), Reply(content='{"children": "three"}'))
    user = funded_user(12)
    with committing():
        epic = request_epic(user, max_children=5)
    epic.refresh_from_db()
    assert epic.split.planner == "offline" and epic.children.count() == 3
    assert [child.position for child in epic.children.order_by("position")] == [1, 2, 3]
    plan_attempt = epic.attempts.get(prompt_version="plan-v1")
    assert (plan_attempt.outcome, plan_attempt.error_code) == ("invalid", "invalid_plan")
    assert holds_of(epic)[HoldStatus.RELEASED] == 2


@pytest.mark.django_db
def test_an_epic_is_deleted_only_once_its_stories_are_settled_and_they_stay(offline, client,
                                                                           committing):
    user = funded_user(12)
    client.force_login(user)
    epic = request_epic(user, max_children=3)
    run_ticket_generation(ticket_id=epic.pk)  # done, but its stories are still to be planned
    refused = client.post(reverse("tickets:delete", args=[epic.public_id]), follow=True)
    assert "still being generated" in refused.content.decode()
    assert Ticket.objects.filter(pk=epic.pk).exists()
    with committing():
        run_split_planning(split_id=epic.split.pk)
    stories = list(epic.children.values_list("pk", flat=True))
    assert Ticket.objects.filter(pk__in=stories, status=Status.SUCCEEDED).count() == len(stories)
    client.post(reverse("tickets:delete", args=[epic.public_id]))
    assert not Ticket.objects.filter(pk=epic.pk).exists()
    kept = Ticket.objects.filter(pk__in=stories)
    assert kept.count() == len(stories) and not kept.filter(parent__isnull=False).exists()
    assert not Hold.objects.filter(status=HoldStatus.PENDING).exists()
    assert_ledger_healthy()
