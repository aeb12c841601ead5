"""The provider chain: (provider, model) pairs in order, retries with backoff, one repair.

`generate` is the single entry point the tickets service calls (outside any transaction). It
reports every call through `record_attempt`, stamped with the provider actually used and the
prompt version sent, so the caller can log it, and returns a schema-valid ticket or raises
`GenerationFailed` with a code the user-facing message is chosen from. Which pairs are tried
is `registry.model_steps`.

A reply gets one repair round per (provider, model): when it is not a valid ticket (bad JSON,
schema errors), or when it is valid but fails a hard quality rule (`tickets.quality.HARD_RULES`:
no usable title, criteria, story or reproduction). A quality repair never fails a
generation: if the repaired reply is worse (or none came), the first one is kept.
"""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.conf import settings

from tickets.quality import HARD_RULES, RuleResult, Scorecard, check_ticket

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
    prompt_version: str = ""


@dataclass
class GenerationResult:
    content: dict
    provider: str
    model: str
    prompt_version: str


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


def _prompt_version(provider: Provider, model: str, request: GenerationRequest) -> str:
    """What produced the content besides the model: the request's prompt version, or for the
    offline generator (which reads no prompt) its own version, its model name."""
    return model if provider.name == offline.NAME else request.prompt_texts.label


def _error_record(provider: Provider, model: str, error: ProviderError, outcome: str,
                  request: GenerationRequest):
    return AttemptRecord(
        provider=provider.name,
        model=model,
        outcome=outcome,
        latency_ms=error.latency_ms,
        error_code=error.code,
        http_status=error.status,
        prompt_version=_prompt_version(provider, model, request),
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
            record_attempt(_error_record(provider, model, error, "failed" if final else "retry",
                                         request))
            if final:
                raise
            config.sleep(_wait_seconds(error, attempt, config))
    raise AssertionError("unreachable: the loop returns or raises")


def _validated(completion: Completion, request: GenerationRequest) -> dict:
    try:
        data = extract_json(completion.content)
    except ValueError as exc:
        raise TicketSchemaError(["the reply was not valid JSON"]) from exc
    return validate_ticket(data, ticket_type=request.ticket_type, template=request.template)


def _completion_record(
    provider: Provider, completion: Completion, model: str, outcome: str, code: str = "", *,
    request: GenerationRequest,
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
        prompt_version=_prompt_version(provider, model, request),
    )


def _user_code(error_code: str) -> str:
    if error_code == "rate_limited":
        return "busy"
    if error_code == "timeout":
        return "timeout"
    if error_code in ("invalid_json", "schema_invalid"):
        return "invalid_output"
    return "unavailable"


@dataclass
class _Reply:
    """A schema-valid reply, its quality check, and its attempt record (not yet logged)."""

    content: dict
    record: AttemptRecord
    scorecard: Scorecard

    @property
    def hard_failures(self) -> tuple[RuleResult, ...]:
        return tuple(rule for rule in self.scorecard.failing if rule.key in HARD_RULES)

    def rank(self) -> tuple[int, int]:
        """Better is fewer hard rules failing, then the higher score."""
        return -len(self.hard_failures), self.scorecard.score


def _checked(content: dict, request: GenerationRequest, record: AttemptRecord) -> _Reply:
    scorecard = check_ticket(content, description=request.description,
                             ticket_type=request.ticket_type, language=request.language,
                             template=request.template)
    return _Reply(content=content, record=record, scorecard=scorecard)


def _settle_quality_repair(
    first: _Reply, repaired: _Reply | None, record_attempt: Callable[[AttemptRecord], None]
) -> _Reply:
    """The better of a reply that failed hard rules and its repair (the repair on a tie; the
    first when the repair produced no valid ticket). The kept one is logged as the success,
    the other as `invalid` / `quality`, so each ticket has one successful attempt."""
    kept = first if repaired is None or first.rank() > repaired.rank() else repaired
    for reply in (first, repaired):
        if reply is not None:
            record_attempt(reply.record if reply is kept
                           else replace(reply.record, outcome="invalid", error_code="quality"))
    return kept


def generate(
    request: GenerationRequest,
    *,
    record_attempt: Callable[[AttemptRecord], None],
    config: ChainConfig | None = None,
    messages: list[dict[str, str]] | None = None,
) -> GenerationResult:
    """A validated ticket for `request` from the first (provider, model) that produces one.

    `messages` replaces the generation prompt (`build_messages(request)`) for every model:
    "Improve" sends the current ticket and its failing rules (tickets/providers/improve.py).

    Per pair: retries on retryable errors (429/5xx, honouring Retry-After, capped), then one
    repair request when the reply is not a valid ticket or fails a hard quality rule, then
    the next pair. After a quality repair the better-scoring of the two replies is kept (the
    first if the repair failed), so quality alone never fails a generation. The offline
    generator reads no prompt, so it gets no quality repair. With no AI provider configured
    the only pair is the offline generator.
    """
    config = config or ChainConfig.from_settings(request.quality)
    last_code = "unavailable"
    prompt = messages or build_messages(request)
    for provider, model in config.steps:
        messages = prompt
        flawed: _Reply | None = None  # a valid reply that failed hard rules, being repaired
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
                record_attempt(_completion_record(provider, completion, model, "invalid", code,
                                                 request=request))
                last_code = code
                logger.info("%s model %s gave an invalid ticket: %s", provider.name, model, error)
                if repairing:
                    break
                messages = build_repair_messages(messages, completion.content, error.errors)
                continue
            reply = _checked(content, request,
                             _completion_record(provider, completion, model, "success",
                                                request=request))
            if flawed is not None:
                reply = _settle_quality_repair(flawed, reply, record_attempt)
                return _result(reply)
            if reply.hard_failures and not repairing and provider.name != offline.NAME:
                logger.info("%s model %s failed hard quality rules: %s", provider.name, model,
                            [rule.key for rule in reply.hard_failures])
                flawed = reply
                messages = build_repair_messages(
                    messages, completion.content,
                    [f"{rule.label}: {rule.message}" for rule in reply.hard_failures],
                )
                continue
            record_attempt(reply.record)
            return _result(reply)
        if flawed is not None:
            # The repair produced no valid ticket: the first reply is still a usable ticket.
            return _result(_settle_quality_repair(flawed, None, record_attempt))
    raise GenerationFailed(_user_code(last_code), f"all models failed; last error {last_code}")


def _result(reply: _Reply) -> GenerationResult:
    record = reply.record
    return GenerationResult(content=reply.content, provider=record.provider, model=record.model,
                            prompt_version=record.prompt_version)
