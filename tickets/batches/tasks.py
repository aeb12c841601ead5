"""Celery tasks for batches: thin wrappers that take ids and call one service."""

import threading

from celery import shared_task

from tickets.batches import services
from tickets.services.running import DB_OUTAGE_ERRORS

# Run inline (CELERY_TASK_ALWAYS_EAGER: `make run`, tests), a row's generation finishes
# inside the advance that started it, and its settled signal asks for the next advance
# there: 500 rows would nest 500 deep. Within one thread, such a request is queued and run
# after the current advance instead (a worker never nests, so this changes nothing there).
_inline = threading.local()


@shared_task(name="tickets.advance_batch", acks_late=True, autoretry_for=DB_OUTAGE_ERRORS,
             retry_backoff=1, retry_backoff_max=30, retry_jitter=False, max_retries=12)
def advance_batch_task(batch_id: int) -> int | None:
    waiting = getattr(_inline, "waiting", None)
    if waiting is not None:
        waiting.append(batch_id)
        return None
    _inline.waiting = waiting = [batch_id]
    started = 0
    try:
        while waiting:
            started += services.advance_batch(batch_id=waiting.pop(0))
    finally:
        _inline.waiting = None
    return started
