"""GET /metrics (issue 22, operations): Prometheus's text format for a scraper holding the
token — request latency by route, and tickets, generations, holds, failed webhooks, the
Celery queue and the ledger audit read at scrape time."""

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tests.builders import client_for, finished_ticket, funded_user, new_key
from tokens.services import record_ledger_audit, reserve_tokens

pytestmark = pytest.mark.django_db

TOKEN = "metrics-test-token-0123456789"


def scrape(client, token=TOKEN):
    return client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")


def samples(response) -> dict:
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_only_a_scraper_with_the_token_reads_it(settings):
    settings.METRICS_TOKEN = ""
    assert client_for().get("/metrics").status_code == 404
    settings.METRICS_TOKEN = TOKEN
    assert client_for().get("/metrics").status_code == 401
    assert scrape(client_for(), token="wrong").status_code == 401
    assert scrape(client_for()).status_code == 200


def test_the_figures_are_the_rows(settings, offline, django_capture_on_commit_callbacks):
    settings.METRICS_TOKEN = TOKEN
    user = funded_user(10)
    finished_ticket(user)
    finished_ticket(user)
    reserve_tokens(account=user.token_account, amount=1, idempotency_key=new_key("hold"))
    record_ledger_audit(started_at=timezone.now(), mismatches=[])
    client = client_for(user)
    assert client.get("/tickets/").status_code == 200
    response = scrape(client)
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    found = samples(response)
    assert found[("myba_tickets", (("status", "succeeded"),))] == 2
    assert found[("myba_holds_pending", (("state", "pending"),))] == 1
    assert found[("myba_holds_pending", (("state", "overdue"),))] == 0
    assert found[("myba_ledger_audit_ok", ())] == 1
    assert found[("myba_generation_attempts_24h", (("model", "offline-rules-v2"),
                                                    ("outcome", "success"),
                                                    ("provider", "offline")))] == 2
    assert found[("myba_webhook_deliveries_failed", (("state", "retrying"),))] == 0
    assert ("myba_celery_queue_length", (("queue", "celery"),)) in found
    # The page just loaded is counted under its route, not its path.
    count = found[("myba_http_request_duration_seconds_count",
                   (("method", "GET"), ("route", "/tickets/"), ("status", "2xx")))]
    assert count >= 1
