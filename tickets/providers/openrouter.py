"""One chat-completions request to OpenRouter (or any OpenAI-compatible server) over requests.

This module knows HTTP and the response format only; retries, repair and fallbacks are the
chain's job (`chain.py`). Every failure is a `ProviderError` with a stable `code` that is
logged on the attempt and decides whether a retry can help.
"""

import json
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime

import requests

PROVIDER_NAME = "openrouter"


@dataclass
class Completion:
    content: str
    model: str
    latency_ms: int
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost: Decimal | None = None


class ProviderError(Exception):
    """A request that produced no usable completion.

    `retryable` says whether the same request may succeed later (429, 5xx, timeouts);
    `retry_after` is the server's requested wait in seconds, when it sent one.
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


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _usage(body: dict) -> tuple[int | None, int | None, Decimal | None]:
    usage = body.get("usage") or {}
    if not isinstance(usage, dict):
        return None, None, None
    cost = usage.get("cost")
    try:
        cost = Decimal(str(cost)) if cost is not None else None
    except InvalidOperation:
        cost = None
    prompt = usage.get("prompt_tokens")
    completion = usage.get("completion_tokens")
    return (
        prompt if isinstance(prompt, int) else None,
        completion if isinstance(completion, int) else None,
        cost,
    )


class OpenRouterClient:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        connect_timeout: float,
        read_timeout: float,
        site_url: str = "",
        session: requests.Session | None = None,
    ):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.api_key = api_key
        self.timeout = (connect_timeout, read_timeout)
        self.site_url = site_url
        self.session = session or requests.Session()

    def chat(self, *, model: str, messages: list[dict[str, str]]) -> Completion:
        """Send one request; return the completion or raise ProviderError."""
        payload = {
            "model": model,
            "messages": messages,
            "response_format": {"type": "json_object"},
            "temperature": 0.2,
            "usage": {"include": True},
        }
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Content-Type": "application/json",
            "X-Title": "MyBA",
        }
        if self.site_url:
            headers["HTTP-Referer"] = self.site_url
        started = time.monotonic()

        def elapsed() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            response = self.session.post(
                self.url, json=payload, headers=headers, timeout=self.timeout
            )
        except requests.Timeout as exc:
            # A model that did not answer within the read timeout will likely not answer the
            # same request faster: the next model is the better bet.
            raise ProviderError("timeout", str(exc), retryable=False, latency_ms=elapsed()) from exc
        except requests.RequestException as exc:
            raise ProviderError(
                "connection_error", str(exc), retryable=True, latency_ms=elapsed()
            ) from exc
        latency = elapsed()
        status = response.status_code
        if status == 429:
            raise ProviderError(
                "rate_limited",
                "the provider is rate limiting us",
                retryable=True,
                status=status,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                latency_ms=latency,
            )
        if status >= 500:
            raise ProviderError(
                "server_error",
                f"provider answered {status}",
                retryable=True,
                status=status,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                latency_ms=latency,
            )
        if status >= 400:
            # 400/401/402/403/404: a retry of the same request cannot help; the next model may.
            raise ProviderError(
                f"http_{status}", response.text[:300], retryable=False, status=status,
                latency_ms=latency,
            )
        try:
            body = response.json()
            choice = body["choices"][0]
            content = choice["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ProviderError(
                "bad_response", "the provider's answer was not a chat completion",
                retryable=True, status=status, latency_ms=latency,
            ) from exc
        if not isinstance(content, str) or not content.strip():
            raise ProviderError(
                "empty_completion", "the model returned no content", retryable=True,
                status=status, latency_ms=latency,
            )
        prompt_tokens, completion_tokens, cost = _usage(body)
        return Completion(
            content=content,
            model=str(body.get("model") or model),
            latency_ms=latency,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost=cost,
        )


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
