"""The provider chain against a real local HTTP server speaking the OpenAI protocol."""

import time

import pytest

from tickets.providers import (
    ChainConfig,
    GenerationFailed,
    GenerationRequest,
    TicketSchemaError,
    generate,
    validate_ticket,
)
from tickets.providers.offline import MODEL_NAME, OFFLINE_NOTE, OfflineProvider, generate_offline
from tickets.providers.openrouter import OpenRouterProvider, parse_retry_after

from .fake_openrouter import (
    FALLBACK,
    PRIMARY,
    FakeOpenRouter,
    invalid_ticket,
    malformed,
    rate_limited,
    server_error,
    slow,
    success,
    ticket_json,
)

REQUEST = GenerationRequest(
    description=(
        "Customers need to download their invoices as PDF so their accountant can file them."
    ),
    ticket_type="story",
    quality="standard",
)


@pytest.fixture
def server():
    fake = FakeOpenRouter().start()
    yield fake
    fake.stop()


@pytest.fixture
def sleeps():
    return []


def openrouter(base_url: str) -> OpenRouterProvider:
    return OpenRouterProvider(
        base_url=base_url, api_key="test-key", connect_timeout=1, read_timeout=0.5
    )


@pytest.fixture
def config(server, sleeps):
    provider = openrouter(server.base_url)
    return ChainConfig(
        steps=[(provider, PRIMARY), (provider, FALLBACK)],
        max_retries=2,
        backoff_seconds=0.01,
        retry_after_max=0.05,
        sleep=sleeps.append,
    )


def run(config, request=REQUEST):
    attempts = []
    result = generate(request, record_attempt=attempts.append, config=config)
    return result, attempts


def outcomes(attempts):
    return [(a.model, a.outcome, a.error_code) for a in attempts]


def test_success_logs_one_attempt_with_usage(server, config):
    result, attempts = run(config)
    assert result.provider == "openrouter"
    assert result.model == PRIMARY
    assert result.content["title"] == "Let customers export invoices as PDF"
    assert outcomes(attempts) == [(PRIMARY, "success", "")]
    assert attempts[0].prompt_tokens == 420
    assert attempts[0].completion_tokens == 310
    assert str(attempts[0].cost) == "0.00042"
    request = server.requests[0]
    assert request["headers"]["Authorization"] == "Bearer test-key"
    assert request["body"]["response_format"] == {"type": "json_object"}
    assert "invoices as PDF" in request["body"]["messages"][-1]["content"]


def test_generations_one_after_another_reuse_one_connection_to_the_provider():
    # Each generation builds its provider from settings; the connection (a TLS handshake to
    # OpenRouter) is kept by the process, not the provider.
    fake = FakeOpenRouter(keep_alive=True).start()
    try:
        for _ in range(3):
            result, _ = run(ChainConfig(steps=[(openrouter(fake.base_url), PRIMARY)]))
            assert result.model == PRIMARY
        assert len(fake.requests) == 3 and fake.connections == 1
    finally:
        fake.stop()


def test_rate_limited_then_success_honours_retry_after_capped(server, config, sleeps):
    server.queue(PRIMARY, rate_limited("30"), success())
    result, attempts = run(config)
    assert result.model == PRIMARY
    assert outcomes(attempts) == [(PRIMARY, "retry", "rate_limited"), (PRIMARY, "success", "")]
    assert attempts[0].http_status == 429
    assert sleeps == [0.05]  # Retry-After 30 s, capped by retry_after_max


def test_server_errors_exhaust_retries_then_fallback_succeeds(server, config, sleeps):
    server.queue(PRIMARY, server_error(), server_error(502), server_error(503))
    result, attempts = run(config)
    assert result.model == FALLBACK
    assert outcomes(attempts) == [
        (PRIMARY, "retry", "server_error"),
        (PRIMARY, "retry", "server_error"),
        (PRIMARY, "failed", "server_error"),
        (FALLBACK, "success", ""),
    ]
    assert len(sleeps) == 2 and all(0 < s <= 0.05 for s in sleeps)


def test_timeout_moves_to_fallback_without_retrying_the_slow_model(server, config):
    server.queue(PRIMARY, slow(2.0))
    started = time.monotonic()
    result, attempts = run(config)
    assert time.monotonic() - started < 2.0
    assert result.model == FALLBACK
    assert outcomes(attempts) == [(PRIMARY, "failed", "timeout"), (FALLBACK, "success", "")]


def test_malformed_json_is_repaired_by_the_same_model(server, config):
    server.queue(PRIMARY, malformed(), success())
    result, attempts = run(config)
    assert result.model == PRIMARY
    assert outcomes(attempts) == [(PRIMARY, "invalid", "invalid_json"), (PRIMARY, "success", "")]
    repair = server.requests[1]["body"]["messages"]
    assert repair[-2]["role"] == "assistant"
    assert "not valid JSON" in repair[-1]["content"]


def test_invalid_twice_moves_to_next_model(server, config):
    server.queue(PRIMARY, invalid_ticket(), invalid_ticket())
    result, attempts = run(config)
    assert result.model == FALLBACK
    assert [a.outcome for a in attempts] == ["invalid", "invalid", "success"]
    assert "priority must be one of" in server.requests[1]["body"]["messages"][-1]["content"]


def test_everything_failing_raises_with_a_user_code(server, config):
    server.default = server_error()
    with pytest.raises(GenerationFailed) as excinfo:
        run(config)
    assert excinfo.value.code == "unavailable"
    assert server.models_called() == [PRIMARY] * 3 + [FALLBACK] * 3


