"""Generation end to end at the service level: provider scenarios through the fake server,
with the ticket state and the token outcome checked in the ledger."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AnonymousVisitor
from accounts.signals import visitor_merged
from tests.builders import funded_account, funded_user, request_ticket
from tests.helpers import (
    assert_charged_once,
    assert_ledger_healthy,
    assert_not_charged,
    race,
    spends_for,
    wait_until,
)
from tickets import services
from tickets.models import GenerationAttempt, Ticket
from tokens.exceptions import InsufficientTokens
from tokens.models import Hold
from tokens.services import release_expired_holds

from .fake_openrouter import FALLBACK, PRIMARY, malformed, rate_limited, server_error, slow, success

pytestmark = pytest.mark.django_db


def generate(account, **kwargs) -> Ticket:
    """Request a ticket and run its task inline (the on-commit enqueue is captured)."""
    ticket = request_ticket(account, **kwargs)
    services.run_ticket_generation(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    return ticket


def attempts(ticket):
    return list(
        GenerationAttempt.objects.filter(ticket=ticket)
        .order_by("id")
        .values_list("model_name", "outcome", "error_code")
    )


def test_success_stores_the_ticket_and_captures_once(fake_openrouter):
    user = funded_user(5)
    account = user.token_account
    ticket = generate(account, owner=user)
    assert ticket.status == "succeeded"
    assert ticket.title == "Let customers export invoices as PDF"
    assert ticket.user_story.startswith("As a customer")
    assert ticket.acceptance_criteria[0]["then"] == "a PDF downloads"
    assert (ticket.generator, ticket.model_name) == ("openrouter", PRIMARY)
    assert_charged_once(ticket, account, 5)
    attempt = GenerationAttempt.objects.get(ticket=ticket)
    assert (attempt.provider, attempt.outcome, attempt.prompt_tokens) == ("openrouter",
                                                                          "success", 420)
    assert attempt.cost is not None and attempt.latency_ms >= 0


def test_rate_limited_then_success(fake_openrouter):
    fake_openrouter.queue(PRIMARY, rate_limited("1"), success())
    account = funded_account(5)
    ticket = generate(account, owner=funded_user(0))
    assert ticket.status == "succeeded"
    assert attempts(ticket) == [(PRIMARY, "retry", "rate_limited"), (PRIMARY, "success", "")]
    assert_charged_once(ticket, account, 5)


def test_server_error_then_fallback_success(fake_openrouter):
    fake_openrouter.queue(PRIMARY, server_error(), server_error(), server_error())
    account = funded_account(5)
    ticket = generate(account, owner=funded_user(0))
    assert ticket.status == "succeeded"
    assert ticket.model_name == FALLBACK
    assert [a[1] for a in attempts(ticket)] == ["retry", "retry", "failed", "success"]
    assert_charged_once(ticket, account, 5)


def test_timeout_then_fallback(fake_openrouter):
    fake_openrouter.queue(PRIMARY, slow(2.0))
    account = funded_account(5)
    ticket = generate(account, owner=funded_user(0))
    assert ticket.status == "succeeded"
    assert attempts(ticket) == [(PRIMARY, "failed", "timeout"), (FALLBACK, "success", "")]
    assert_charged_once(ticket, account, 5)


def test_malformed_json_then_repair(fake_openrouter):
    fake_openrouter.queue(PRIMARY, malformed(), success())
    account = funded_account(5)
    ticket = generate(account, owner=funded_user(0))
    assert ticket.status == "succeeded"
    assert ticket.model_name == PRIMARY
    assert attempts(ticket) == [(PRIMARY, "invalid", "invalid_json"), (PRIMARY, "success", "")]
    assert_charged_once(ticket, account, 5)


def test_everything_failing_releases_the_hold(fake_openrouter):
    fake_openrouter.default = server_error(503)
    account = funded_account(5)
    ticket = generate(account, owner=funded_user(0))
    assert ticket.status == "failed"
    assert ticket.error_code == "unavailable"
    assert "you were not charged" in ticket.error_message
    assert ticket.title == ""
    assert_not_charged(ticket, account, 5)
    assert len(attempts(ticket)) == 6


def test_busy_provider_says_so(fake_openrouter):
    fake_openrouter.default = rate_limited("0")
    account = funded_account(5)
    ticket = generate(account, owner=funded_user(0))
    assert ticket.error_message == "The AI service is busy; you were not charged. Try again."
    assert_not_charged(ticket, account, 5)


def test_advanced_quality_uses_its_model_and_price(fake_openrouter):
    account = funded_account(5)
    ticket = generate(account, owner=funded_user(0), quality="advanced")
    assert ticket.cost == 3
    assert fake_openrouter.models_called() == ["test/advanced-model"]
    assert_charged_once(ticket, account, 5)


def test_offline_generator_is_charged_like_standard(offline):
    account = funded_account(3)
    ticket = generate(account, owner=funded_user(0), ticket_type="bug",
                      description="When I click Export the page crashes with an error 500. "
                                  "It should download a CSV file.")
    assert ticket.status == "succeeded"
    assert ticket.is_offline
    assert ticket.steps_to_reproduce and ticket.actual_behaviour
    assert "offline generator" in ticket.technical_notes
    assert_charged_once(ticket, account, 3)


def test_task_run_twice_captures_once(fake_openrouter):
    account = funded_account(5)
    ticket = request_ticket(account, owner=funded_user(0))
    assert services.run_ticket_generation(ticket_id=ticket.pk).status == "succeeded"
    assert services.run_ticket_generation(ticket_id=ticket.pk) is None
    ticket.refresh_from_db()
    assert len(fake_openrouter.requests) == 1
    assert_charged_once(ticket, account, 5)


@pytest.mark.django_db(transaction=True)
def test_task_delivered_twice_at_once_captures_once(fake_openrouter):
    account = funded_account(5)
    ticket = request_ticket(account, owner=funded_user(0))
    results = race(*[lambda: services.run_ticket_generation(ticket_id=ticket.pk)] * 2)
    # At most one run owns the ticket (the on-commit task may reach a running worker too).
    assert [result is None for result in results].count(False) <= 1
    wait_until(lambda: not Ticket.objects.get(pk=ticket.pk).is_active)
    ticket.refresh_from_db()
    assert ticket.status == "succeeded"
    assert_charged_once(ticket, account, 5)


def test_killed_worker_hold_is_released_by_the_sweepers(fake_openrouter):
    account = funded_account(5)
    ticket = request_ticket(account, owner=funded_user(0))
    # The worker claimed the ticket and died before finishing: nothing settled the hold.
    Ticket.objects.filter(pk=ticket.pk).update(status="running", started_at=timezone.now())
    later = timezone.now() + timedelta(minutes=11)
    assert release_expired_holds(now=later) == 1
    assert services.sweep_stuck_tickets(now=later).given_up == 1
    ticket.refresh_from_db()
    assert ticket.status == "failed"
    assert ticket.error_code == "interrupted"
    assert "not charged" in ticket.error_message
    assert_not_charged(ticket, account, 5)
    # A redelivery of the dead worker's task finds nothing to do.
    assert services.run_ticket_generation(ticket_id=ticket.pk) is None
    assert services.sweep_stuck_tickets(now=later).given_up == 0


def test_redelivered_task_after_lease_finishes_the_ticket(fake_openrouter):
    account = funded_account(5)
    ticket = request_ticket(account, owner=funded_user(0))
    Ticket.objects.filter(pk=ticket.pk).update(
        status="running", lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert services.run_ticket_generation(ticket_id=ticket.pk).status == "succeeded"
    ticket.refresh_from_db()
    assert_charged_once(ticket, account, 5)


def test_old_queued_ticket_is_swept_and_released(fake_openrouter):
    account = funded_account(5)
    ticket = request_ticket(account, owner=funded_user(0))
    assert services.sweep_stuck_tickets(now=timezone.now() + timedelta(minutes=16)).given_up == 1
    ticket.refresh_from_db()
    assert ticket.status == "failed"
    assert_not_charged(ticket, account, 5)


def test_a_ticket_whose_hold_expired_before_a_worker_came_is_not_run_but_given_up(
    fake_openrouter,
):
    account = funded_account(5)
    ticket = request_ticket(account, owner=funded_user(0))
    Hold.objects.filter(pk=ticket.hold_id).update(expires_at=timezone.now() - timedelta(1))
    release_expired_holds()
    assert services.run_ticket_generation(ticket_id=ticket.pk) is None
    assert fake_openrouter.requests == []  # no provider call that nobody could pay for
    assert services.sweep_stuck_tickets().given_up == 1
    ticket.refresh_from_db()
    assert (ticket.status, ticket.error_code) == ("failed", "interrupted")
    assert_not_charged(ticket, account, 5)


def test_same_nonce_makes_one_ticket_and_one_hold(
    fake_openrouter, django_capture_on_commit_callbacks
):
    account = funded_account(5)
    user = funded_user(0)
    nonce = uuid.uuid4()
    with django_capture_on_commit_callbacks() as callbacks:
        first = request_ticket(account, owner=user, nonce=nonce)
        second = request_ticket(account, owner=user, nonce=nonce)
    assert first.pk == second.pk
    assert len(callbacks) == 1
    assert Hold.objects.filter(account=account).count() == 1
    account.refresh_from_db()
    assert account.held == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("senders", [2, 6])
def test_the_same_form_sent_at_the_same_moment_makes_one_ticket_and_one_hold(
    fake_openrouter, senders
):
    """Each send waits for the account's lock; those that looked for the nonce before the
    first committed are answered by the nonce's unique constraint with the first ticket."""
    account = funded_account(5)
    user = funded_user(0)
    nonce = uuid.uuid4()
    tickets = race(*[lambda: request_ticket(account, owner=user, nonce=nonce)] * senders)
    assert len({ticket.pk for ticket in tickets}) == 1
    assert Ticket.objects.count() == 1 and Hold.objects.filter(account=account).count() == 1
    account.refresh_from_db()
    assert (account.balance, account.held) == (5, 1)


