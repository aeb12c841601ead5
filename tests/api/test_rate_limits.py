"""Rate limits: the web generator's submits per person, and the limiter without Redis (the
zero-setup run's local cache)."""

import pytest
from django.test import override_settings

from accounts import ratelimit
from billing.models import PlanSubscription
from tests.builders import client_for, funded_user, ticket_form
from tickets.models import Ticket


def test_the_generator_refuses_submits_over_the_rate_and_says_when(settings, prices, offline,
                                                                   committing):
    settings.GENERATE_RATE_LIMIT = 2
    client = client_for(funded_user(10))
    for _ in range(2):
        with committing():
            answer = client.post("/tickets/new/", ticket_form(skip="1"))
        assert answer.status_code == 302 and answer["X-RateLimit-Limit"] == "2"
    refused = client.post("/tickets/new/", ticket_form(skip="1"))
    assert refused.status_code == 429
    assert b"You are making tickets very fast" in refused.content
    assert int(refused["Retry-After"]) >= 1 and refused["X-RateLimit-Remaining"] == "0"
    assert Ticket.objects.count() == 2
    htmx = client.post("/tickets/new/", ticket_form(skip="1"), headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and b"You are making tickets very fast" in htmx.content


@override_settings(CACHES={"default": {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rate-test"}})
def test_without_redis_the_local_cache_counts_the_same():
    results = [ratelimit.hit("local", limit=3, now=1_000_000.0) for _ in range(5)]
    assert [r.allowed for r in results] == [True, True, True, False, False]
    assert [r.remaining for r in results] == [2, 1, 0, 0, 0]
    assert results[0].reset_at == 1_000_020  # the end of the minute window
    assert ratelimit.hit("local", limit=3, now=1_000_020.0).allowed  # a new window


@pytest.mark.parametrize("limit", [1, 3])
def test_with_redis_each_window_allows_exactly_the_limit(limit):
    results = [ratelimit.hit(f"redis-{limit}", limit=limit, now=2_000_000.0)
               for _ in range(limit + 2)]
    assert sum(r.allowed for r in results) == limit


def test_a_plan_sets_its_subscribers_workspace_rate(api, api_user, plans, settings):
    settings.API_RATE_LIMIT_WORKSPACE = 100
    plan = next(iter(plans.values()))
    plan.api_requests_per_minute = 2
    plan.save()
    PlanSubscription.objects.create(
        token_account=api_user.token_account, user=api_user, plan=plan,
        status=PlanSubscription.Status.ACTIVE, stripe_subscription_id="sub_rate_test")
    answers = [api.get("/prices") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0]["X-RateLimit-Limit"] == "2"
