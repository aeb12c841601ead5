"""`GET /metrics` in Prometheus's text format (prometheus-client), for a scraper holding
METRICS_TOKEN.

Two kinds of figures:
- **Request latency** per route, method and status class: a histogram observed by
  `config.middleware.RequestMetricsMiddleware` in each process. Under gunicorn with several
  workers set PROMETHEUS_MULTIPROC_DIR (an empty directory, wiped at each start) so the
  workers' observations are added up rather than each scrape seeing one worker.
- **State read at scrape time** from the database and the broker (a custom collector): tickets
  by status, generation attempts and their mean latency by provider, model and outcome over
  the last 24 hours, pending and overdue holds, Stripe webhook deliveries waiting for a retry
  or given up, the Celery queue's length, and the last ledger audit's result. One grouped query
  each; nothing is cached, so a scrape always says what is true now.
"""

import os
from datetime import timedelta

from django.conf import settings
from django.db.models import Avg, Count
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

REQUEST_LATENCY = Histogram(
    "myba_http_request_duration_seconds", "Time to answer an HTTP request, by route.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def observe_request(*, route: str, method: str, status: int, seconds: float) -> None:
    REQUEST_LATENCY.labels(route=route, method=method, status=f"{status // 100}xx").observe(
        seconds)


def _gauge(name: str, documentation: str, labels: list[str], rows) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, documentation, labels=labels)
    for *values, value in rows:
        gauge.add_metric([str(v) for v in values], float(value or 0))
    return gauge


class StateCollector:
    """The figures read at scrape time (see the module docstring)."""

    def collect(self):
        from billing.models import WebhookRetry
        from tickets.models import GenerationAttempt, Ticket
        from tokens.models import Hold, HoldStatus
        from tokens.selectors import get_last_audit_run

        now = timezone.now()
        yield _gauge("myba_tickets", "Tickets by status.", ["status"],
                     Ticket.objects.values_list("status").annotate(n=Count("id")).order_by())
        attempts = (GenerationAttempt.objects.filter(created_at__gte=now - timedelta(days=1))
                    .values_list("provider", "model_name", "outcome")
                    .annotate(n=Count("id"), latency=Avg("latency_ms")).order_by())
        attempts = list(attempts)
        yield _gauge("myba_generation_attempts_24h",
                     "Generation attempts in the last 24 hours by provider, model and outcome.",
                     ["provider", "model", "outcome"], [row[:4] for row in attempts])
        yield _gauge("myba_generation_latency_ms_24h",
                     "Mean latency of those attempts, in milliseconds.",
                     ["provider", "model", "outcome"],
                     [(*row[:3], row[4]) for row in attempts])
        pending = Hold.objects.filter(status=HoldStatus.PENDING)
        yield _gauge("myba_holds_pending", "Tokens reserved for work in progress (holds).",
                     ["state"], [("pending", pending.count()),
                                 ("overdue", pending.filter(expires_at__lt=now).count())])
        retries = WebhookRetry.objects.filter(resolved_at__isnull=True)
        yield _gauge("myba_webhook_deliveries_failed",
                     "Stripe webhook deliveries that failed: waiting for a retry, or given up.",
                     ["state"], [("retrying", retries.filter(gave_up_at__isnull=True).count()),
                                 ("gave_up", retries.filter(gave_up_at__isnull=False).count())])
        yield _gauge("myba_celery_queue_length", "Tasks waiting in the Celery queue.",
                     ["queue"], [("celery", _queue_length("celery"))])
        audit = get_last_audit_run()
        yield _gauge("myba_ledger_audit_ok",
                     "1 when the last ledger audit found no mismatch (0 otherwise or never run).",
                     [], [(1 if audit is not None and audit.ok else 0,)])
        yield _gauge("myba_ledger_audit_timestamp_seconds",
                     "When the last ledger audit finished (Unix time; 0 if never).", [],
                     [(audit.finished_at.timestamp() if audit else 0,)])


def _queue_length(queue: str) -> int:
    """The broker's list length for `queue` (Redis); -1 when it cannot be read."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return 0
    try:
        import redis

        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2)
        return int(client.llen(queue))
    except Exception:
        return -1


def render_metrics() -> tuple[bytes, str]:
    """The scrape's body and content type: this process's (or, in multiprocess mode, every
    worker's) request histograms, then the state read now."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        requests = CollectorRegistry()
        multiprocess.MultiProcessCollector(requests)
    else:
        requests = REGISTRY
    state = CollectorRegistry()
    state.register(StateCollector())
    return generate_latest(requests) + generate_latest(state), CONTENT_TYPE_LATEST