def test_insufficient_tokens_writes_nothing(fake_openrouter):
    account = funded_account(2)
    with pytest.raises(InsufficientTokens):
        request_ticket(account, owner=funded_user(0), quality="advanced")
    assert not Ticket.objects.exists()
    account.refresh_from_db()
    assert account.held == 0
    assert_ledger_healthy()


def test_unusable_output_from_every_model_releases_the_hold(fake_openrouter):
    fake_openrouter.default = malformed()
    fake_openrouter.queue(PRIMARY, success(title=None))
    account = funded_account(5)
    ticket = generate(account, owner=funded_user(0))
    assert ticket.status == "failed"
    assert ticket.error_code == "invalid_output"
    assert_not_charged(ticket, account, 5)
    assert spends_for(ticket).count() == 0


def test_visitor_tickets_move_to_the_user_on_merge(offline):
    account = funded_account(3)
    visitor = AnonymousVisitor.objects.create(ip_hash="x" * 64, token_account=account)
    ticket = generate(account, visitor=visitor)
    user = funded_user(0)
    visitor_merged.send(sender=AnonymousVisitor, visitor=visitor, user=user)
    ticket.refresh_from_db()
    assert ticket.owner == user
    assert list(user.tickets.all()) == [ticket]


def test_attempt_stats_for_the_dashboard(fake_openrouter):
    from tickets.selectors import get_attempt_stats

    fake_openrouter.queue(PRIMARY, server_error(), success())
    generate(funded_account(5), owner=funded_user(0))
    now = timezone.now()
    [stats] = get_attempt_stats(start=now - timedelta(days=1), end=now + timedelta(seconds=1))
    assert (stats["provider"], stats["model_name"]) == ("openrouter", PRIMARY)
    assert (stats["attempts"], stats["successes"]) == (2, 1)
    assert stats["prompt_tokens"] == 420
