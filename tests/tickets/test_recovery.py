"""Runs that die, leases that lapse, and the sweep that recovers them (issue #11 §2, §3).

In-process with real threads on PostgreSQL; the fake OpenRouter holds a provider call open
so a generation is in flight exactly when the test needs it. The same behaviour against a
real killed worker and a stopped PostgreSQL is in tests/recovery/test_recovery.py.
"""

import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.utils import timezone

from tests.builders import funded_account, funded_user, request_ticket
from tests.helpers import (
    assert_charged_once,
    assert_not_charged,
    in_thread,
    spends_for,
    wait_until,
)
from tickets import services
from tickets.models import Ticket
from tickets.services.running import MAX_RUNS
from tickets.timing import Timing, timing, timing_problems
from tokens.models import Hold
from tokens.services import release_expired_holds

from .fake_openrouter import PRIMARY, held, success

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def short_lease(settings):
    settings.TICKETS_RUN_LEASE_SECONDS = 3
    settings.TICKETS_SWEEP_SECONDS = 1
    settings.OPENROUTER_READ_TIMEOUT = 20


@contextmanager
def generation_in_flight(fake_openrouter, reply=None):
    """A funded ticket whose generation runs in a worker thread, its provider call held open
    for the block; yields (ticket, account, result list). On exit the provider answers
    (`reply`, a valid story by default) and the worker finishes."""
    gate = threading.Event()
    fake_openrouter.queue(PRIMARY, held(gate, reply))
    account = funded_account(5)
    ticket = request_ticket(account, owner=funded_user(0))
    thread, result = in_thread(lambda: services.run_ticket_generation(ticket_id=ticket.pk))
    try:
        assert fake_openrouter.in_flight.wait(10), "the generation never reached the provider"
        yield ticket, account, result
    finally:
        gate.set()
        thread.join(20)
    assert not thread.is_alive()


def lease_of(ticket: Ticket):
    return Ticket.objects.get(pk=ticket.pk).lease_expires_at


def lapse(ticket: Ticket, **extra) -> None:
    """What a run that died leaves behind: running, its lease in the past."""
    Ticket.objects.filter(pk=ticket.pk).update(
        status="running", lease_expires_at=timezone.now() - timedelta(seconds=1), **extra
    )


def test_the_heartbeat_keeps_a_long_generation_leased(fake_openrouter, short_lease):
    with generation_in_flight(fake_openrouter) as (ticket, account, _):
        first = lease_of(ticket)
        # Renewed every lease/3 = 1 s: wait for a beat after the first lease's end (the
        # renewed lease then ends a whole lease after it). The run outlived its first lease
        # without ever lapsing, so the sweep leaves it alone.
        wait_until(lambda: lease_of(ticket) > first + timedelta(seconds=3), 10,
                   message="the heartbeat did not renew the lease past its first end")
        assert lease_of(ticket) > timezone.now()
        sweep = services.sweep_stuck_tickets()
        assert (sweep.given_up, sweep.sent_again) == (0, 0)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.runs, ticket.lease_expires_at) == ("succeeded", 1, None)
    assert_charged_once(ticket, account, 5)


def test_runs_one_after_another_renew_their_leases_on_one_connection(
    fake_openrouter, short_lease
):
    """One thread per process keeps the leases, on a connection it keeps between runs: a
    thread per run opened a PostgreSQL backend for every generation longer than a beat."""

    def renewing_backends() -> set[int]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND query LIKE %s",
                ['UPDATE "tickets_ticket" SET "lease_expires_at"%'])
            return {pid for (pid,) in cursor.fetchall()}

    seen = set()
    for _ in range(3):
        with generation_in_flight(fake_openrouter) as (ticket, _, _):
            first = wait_until(lambda: lease_of(ticket), 10)  # noqa: B023 (claimed)
            wait_until(lambda: lease_of(ticket) > first, 10,  # noqa: B023
                       message="the lease was not renewed")
            seen |= renewing_backends()
        assert Ticket.objects.get(pk=ticket.pk).status == "succeeded"
    assert len(seen) == 1, seen


def test_a_run_that_died_is_sent_again_and_taken_over(fake_openrouter, short_lease):
    account = funded_account(5)
    ticket = request_ticket(account, owner=funded_user(0))
    lapse(ticket, runs=1, dispatched_at=timezone.now() - timedelta(minutes=1))
    sweep = services.sweep_stuck_tickets()
    assert (sweep.given_up, sweep.sent_again) == (0, 1)
    assert services.sweep_stuck_tickets().sent_again == 0  # sent once per lease, not per sweep
    # The task the sweep sent (run here in-process) takes the lapsed run over.
    finished = services.run_ticket_generation(ticket_id=ticket.pk)
    assert (finished.status, finished.runs) == ("succeeded", 2)
    assert_charged_once(finished, account, 5)


