"""Keeping the leases of the runs in progress in this process alive.

One thread per process renews every run's lease a heartbeat after its last renewal, on one
database connection it keeps while runs follow each other (closed after a heartbeat idle).
A thread per run opened a new PostgreSQL backend for every generation longer than a
heartbeat (about 20 ms of database CPU each).
"""

import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from tickets.models import Status, Ticket
from tickets.timing import timing

logger = logging.getLogger(__name__)


class _LeaseKeeper:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._due: dict[int, tuple[uuid.UUID, float]] = {}  # ticket id -> (run token, when)
        self._thread: threading.Thread | None = None
        self._pid = 0

    def keep(self, ticket_id: int, token: uuid.UUID) -> None:
        with self._changed:
            self._due[ticket_id] = (token, time.monotonic() + timing().heartbeat)
            # A pool process forked from a parent that had the thread does not have it.
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="ticket-leases",
                                                daemon=True)
                self._thread.start()
            self._changed.notify()

    def drop(self, ticket_id: int, token: uuid.UUID | None = None) -> None:
        """Stops renewing the run's lease (only if it is still run `token`, when given). A
        renewal already under way may still land: it applies only to a ticket this run still
        has running, as the run's own writes do."""
        with self._changed:
            if token is None or self._due.get(ticket_id, (None,))[0] == token:
                self._due.pop(ticket_id, None)
                self._changed.notify()

    def _run(self) -> None:
        while True:
            with self._changed:
                if not self._due:
                    # Idle: the connection waits a heartbeat for the next run, then is let go.
                    idle = not self._changed.wait(timing().heartbeat) and not self._due
                    due = None
                else:
                    idle, due = False, self._take_due()
            if idle:
                connection.close()
            if not due:
                continue
            # As Django does before each request: drop a connection past its age or broken.
            close_old_connections()
            for pk, token in due:
                if not self._renew(pk, token):
                    self.drop(pk, token)

    def _take_due(self) -> list[tuple[int, uuid.UUID]] | None:
        """The runs due a renewal, their next one set a heartbeat on; or None after waiting
        for the nearest (called with the lock held)."""
        now = time.monotonic()
        due = [(pk, token) for pk, (token, when) in self._due.items() if when <= now]
        if not due:
            self._changed.wait(min(when for _, when in self._due.values()) - now)
            return None
        beat = timing().heartbeat
        for pk, token in due:
            self._due[pk] = (token, now + beat)
        return due

    @staticmethod
    def _renew(ticket_id: int, token: uuid.UUID) -> bool:
        """Whether the run still holds the ticket (a failed renewal is tried at the next
        beat, on a fresh connection)."""
        try:
            return bool(Ticket.objects.filter(
                pk=ticket_id, run_token=token, status=Status.RUNNING
            ).update(lease_expires_at=timezone.now() + timing().seconds("lease")))
        except DatabaseError:
            logger.warning("ticket %s: lease not renewed", ticket_id, exc_info=True)
            connection.close()
            return True


_keeper = _LeaseKeeper()


@contextmanager
def leased(ticket_id: int, token: uuid.UUID) -> Iterator[None]:
    """Keep the run's lease alive for the block (the provider call): renewed every heartbeat
    until the block ends or the run loses the ticket, through a database outage too."""
    _keeper.keep(ticket_id, token)
    try:
        yield
    finally:
        _keeper.drop(ticket_id)
