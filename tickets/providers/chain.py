"""The provider chain: (provider, model) pairs in order, retries with backoff, one JSON repair.

`generate` is the single entry point the tickets service calls (outside any transaction). It
reports every call through `record_attempt`, stamped with the provider actually used, so the
caller can log it, and returns a schema-valid ticket or raises `GenerationFailed` with a code
the user-facing message is chosen from. Which pairs are tried is `registry.model_steps`.
"""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

from . import offline
from .base import Completion, Provider, ProviderError, extract_json
from .prompts import GenerationRequest, build_messages, build_repair_messages
from .registry import model_steps
from .schema import TicketSchemaError, validate_ticket

logger = logging.getLogger(__name__)


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
    steps: list[tuple[Provider, str]]  # (provider, model), tried in this order
    max_retries: int = 2
    backoff_seconds: float = 1.0
    retry_after_max: float = 10.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    @classmethod
    def from_settings(cls, quality: str) -> "ChainConfig":
        return cls(
            steps=model_steps(quality),
            max_retries=settings.OPENROUTER_MAX_RETRIES,
            backoff_seconds=settings.OPENROUTER_BACKOFF_SECONDS,
            retry_after_max=settings.OPENROUTER_RETRY_AFTER_MAX,
        )


def is_offline_mode() -> bool:
    """True when no AI provider is configured and every ticket comes from the offline generator."""
    return all(provider.name == offline.NAME for provider, _ in model_steps("standard"))


def _wait_seconds(error: ProviderError, attempt: int, config: ChainConfig) -> float:
    if error.retry_after is not None:
        # Honour the server, but never let one header park a worker for minutes.
        return min(error.retry_after, config.retry_after_max)
    base = config.backoff_seconds * (2**attempt)
    return min(base + random.uniform(0, base * 0.1), config.retry_after_max)


def _error_record(provider: Provider, model: str, error: ProviderError, outcome: str):
    return AttemptRecord(
        provider=provider.name,
        model=model,
        outcome=outcome,
        latency_ms=error.latency_ms,
        error_code=error.code,
        http_status=error.status,
    )


def _complete(
    provider: Provider,
    model: str,
    request: GenerationRequest,
    messages: list[dict[str, str]],
    config: ChainConfig,
    record_attempt: Callable[[AttemptRecord], None],
) -> Completion:
    """One completion from `model`, retrying retryable errors with backoff; raises the last."""
    for attempt in range(config.max_retries + 1):
        try:
            return provider.complete(request, model=model, messages=messages)
        except ProviderError as error:
            final = not error.retryable or attempt == config.max_retries
            record_attempt(_error_record(provider, model, error, "failed" if final else "retry"))
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


def _completion_record(
    provider: Provider, completion: Completion, model: str, outcome: str, code: str = ""
) -> AttemptRecord:
    return AttemptRecord(
        provider=provider.name,
        model=model,
        outcome=outcome,
        latency_ms=completion.latency_ms,
        error_code=code,
        http_status=completion.http_status,
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
        cost=completion.cost,
    )


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
    """A validated ticket for `request` from the first (provider, model) that produces one.

    Per pair: retries on retryable errors (429/5xx, honouring Retry-After, capped), one repair
    request when the reply is not a valid ticket, then the next pair. With no AI provider
    configured the only pair is the offline generator.
    """
    config = config or ChainConfig.from_settings(request.quality)
    last_code = "unavailable"
    for provider, model in config.steps:
        messages = build_messages(request)
        for repairing in (False, True):
            try:
                completion = _complete(provider, model, request, messages, config, record_attempt)
            except ProviderError as error:
                last_code = error.code
                break
            try:
                content = _validated(completion, request)
            except TicketSchemaError as error:
                code = "invalid_json" if "not valid JSON" in str(error) else "schema_invalid"
                record_attempt(_completion_record(provider, completion, model, "invalid", code))
                last_code = code
                logger.info("%s model %s gave an invalid ticket: %s", provider.name, model, error)
                if repairing:
                    break
                messages = build_repair_messages(messages, completion.content, error.errors)
                continue
            record_attempt(_completion_record(provider, completion, model, "success"))
            return GenerationResult(content=content, provider=provider.name, model=model)
    raise GenerationFailed(_user_code(last_code), f"all models failed; last error {last_code}")
