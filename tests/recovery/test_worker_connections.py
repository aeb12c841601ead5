"""A worker process keeps its PostgreSQL connection from task to task (issue #22).

Celery's Django fixup closes every connection before and after each task unless
`CELERY_DB_REUSE_MAX` is set; a new backend per ticket cost the database about 20 ms of CPU
and every prepared statement. The stack's prefork worker is the one production runs.
"""

import time

import pytest

from tests.helpers import wait_until
from tests.recovery.stack import Stack, submit_as_visitor
from tests.tickets.fake_openrouter import success

pytestmark = [pytest.mark.xdist_group("recovery"), pytest.mark.django_db]


def sessions_opened(db) -> int:
    """PostgreSQL's own count of sessions opened on the stack's database."""
    db.execute("SELECT pg_stat_clear_snapshot()")
    return db.execute(
        "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
    ).fetchone()[0]


def run_tickets(stack: Stack, db, count: int) -> None:
    ids = [submit_as_visitor(stack) for _ in range(count)]
    wait_until(
        lambda: db.execute(
            "SELECT count(*) FROM tickets_ticket WHERE id = ANY(%s) AND status = 'succeeded'",
            [ids],
        ).fetchone()[0] == count,
        60, interval=0.1, message=lambda: f"tickets not finished\n{stack.logs()}",
    )


def test_the_worker_runs_many_tickets_on_one_connection(live_stack, provider):
    # Answers at once: no lease heartbeat, which beats on a connection of its own.
    previous, provider.default = provider.default, success()
    try:
        with live_stack.connect() as db:
            run_tickets(live_stack, db, 4)  # every pool process has connected by now
            time.sleep(1.1)  # a backend reports its session to the statistics within 1 s
            before = sessions_opened(db)
            run_tickets(live_stack, db, 8)
            time.sleep(1.1)
            # submit_as_visitor reads each ticket's id on a connection of its own
            opened = sessions_opened(db) - before - 8
    finally:
        provider.default = previous
    assert opened <= 1, f"{opened} sessions opened for 8 tickets"
