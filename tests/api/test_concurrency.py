"""The API under real concurrent requests (threads, each with its own PostgreSQL connection,
released together): a retried create makes one ticket and one hold, a key's budget and the
rate limits hold exactly."""

import pytest

from tests.api.conftest import ApiClient, error_of
from tests.builders import DESCRIPTION
from tests.helpers import assert_ledger_healthy, race, user_balance
from tickets.models import Ticket
from tokens.models import Hold

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def test_concurrent_retries_with_one_idempotency_key_make_one_ticket(api, api_user, offline):
    body = {"description": DESCRIPTION, "type": "story"}
    answers = race(*[lambda: ApiClient(api.key).post(
        "/tickets", body, headers={"Idempotency-Key": "nightly-7"})] * THREADS)
    assert {answer.status_code for answer in answers} == {202}
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert Ticket.objects.count() == 1 and Hold.objects.count() == 1
    assert user_balance(api_user) == 20 - answers[0].json()["cost"]
    assert_ledger_healthy()


def test_a_keys_daily_budget_holds_under_parallel_creates(issue_key, api_user, offline):
    key = issue_key(daily_budget=3)
    answers = race(*[lambda: ApiClient(key).post("/tickets", {"description": DESCRIPTION})]
                   * THREADS)
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [202] * 3 + [402] * (THREADS - 3)
    refused = [error_of(a) for a in answers if a.status_code == 402]
    assert {error["code"] for error in refused} == {"limit_reached"}
    assert refused[0]["details"]["limit"] == "This API key's daily budget"
    assert Hold.objects.count() == 3 and user_balance(api_user) == 20  # held, none spent yet
    assert_ledger_healthy()


def test_the_per_key_rate_limit_is_exact_under_parallel_requests(api, settings):
    settings.API_RATE_LIMIT_KEY = 5
    answers = race(*[lambda: ApiClient(api.key).get("/prices")] * (THREADS + 4))
    ok = [a for a in answers if a.status_code == 200]
    limited = [a for a in answers if a.status_code == 429]
    assert len(ok) == 5 and len(limited) == THREADS - 1
    assert {error_of(a)["code"] for a in limited} == {"rate_limited"}
    assert all(int(a["Retry-After"]) >= 1 and a["X-RateLimit-Remaining"] == "0"
               for a in limited)
    assert sorted(int(a["X-RateLimit-Remaining"]) for a in ok) == [0, 1, 2, 3, 4]


def test_the_workspace_limit_binds_across_its_keys(issue_key, settings):
    settings.API_RATE_LIMIT_WORKSPACE = 4
    keys = [issue_key(), issue_key()]
    answers = race(*[lambda key=key: ApiClient(key).get("/prices")
                     for key in keys for _ in range(4)])
    assert sorted(a.status_code for a in answers) == [200] * 4 + [429] * 4
