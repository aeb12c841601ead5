"""The `Provider` protocol: the chain iterates (provider, model) pairs built from settings.

A second provider that is not OpenAI-compatible (no HTTP at all) is registered for a test and
named in the model settings; the chain retries, repairs and falls back across providers the
same way, and every attempt (and the finished ticket) carries the provider actually used.
OpenRouter is mocked only at the HTTP boundary (the local fake server).
"""

import json
from collections import deque

import pytest

from tests.builders import funded_user, request_ticket
from tests.helpers import assert_charged_once, assert_not_charged
from tickets import services
from tickets.models import GenerationAttempt
from tickets.providers import (
    ChainConfig,
    Completion,
    GenerationFailed,
    GenerationRequest,
    ProviderError,
    generate,
    is_offline_mode,
    registry,
)
from tickets.providers.offline import MODEL_NAME

from .fake_openrouter import FALLBACK, PRIMARY, server_error, ticket_json

REQUEST = GenerationRequest(
    description="Customers need to download their invoices as PDF for their accountant.",
    ticket_type="story",
    quality="standard",
)


class ScriptedProvider:
    """A provider with its own (non-OpenAI) protocol: it answers from a script, in order."""

    name = "scripted"

    def __init__(self, *replies):
        self.replies = deque(replies)
        self.calls = []

    def complete(self, request, *, model, messages):
        self.calls.append({"request": request, "model": model, "messages": messages})
        reply = self.replies.popleft() if self.replies else valid()
        if isinstance(reply, ProviderError):
            raise reply
        return reply


def valid(**overrides) -> Completion:
    return Completion(content=json.dumps(ticket_json(**overrides)), model="scripted-1",
                      latency_ms=12, prompt_tokens=7, completion_tokens=9)


def busy() -> ProviderError:
    return ProviderError("rate_limited", "slow down", retryable=True, retry_after=0)


@pytest.fixture
def scripted(monkeypatch):
    """Registers a ScriptedProvider as "scripted"; the test sets its replies."""
    provider = ScriptedProvider()
    monkeypatch.setitem(registry.PROVIDERS, ScriptedProvider.name, lambda: provider)
    return provider


def pairs(quality="standard"):
    return [(provider.name, model) for provider, model in registry.model_steps(quality)]


def records(attempts):
    return [(a.provider, a.model, a.outcome, a.error_code) for a in attempts]


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("openai/gpt-oss-20b", ("openrouter", "openai/gpt-oss-20b")),
        ("meta-llama/llama-3.3-70b-instruct:free", ("openrouter",
                                                    "meta-llama/llama-3.3-70b-instruct:free")),
        ("offline:offline-rules-v2", ("offline", "offline-rules-v2")),
        ("nobody:model", ("openrouter", "nobody:model")),
    ],
)
def test_a_model_setting_names_its_provider(spec, parsed):
    assert registry.parse_model(spec) == parsed


def test_pairs_come_from_settings(settings):
    settings.OPENROUTER_API_KEY = "test-key"
    settings.OPENROUTER_MODEL_STANDARD = PRIMARY
    settings.OPENROUTER_FALLBACKS_STANDARD = [FALLBACK, PRIMARY]
    settings.OPENROUTER_MODEL_ADVANCED = "test/advanced-model"
    settings.OPENROUTER_FALLBACKS_ADVANCED = []
    settings.TICKETS_OFFLINE_FALLBACK = False
    assert pairs() == [("openrouter", PRIMARY), ("openrouter", FALLBACK)]
    settings.TICKETS_OFFLINE_FALLBACK = True
    assert pairs() == [("openrouter", PRIMARY), ("openrouter", FALLBACK), ("offline", MODEL_NAME)]
    assert pairs("advanced") == [("openrouter", "test/advanced-model")]
    assert not is_offline_mode()
    settings.OPENROUTER_API_KEY = ""
    assert pairs() == pairs("advanced") == [("offline", MODEL_NAME)]
    assert is_offline_mode()


def test_a_second_provider_is_configured_by_naming_it(settings, scripted):
    settings.OPENROUTER_API_KEY = ""
    settings.OPENROUTER_MODEL_STANDARD = "scripted:scripted-1"
    settings.OPENROUTER_FALLBACKS_STANDARD = [PRIMARY]
    assert pairs() == [("scripted", "scripted-1")]  # OpenRouter has no key: left out
    assert not is_offline_mode()


def test_retries_and_repair_work_the_same_for_any_provider():
    provider = ScriptedProvider(busy(), valid(title=""), valid())
    sleeps = []
    config = ChainConfig(steps=[(provider, "scripted-1")], max_retries=2, backoff_seconds=0,
                         retry_after_max=0.05, sleep=sleeps.append)
    attempts = []
    result = generate(REQUEST, record_attempt=attempts.append, config=config)
    assert (result.provider, result.model) == ("scripted", "scripted-1")
    assert records(attempts) == [
        ("scripted", "scripted-1", "retry", "rate_limited"),
        ("scripted", "scripted-1", "invalid", "schema_invalid"),
        ("scripted", "scripted-1", "success", ""),
    ]
    assert sleeps == [0]
    assert attempts[-1].http_status is None and attempts[-1].prompt_tokens == 7
    repair = provider.calls[-1]["messages"]
    assert repair[-2]["role"] == "assistant" and "title is required" in repair[-1]["content"]
    assert all(call["request"] is REQUEST for call in provider.calls)


@pytest.mark.django_db
def test_fallback_from_openrouter_to_another_provider_is_recorded_per_provider(
    fake_openrouter, settings, scripted
):
    settings.OPENROUTER_FALLBACKS_STANDARD = ["scripted:scripted-1"]
    fake_openrouter.default = server_error(503)
    user = funded_user(5)
    account = user.token_account
    ticket = request_ticket(account, owner=user)
    services.run_ticket_generation(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    assert ticket.status == "succeeded"
    assert (ticket.generator, ticket.model_name) == ("scripted", "scripted-1")
    rows = GenerationAttempt.objects.filter(ticket=ticket).order_by("id")
    assert [(a.provider, a.model_name, a.outcome) for a in rows] == [
        ("openrouter", PRIMARY, "retry"),
        ("openrouter", PRIMARY, "retry"),
        ("openrouter", PRIMARY, "failed"),
        ("scripted", "scripted-1", "success"),
    ]
    assert_charged_once(ticket, account, 5)


@pytest.mark.django_db
def test_a_provider_that_keeps_failing_fails_the_ticket_with_its_code(
    settings, prices, scripted
):
    settings.OPENROUTER_API_KEY = ""
    settings.OPENROUTER_MODEL_STANDARD = "scripted:scripted-1"
    settings.OPENROUTER_FALLBACKS_STANDARD = []
    settings.OPENROUTER_MAX_RETRIES = 1
    settings.OPENROUTER_BACKOFF_SECONDS = 0
    settings.TICKETS_OFFLINE_FALLBACK = False
    scripted.replies.extend([busy(), busy()])
    with pytest.raises(GenerationFailed) as excinfo:
        generate(REQUEST, record_attempt=lambda record: None)
    assert excinfo.value.code == "busy"
    scripted.replies.extend([busy(), busy()])
    user = funded_user(5)
    account = user.token_account
    ticket = request_ticket(account, owner=user)
    services.run_ticket_generation(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.error_code) == ("failed", "busy")
    assert set(GenerationAttempt.objects.values_list("provider", flat=True)) == {"scripted"}
    assert_not_charged(ticket, account, 5)
