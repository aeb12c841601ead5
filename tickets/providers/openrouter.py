"""OpenRouter (or any OpenAI-compatible server): one chat-completions request over requests.

This provider knows HTTP and the response format only; retries, repair and fallbacks are the
chain's job (`chain.py`). Every failure is a `ProviderError` with a stable `code` that is
logged on the attempt and decides whether a retry can help.
"""

import os
import threading
import time
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime

import requests
from django.conf import settings

from .base import Completion, ProviderError
from .prompts import GenerationRequest

NAME = "openrouter"

_local = threading.local()


def _thread_session(url: str) -> tuple[requests.Session, dict]:
    """This thread's session, and the proxies and CA bundle the environment names for `url`.

    One session per thread of each process, so a generation reuses the connection the last
    one left open instead of a new TCP and TLS handshake to the provider for every ticket, and
    a forked pool process never shares its parent's socket. What the environment says
    (HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE) is read once per URL rather than on every
    request (`trust_env` scans the whole environment each time); `trust_env` off also keeps
    a ~/.netrc entry from replacing the API key.
    """
    if getattr(_local, "pid", None) != os.getpid():
        _local.pid, _local.session, _local.options = os.getpid(), requests.Session(), {}
        _local.session.trust_env = False
    if url not in _local.options:
        environment = requests.Session().merge_environment_settings(url, {}, None, None, None)
        _local.options[url] = {"proxies": environment["proxies"], "verify": environment["verify"]}
    return _local.session, _local.options[url]


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


class OpenRouterProvider:
    """The `Provider` for OpenAI's chat-completions protocol, as OpenRouter speaks it."""

    name = NAME

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
        self.session = session  # None: this thread's shared session (`_thread_session`)

    def complete(
        self, request: GenerationRequest, *, model: str, messages: list[dict[str, str]]
    ) -> Completion:
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

        session, options = (
            (self.session, {}) if self.session is not None else _thread_session(self.url))
        try:
            response = session.post(
                self.url, json=payload, headers=headers, timeout=self.timeout, **options
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
            http_status=status,
        )



def from_settings() -> OpenRouterProvider | None:
    """The provider configured by the OPENROUTER_* settings; None without an API key."""
    if not settings.OPENROUTER_API_KEY:
        return None
    return OpenRouterProvider(
        base_url=settings.OPENROUTER_BASE_URL,
        api_key=settings.OPENROUTER_API_KEY,
        connect_timeout=settings.OPENROUTER_CONNECT_TIMEOUT,
        read_timeout=settings.OPENROUTER_READ_TIMEOUT,
        site_url=settings.SITE_URL,
    )
