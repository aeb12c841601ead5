"""What every provider shares: the `Provider` protocol, its `Completion` and `ProviderError`.

A provider is a small object with a `name` and one call, `complete`, that returns a
completion (text that should hold the ticket's JSON) or raises `ProviderError`. Retries,
repair, fallbacks and validation are the chain's job (`chain.py`), the same for every provider.
"""

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from .prompts import GenerationRequest


@dataclass
class Completion:
    content: str
    model: str
    latency_ms: int
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost: Decimal | None = None
    http_status: int | None = None  # None for a provider that makes no HTTP request


class ProviderError(Exception):
    """A request that produced no usable completion.

    `code` is stable and logged on the attempt (rate_limited, server_error, timeout, ...);
    `retryable` says whether the same request may succeed later (429, 5xx, dropped
    connections); `retry_after` is the server's requested wait in seconds, when it sent one.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
        latency_ms: int = 0,
    ):
        super().__init__(message)
        self.code = code
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after
        self.latency_ms = latency_ms


class Provider(Protocol):
    """A source of ticket completions: OpenRouter, the offline rules, the next one."""

    # Stored on every attempt and on the ticket (`Ticket.generator`): at most 32 characters.
    name: str

    def complete(
        self, request: GenerationRequest, *, model: str, messages: list[dict[str, str]]
    ) -> Completion:
        """One completion from `model` for these chat `messages` (built from `request`);
        raises ProviderError."""
        ...


def extract_json(content: str):
    """The JSON object in a model's reply, tolerating Markdown fences and stray prose."""
    text = content.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    try:
        return json.loads(text)
    except ValueError:
        start, end = text.find("{"), text.rfind("}")
        if start == -1 or end <= start:
            raise
        return json.loads(text[start : end + 1])
