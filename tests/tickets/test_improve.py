"""One-click "Improve" (issue 13, section 3): the failing fields rewritten, paid through a hold,
captured only when the ticket scores higher and released otherwise; fields that pass are kept
(also the user's own edits); concurrent clicks take one hold. The model is the fake
OpenAI-compatible server; without a key, the offline generator's fixes."""

import uuid

import pytest
from django.urls import reverse

from tests.builders import (
    GOOD_STORY,
    VAGUE_CRITERIA,
    clauses,
    client_for,
    finished_ticket,
    funded_user,
)
from tests.helpers import assert_ledger_healthy, balance_of, race
from tickets import services
from tickets.models import Ticket, TicketImprovement
from tokens.models import Hold, LedgerEntry

from .fake_openrouter import FALLBACK, PRIMARY, server_error, success

pytestmark = pytest.mark.django_db

# A user's edit that breaks the criteria (one vague criterion: `criteria_count`, a hard rule,
# and `criteria_observable` fail) and changes the title in a way that still passes.
EDITED_TITLE = "Customers download invoice PDFs for their accountant"
FLAWED = {**GOOD_STORY, "acceptance_criteria": VAGUE_CRITERIA}
WORSE = {**FLAWED, "title": "PDF"}


def edited_ticket(user) -> Ticket:
    """A finished ticket the user then edited: a better title of their own, and criteria that
    fail the check (version 2)."""
    ticket = finished_ticket(user, **GOOD_STORY)
    content = {**ticket.content(), "title": EDITED_TITLE, "acceptance_criteria": VAGUE_CRITERIA}
    return services.update_ticket_content(ticket=ticket, content=content)


def click_improve(client, ticket, django_capture_on_commit_callbacks, *, nonce=None, htmx=True):
    """POST the Improve button as the browser does; the run is sent on commit and, with
    `tasks_inline`, finishes before this returns."""
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("tickets:improve", args=[ticket.public_id]),
                           {"nonce": str(nonce or uuid.uuid4())}, **headers)


def improve_spends(ticket):
    return LedgerEntry.objects.filter(kind="spend", feature_key="ticket.improve.standard",
                                      reference=ticket.reference)


