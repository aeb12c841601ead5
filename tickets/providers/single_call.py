"""One uncharged model call with no retries and no fallback (clarifying questions, a split's
plan): the caller has its own way out when it fails, so a failure is reported and ends here."""

from collections.abc import Callable
from dataclasses import dataclass, replace

from .base import Completion, Provider, ProviderError
from .chain import AttemptRecord
from .prompts import GenerationRequest


@dataclass(frozen=True)
class Reply:
    completion: Completion
    # The attempt as the call went, outcome still "failed": the caller settles it with the
    # outcome of reading the reply (`replace(record, outcome=...)`) and reports it.
    record: AttemptRecord


def call_once(provider: Provider, *, model: str, request: GenerationRequest, prompt: str,
              prompt_version: str,
              record_attempt: Callable[[AttemptRecord], None]) -> Reply | ProviderError:
    """Send `prompt` as one user message; the reply, or the provider's error (already
    reported through `record_attempt`)."""
    record = AttemptRecord(provider=provider.name, model=model, outcome="failed",
                           prompt_version=prompt_version)
    try:
        completion = provider.complete(request, model=model,
                                       messages=[{"role": "user", "content": prompt}])
    except ProviderError as error:
        record_attempt(replace(record, error_code=error.code, http_status=error.status,
                               latency_ms=error.latency_ms))
        return error
    return Reply(completion=completion, record=replace(
        record, latency_ms=completion.latency_ms, http_status=completion.http_status,
        prompt_tokens=completion.prompt_tokens, completion_tokens=completion.completion_tokens,
        cost=completion.cost))