def test_a_queued_ticket_whose_message_was_lost_is_sent_again(fake_openrouter, short_lease):
    account = funded_account(5)
    ticket = request_ticket(account, owner=funded_user(0))
    assert services.sweep_stuck_tickets().sent_again == 0  # just sent: a worker may be on it
    Ticket.objects.filter(pk=ticket.pk).update(dispatched_at=timezone.now() - timedelta(seconds=4))
    assert services.sweep_stuck_tickets().sent_again == 1
    assert Ticket.objects.get(pk=ticket.pk).dispatched_at > timezone.now() - timedelta(seconds=2)


def test_a_run_that_lost_its_ticket_cannot_finish_it(fake_openrouter, short_lease):
    lost = success(title="From the run that was lost")
    with generation_in_flight(fake_openrouter, lost) as (ticket, account, zombie_result):
        # The first run looks dead (its lease lapsed); a second worker takes the ticket over.
        lapse(ticket)
        taken_over = services.run_ticket_generation(ticket_id=ticket.pk)
        assert (taken_over.status, taken_over.runs) == ("succeeded", 2)
    ticket.refresh_from_db()
    assert ticket.title == "Let customers export invoices as PDF"  # the second run's
    assert zombie_result[0].status == "succeeded"  # it reports the stored ticket, unchanged
    assert_charged_once(ticket, account, 5)


def test_a_ticket_whose_runs_keep_dying_is_given_up_and_released(fake_openrouter, short_lease):
    account = funded_account(5)
    ticket = request_ticket(account, owner=funded_user(0))
    lapse(ticket, runs=MAX_RUNS)
    assert services.run_ticket_generation(ticket_id=ticket.pk) is None
    sweep = services.sweep_stuck_tickets()
    assert (sweep.given_up, sweep.sent_again) == (1, 0)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.error_code) == ("failed", "interrupted")
    assert "not charged" in ticket.error_message
    assert_not_charged(ticket, account, 5)


def test_a_live_run_is_never_given_up_or_taken_over(fake_openrouter, short_lease):
    account = funded_account(5)
    ticket = request_ticket(account, owner=funded_user(0))
    Ticket.objects.filter(pk=ticket.pk).update(
        status="running", runs=MAX_RUNS, lease_expires_at=timezone.now() + timedelta(seconds=3),
        dispatched_at=timezone.now() - timedelta(minutes=1),
    )
    assert services.run_ticket_generation(ticket_id=ticket.pk) is None
    sweep = services.sweep_stuck_tickets()
    assert (sweep.given_up, sweep.sent_again) == (0, 0)
    assert Ticket.objects.get(pk=ticket.pk).status == "running"


def test_a_hold_that_expires_mid_generation_fails_the_ticket_without_charge(
    fake_openrouter, short_lease
):
    with generation_in_flight(fake_openrouter) as (ticket, account, result):
        Hold.objects.filter(pk=ticket.hold_id).update(expires_at=timezone.now() - timedelta(1))
        assert release_expired_holds() == 1
    assert (result[0].status, result[0].error_code) == ("failed", "expired")
    assert not spends_for(ticket).exists()
    assert_not_charged(ticket, account, 5)


def test_the_default_timing_contract_holds():
    assert timing_problems(timing()) == []


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"soft_limit": 300}, "TICKETS_TASK_SOFT_TIME_LIMIT (300 s) must be positive and below"),
        ({"visibility_timeout": 200}, "TICKETS_TASK_TIME_LIMIT (270 s) must be positive"),
        ({"hold_ttl": 250}, "CELERY_VISIBILITY_TIMEOUT (300 s) must be positive and below"),
        ({"stuck_after": 500}, "TICKETS_HOLD_TTL_SECONDS (600 s) must be positive and below"),
        ({"sweep_every": 30}, "TICKETS_SWEEP_SECONDS (30 s) must be positive and below"),
        ({"lease": 2, "sweep_every": 1}, "TICKETS_RUN_LEASE_SECONDS (2 s) must be at least 3"),
        ({"hold_ttl": 560, "stuck_after": 900}, "so a run lost at its time limit can be taken"),
    ],
)
def test_a_broken_timing_contract_is_explained(change, complaint):
    figures = {**timing().__dict__, **change}
    problems = timing_problems(Timing(**figures))
    assert any(complaint in problem for problem in problems), problems


def test_manage_py_check_refuses_an_inconsistent_set(settings):
    settings.TICKETS_HOLD_TTL_SECONDS = 120
    with pytest.raises(SystemCheckError, match="tickets.E001"):
        call_command("check")