def test_offline_improve_rewrites_only_the_failing_fields_and_charges_for_a_better_ticket(
        offline, tasks_inline, django_capture_on_commit_callbacks):
    user = funded_user(5)
    ticket = edited_ticket(user)
    before = ticket.content()
    score_before = ticket.quality_score
    failing = {rule.key for rule in ticket.scorecard.failing}
    assert {"criteria_count", "criteria_observable"} <= failing
    start = balance_of(user.token_account)

    response = click_improve(client_for(user), ticket, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    ticket.refresh_from_db()
    improvement = ticket.improvements.get()
    assert improvement.status == "improved"
    assert ticket.quality_score > score_before == improvement.score_before
    assert improvement.score_after == ticket.quality_score
    assert "acceptance_criteria" in improvement.fields and "title" not in improvement.fields
    # Only the fields the failing rules judge changed; the user's own title is kept.
    assert ticket.title == EDITED_TITLE
    assert ticket.acceptance_criteria != VAGUE_CRITERIA and len(ticket.acceptance_criteria) >= 2
    for field, value in before.items():
        if field not in improvement.fields:
            assert ticket.content()[field] == value, field
    # Charged once, the price of Improve for a Standard ticket.
    assert balance_of(user.token_account) == start - 1
    assert improve_spends(ticket).get().amount == -1
    assert improvement.hold.status == "captured"
    # The history: generated, edited, improved.
    assert list(ticket.versions.order_by("number").values_list("number", "source")) == [
        (1, "generated"), (2, "edited"), (3, "improved")]
    assert ticket.version == 3
    assert ticket.versions.get(number=3).content == ticket.content()
    assert_ledger_healthy()


def test_a_model_reply_that_scores_higher_is_kept_and_charged(
        fake_openrouter, tasks_inline, django_capture_on_commit_callbacks):
    user = funded_user(5)
    ticket = edited_ticket(user)
    fake_openrouter.queue(PRIMARY, success(**GOOD_STORY))
    start = balance_of(user.token_account)
    sent = len(fake_openrouter.requests)

    click_improve(client_for(user), ticket, django_capture_on_commit_callbacks)

    ticket.refresh_from_db()
    assert ticket.improvements.get().status == "improved"
    assert clauses(ticket.acceptance_criteria) == GOOD_STORY["acceptance_criteria"]
    assert ticket.title == EDITED_TITLE  # the model's title was not asked for, nor taken
    assert balance_of(user.token_account) == start - 1
    # The model was told what fails and which fields to rewrite.
    prompt = fake_openrouter.requests[sent]["body"]["messages"][-1]["content"]
    assert "Number of criteria" in prompt and "Rewrite only these fields" in prompt
    assert "acceptance_criteria" in prompt and EDITED_TITLE in prompt


def test_a_rewrite_no_better_is_released_and_the_ticket_is_unchanged(
        fake_openrouter, tasks_inline, django_capture_on_commit_callbacks):
    user = funded_user(5)
    ticket = edited_ticket(user)
    before = ticket.content()
    # The reply fails the same hard rule, and its repair is worse still: the chain keeps the
    # first, which scores the same as the ticket.
    fake_openrouter.queue(PRIMARY, success(**FLAWED), success(**WORSE))
    start = balance_of(user.token_account)
    client = client_for(user)

    click_improve(client, ticket, django_capture_on_commit_callbacks)

    ticket.refresh_from_db()
    improvement = ticket.improvements.get()
    assert improvement.status == "not_better"
    assert improvement.score_after <= improvement.score_before
    assert ticket.content() == before and ticket.version == 2
    assert improvement.hold.status == "released"
    assert balance_of(user.token_account) == start and not improve_spends(ticket).exists()
    assert ticket.versions.count() == 2
    # The page says so, and offers to try again.
    page = client.get(reverse("tickets:detail", args=[ticket.public_id])).content.decode()
    assert "No better version found" in page and "You were not charged" in page
    assert "data-improve-button" in page
    assert_ledger_healthy()


def test_a_provider_failure_is_released(fake_openrouter, tasks_inline,
                                        django_capture_on_commit_callbacks):
    user = funded_user(5)
    ticket = edited_ticket(user)
    before = ticket.content()
    fake_openrouter.queue(PRIMARY, *[server_error() for _ in range(3)])
    fake_openrouter.queue(FALLBACK, *[server_error() for _ in range(3)])
    start = balance_of(user.token_account)

    click_improve(client_for(user), ticket, django_capture_on_commit_callbacks)

    ticket.refresh_from_db()
    improvement = ticket.improvements.get()
    assert (improvement.status, improvement.error_code) == ("failed", "unavailable")
    assert "You were not charged" in improvement.outcome
    assert ticket.content() == before
    assert balance_of(user.token_account) == start and improvement.hold.status == "released"


def test_nothing_is_reserved_for_a_ticket_that_passes_or_a_short_balance(offline):
    user = funded_user(2)
    passing = finished_ticket(user, **GOOD_STORY)
    assert passing.quality_score == 100
    client = client_for(user)
    response = client.post(reverse("tickets:improve", args=[passing.public_id]),
                           {"nonce": str(uuid.uuid4())}, HTTP_HX_REQUEST="true")
    assert "already passes every check" in response.content.decode()
    # The two generations spent both tokens: Improve cannot be paid.
    flawed = edited_ticket(user)
    response = client.post(reverse("tickets:improve", args=[flawed.public_id]),
                           {"nonce": str(uuid.uuid4())}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "Improve costs 1 token; you have 0." in page and "Get more tokens" in page
    response = client.post(reverse("tickets:improve", args=[flawed.public_id]),
                           {"nonce": "not-a-uuid"}, HTTP_HX_REQUEST="true")
    assert "This page has expired" in response.content.decode()
    assert not TicketImprovement.objects.exists()
    assert not Hold.objects.filter(feature_key__startswith="ticket.improve").exists()


def test_the_same_click_twice_is_one_improvement(offline):
    user = funded_user(5)
    ticket = edited_ticket(user)
    nonce = uuid.uuid4()
    first = services.request_ticket_improvement(ticket=ticket, account=user.token_account,
                                                spender=f"user:{user.pk}", nonce=nonce)
    again = services.request_ticket_improvement(ticket=ticket, account=user.token_account,
                                                spender=f"user:{user.pk}", nonce=nonce)
    assert again == first and TicketImprovement.objects.count() == 1
    user.token_account.refresh_from_db()
    assert user.token_account.held == 1


def test_an_edit_while_improving_is_refused_and_the_improvement_then_applies(
        offline, django_capture_on_commit_callbacks):
    user = funded_user(5)
    ticket = edited_ticket(user)
    client = client_for(user)
    response = client.post(reverse("tickets:improve", args=[ticket.public_id]),
                           {"nonce": str(uuid.uuid4())})  # no worker: it stays queued
    assert response.status_code == 302
    edit = client.get(reverse("tickets:edit", args=[ticket.public_id])).context["form"]
    data = {name: edit[name].value() for name in edit.fields}
    data["title"] = "Something else entirely for the invoices"
    page = client.post(reverse("tickets:edit", args=[ticket.public_id]), data)
    assert "being improved right now" in page.content.decode()
    ticket.refresh_from_db()
    assert ticket.title == EDITED_TITLE and ticket.version == 2
    improvement = ticket.improvements.get()
    services.run_ticket_improvement(improvement_id=improvement.pk)
    improvement.refresh_from_db()
    assert improvement.status == "improved"
    # Restore the edited version: free, recorded as version 4.
    start = balance_of(user.token_account)
    client.post(reverse("tickets:restore", args=[ticket.public_id, 2]))
    ticket.refresh_from_db()
    assert clauses(ticket.acceptance_criteria) == VAGUE_CRITERIA and ticket.version == 4
    restored = ticket.versions.get(number=4)
    assert (restored.source, restored.note) == ("restored", "Restored version 2")
    assert balance_of(user.token_account) == start


def test_the_sweep_releases_an_improvement_whose_run_died(offline, settings):
    user = funded_user(5)
    ticket = edited_ticket(user)
    improvement = services.request_ticket_improvement(
        ticket=ticket, account=user.token_account, spender=f"user:{user.pk}",
        nonce=uuid.uuid4())
    TicketImprovement.objects.filter(pk=improvement.pk).update(status="running")
    from datetime import timedelta

    from django.utils import timezone
    TicketImprovement.objects.filter(pk=improvement.pk).update(
        started_at=timezone.now() - timedelta(seconds=settings.TICKETS_TASK_TIME_LIMIT
                                              + settings.TICKETS_RUN_LEASE_SECONDS + 1))
    assert services.sweep_stuck_improvements() == 1
    improvement.refresh_from_db()
    assert (improvement.status, improvement.error_code) == ("failed", "interrupted")
    assert improvement.hold.status == "released"
    assert services.sweep_stuck_improvements() == 0
    assert_ledger_healthy()


def test_someone_elses_ticket_is_a_404_on_every_history_route(offline):
    ticket = edited_ticket(funded_user(5))
    stranger = client_for(funded_user(5))
    pid = ticket.public_id
    for method, url in (("post", reverse("tickets:improve", args=[pid])),
                        ("get", reverse("tickets:improvement", args=[pid])),
                        ("get", reverse("tickets:versions", args=[pid])),
                        ("post", reverse("tickets:restore", args=[pid, 1]))):
        assert getattr(stranger, method)(url, {"nonce": str(uuid.uuid4())}).status_code == 404


def test_the_history_page_shows_each_version_with_its_changes(offline):
    user = funded_user(5)
    ticket = edited_ticket(user)
    page = client_for(user).get(reverse("tickets:versions", args=[ticket.public_id]))
    html = page.content.decode()
    assert "Version 2" in html and "Version 1" in html and "Edited" in html
    assert 'data-current' in html
    assert "<del><span class=\"visually-hidden\">Removed: </span>" in html
    assert "<ins><span class=\"visually-hidden\">Added: </span>" in html
    assert "Restore this version" in html


@pytest.mark.django_db(transaction=True)
def test_concurrent_clicks_take_one_hold(offline):
    user = funded_user(5)
    ticket = edited_ticket(user)

    def click():
        return services.request_ticket_improvement(
            ticket=ticket, account=user.token_account, spender=f"user:{user.pk}",
            nonce=uuid.uuid4())

    results = race(*[click for _ in range(6)], errors_ok=True)

    started = [result for result in results if isinstance(result, TicketImprovement)]
    refused = [result for result in results if isinstance(result, services.AlreadyImproving)]
    assert len(started) == 1 and len(refused) == 5, results
    assert TicketImprovement.objects.count() == 1
    assert Hold.objects.filter(feature_key="ticket.improve.standard").count() == 1
    user.token_account.refresh_from_db()
    assert user.token_account.held == 1
    # Settled once, charged once, however often the run is delivered.
    race(*[lambda: services.run_ticket_improvement(improvement_id=started[0].pk)
           for _ in range(3)])
    assert improve_spends(ticket).count() == 1
    assert_ledger_healthy()
