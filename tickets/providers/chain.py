"""The provider chain: models in order, retries with backoff, one JSON repair, then fallbacks.

`generate` is the single entry point the tickets service calls (outside any transaction). It
reports every HTTP attempt through `record_attempt` so the caller can log it, and returns a
schema-valid ticket or raises `GenerationFailed` with a code the user-facing message is
chosen from.
"""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

from . import offline
from .openrouter import PROVIDER_NAME, Completion, OpenRouterClient, ProviderError, extract_json
from .prompts import GenerationRequest, build_messages, build_repair_messages
from .schema import TicketSchemaError, validate_ticket

logger = logging.getLogger(__name__)

OFFLINE_PROVIDER = "offline"


@dataclass
class AttemptRecord:
    """One call to a generator, as the attempt log stores it."""

    provider: str
    model: str
    outcome: str  # success | retry | failed | invalid
    latency_ms: int = 0
    error_code: str = ""
    http_status: int | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost: Decimal | None = None


@dataclass
class GenerationResult:
    content: dict
    provider: str
    model: str


class GenerationFailed(Exception):
    """Every model failed. `code` is one of busy, timeout, invalid_output, unavailable."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(detail or code)
        self.code = code


@dataclass
class ChainConfig:
    api_key: str
    base_url: str
    models: list[str]
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    max_retries: int = 2
    backoff_seconds: float = 1.0
    retry_after_max: float = 10.0
    offline_fallback: bool = False
    site_url: str = ""
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    @classmethod
    def from_settings(cls, quality: str) -> "ChainConfig":
        primary = getattr(settings, f"OPENROUTER_MODEL_{quality.upper()}")
        fallbacks = getattr(settings, f"OPENROUTER_FALLBACKS_{quality.upper()}")
        models = list(dict.fromkeys([primary, *fallbacks]))
        return cls(
            api_key=settings.OPENROUTER_API_KEY,
            base_url=settings.OPENROUTER_BASE_URL,
            models=models,
            connect_timeout=settings.OPENROUTER_CONNECT_TIMEOUT,
            read_timeout=settings.OPENROUTER_READ_TIMEOUT,
            max_retries=settings.OPENROUTER_MAX_RETRIES,
            backoff_seconds=settings.OPENROUTER_BACKOFF_SECONDS,
            retry_after_max=settings.OPENROUTER_RETRY_AFTER_MAX,
            offline_fallback=settings.TICKETS_OFFLINE_FALLBACK and quality == "standard",
            site_url=settings.SITE_URL,
        )


def is_offline_mode() -> bool:
    """True when no AI key is configured and every ticket comes from the offline generator."""
    return not settings.OPENROUTER_API_KEY


def _wait_seconds(error: ProviderError, attempt: int, config: ChainConfig) -> float:
    if error.retry_after is not None:
        # Honour the server, but never let one header park a worker for minutes.
        return min(error.retry_after, config.retry_after_max)
    base = config.backoff_seconds * (2**attempt)
    return min(base + random.uniform(0, base * 0.1), config.retry_after_max)


def _error_record(model: str, error: ProviderError, outcome: str) -> AttemptRecord:
    return AttemptRecord(
        provider=PROVIDER_NAME,
        model=model,
        outcome=outcome,
        latency_ms=error.latency_ms,
        error_code=error.code,
        http_status=error.status,
    )


def _complete(
    client: OpenRouterClient,
    model: str,
    messages: list[dict[str, str]],
    config: ChainConfig,
    record_attempt: Callable[[AttemptRecord], None],
) -> Completion:
    """One completion from `model`, retrying 429/5xx with backoff; raises the last error."""
    for attempt in range(config.max_retries + 1):
        try:
            return client.chat(model=model, messages=messages)
        except ProviderError as error:
            final = not error.retryable or attempt == config.max_retries
            record_attempt(_error_record(model, error, "failed" if final else "retry"))
            if final:
                raise
            config.sleep(_wait_seconds(error, attempt, config))
    raise AssertionError("unreachable: the loop returns or raises")


def _validated(completion: Completion, request: GenerationRequest) -> dict:
    try:
        data = extract_json(completion.content)
    except ValueError as exc:
        raise TicketSchemaError(["the reply was not valid JSON"]) from exc
    return validate_ticket(data, ticket_type=request.ticket_type)


def _completion_record(completion: Completion, model: str, outcome: str, code: str = ""):
    return AttemptRecord(
        provider=PROVIDER_NAME,
        model=model,
        outcome=outcome,
        latency_ms=completion.latency_ms,
        error_code=code,
        http_status=200,
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
        cost=completion.cost,
    )


def _offline(request: GenerationRequest, record_attempt) -> GenerationResult:
    started = time.monotonic()
    content = offline.generate_offline(request)
    record_attempt(
        AttemptRecord(
            provider=OFFLINE_PROVIDER,
            model=offline.MODEL_NAME,
            outcome="success",
            latency_ms=int((time.monotonic() - started) * 1000),
        )
    )
    return GenerationResult(content=content, provider=OFFLINE_PROVIDER, model=offline.MODEL_NAME)


def _user_code(error_code: str) -> str:
    if error_code == "rate_limited":
        return "busy"
    if error_code == "timeout":
        return "timeout"
    if error_code in ("invalid_json", "schema_invalid"):
        return "invalid_output"
    return "unavailable"


def generate(
    request: GenerationRequest,
    *,
    record_attempt: Callable[[AttemptRecord], None],
    config: ChainConfig | None = None,
) -> GenerationResult:
    """A validated ticket for `request` from the first model that produces one.

    Per model: retries on 429/5xx (honouring Retry-After, capped), one repair request when the
    reply is not a valid ticket, then the next model. With no API key, the offline generator.
    """
    config = config or ChainConfig.from_settings(request.quality)
    if not config.api_key:
        return _offline(request, record_attempt)
    client = OpenRouterClient(
        base_url=config.base_url,
        api_key=config.api_key,
        connect_timeout=config.connect_timeout,
        read_timeout=config.read_timeout,
        site_url=config.site_url,
    )
    last_code = "unavailable"
    for model in config.models:
        messages = build_messages(request)
        for repairing in (False, True):
            try:
                completion = _complete(client, model, messages, config, record_attempt)
            except ProviderError as error:
                last_code = error.code
                break
            try:
                content = _validated(completion, request)
            except TicketSchemaError as error:
                code = "invalid_json" if "not valid JSON" in str(error) else "schema_invalid"
                record_attempt(_completion_record(completion, model, "invalid", code))
                last_code = code
                logger.info("model %s gave an invalid ticket: %s", model, error)
                if repairing:
                    break
                messages = build_repair_messages(messages, completion.content, error.errors)
                continue
            record_attempt(_completion_record(completion, model, "success"))
            return GenerationResult(content=content, provider=PROVIDER_NAME, model=model)
    if config.offline_fallback:
        return _offline(request, record_attempt)
    raise GenerationFailed(_user_code(last_code), f"all models failed; last error {last_code}")