def test_all_rate_limited_is_reported_as_busy(server, config):
    server.default = rate_limited("0")
    with pytest.raises(GenerationFailed) as excinfo:
        run(config)
    assert excinfo.value.code == "busy"


def test_client_error_is_not_retried(server, config):
    server.queue(PRIMARY, server_error(401))
    result, attempts = run(config)
    assert outcomes(attempts)[0] == (PRIMARY, "failed", "http_401")
    assert result.model == FALLBACK


def test_unreachable_server_fails_cleanly(config):
    unreachable = openrouter("http://127.0.0.1:9/api/v1")
    config.steps = [(unreachable, PRIMARY), (unreachable, FALLBACK)]
    config.max_retries = 0
    with pytest.raises(GenerationFailed) as excinfo:
        run(config)
    assert excinfo.value.code == "unavailable"


def test_no_key_uses_offline_generator(settings):
    settings.OPENROUTER_API_KEY = ""
    attempts = []
    result = generate(REQUEST, record_attempt=attempts.append)
    assert (result.provider, result.model) == ("offline", MODEL_NAME)
    assert [(a.provider, a.model, a.outcome, a.http_status) for a in attempts] == [
        ("offline", MODEL_NAME, "success", None)
    ]


def test_offline_fallback_when_allowed(server, config):
    server.default = server_error()
    config.steps.append((OfflineProvider(), MODEL_NAME))
    result, attempts = run(config)
    assert (result.provider, result.model) == ("offline", MODEL_NAME)
    assert [a.provider for a in attempts] == ["openrouter"] * 6 + ["offline"]


@pytest.mark.parametrize("ticket_type", ["bug", "feature", "task", "story"])
def test_offline_generator_is_deterministic_and_valid(ticket_type):
    request = GenerationRequest(
        description=(
            "When I click Save on the profile form the page crashes with an error. "
            "It should save my changes. As a customer I want my profile saved so that "
            "my invoices show the right address."
        ),
        ticket_type=ticket_type,
        quality="standard",
        product_area="Profile",
        tech_stack="Django, htmx",
    )
    first = generate_offline(request)
    assert first == generate_offline(request)
    assert validate_ticket(first, ticket_type=ticket_type) == first
    assert OFFLINE_NOTE in first["technical_notes"]
    assert len(first["title"]) <= 120
    if ticket_type == "bug":
        assert first["steps_to_reproduce"] and first["actual_behaviour"]
        assert first["priority"] == "high"
    if ticket_type in ("story", "feature"):
        assert first["user_story"].startswith("As a customer")


def test_offline_generator_handles_one_long_word():
    request = GenerationRequest(description="x" * 4000, ticket_type="task", quality="standard")
    ticket = generate_offline(request)
    assert len(ticket["title"]) <= 120


def test_schema_rejects_each_bad_field():
    bad = ticket_json("bug", title="t" * 121, priority="urgent", story_points=4,
                      acceptance_criteria=[{"given": "x", "when": "", "then": "y"}],
                      steps_to_reproduce=[], actual_behaviour="")
    with pytest.raises(TicketSchemaError) as excinfo:
        validate_ticket(bad, ticket_type="bug")
    text = str(excinfo.value)
    for fragment in ("title must be at most 120", "priority", "story_points",
                     "acceptance_criteria[1].when", "steps_to_reproduce", "actual_behaviour"):
        assert fragment in text


def test_schema_requires_user_story_for_stories_and_features():
    with pytest.raises(TicketSchemaError, match="user_story"):
        validate_ticket(ticket_json("feature", user_story="Export PDFs"), ticket_type="feature")
    assert validate_ticket(ticket_json("task", user_story="ignored"),
                           ticket_type="task")["user_story"] == ""


def test_schema_normalises_labels_and_points():
    data = validate_ticket(ticket_json(labels=["Billing Area", "billing-area", "API"],
                                       story_points="5", priority="HIGH"), ticket_type="story")
    assert data["labels"] == ["billing-area", "api"]
    assert data["story_points"] == 5
    assert data["priority"] == "high"


def test_schema_rejects_a_type_mismatch_and_non_objects():
    with pytest.raises(TicketSchemaError, match="type must be"):
        validate_ticket(ticket_json("bug"), ticket_type="story")
    with pytest.raises(TicketSchemaError):
        validate_ticket(["not", "an", "object"], ticket_type="story")


def test_retry_after_parses_seconds_and_dates():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize(
    ("description", "title", "story"),
    [
        (
            "As a support agent I need to export a customer's conversation history as PDF "
            "so that I can attach it to escalation emails.",
            "Export a customer's conversation history as PDF",
            "As a support agent, I want to export a customer's conversation history as PDF "
            "so that I can attach it to escalation emails",
        ),
        (
            "We need a dark mode toggle in the settings page. It should remember the choice.",
            "Add a dark mode toggle to the settings page",
            "As a user, I want a dark mode toggle in the settings page so that",
        ),
    ],
)
def test_offline_story_reads_like_a_sentence_a_person_wrote(description, title, story):
    """The role and benefit are lifted out of the description, not repeated inside it."""
    request = GenerationRequest(description=description, ticket_type="story", quality="standard")
    ticket = generate_offline(request)
    assert ticket["title"] == title
    assert ticket["user_story"].startswith(story)
    assert ticket["user_story"].count("so that") == 1
