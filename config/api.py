"""The public API, version 1: one NinjaAPI that mounts each app's router (`<app>/api.py`).

Here live only what every endpoint shares: the key check and rate limits (`KeyBearer`), and
the one error contract — every refusal is `{"error": {"code", "message", "details"}}` with
a 4xx status, never HTML.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from accounts import ratelimit
from accounts.api import router as account_router
from accounts.apikeys.auth import KeyAuth, KeyRefused, authenticate_api_key
from accounts.network import get_client_ip
from accounts.teams.limits import describe_limit_reached
from billing.subscription_selectors import get_live_subscription
from config.api_errors import ApiError, error_response
from tickets.api import prices_router
from tickets.api import router as tickets_router
from tickets.batches.api import router as batches_router
from tokens.exceptions import InsufficientTokens, LimitReached

logger = logging.getLogger(__name__)


def workspace_rate(account_id: int) -> int:
    """Requests a minute the workspace paying from `account_id` may make: its live plan's
    figure, else API_RATE_LIMIT_WORKSPACE. Cached a minute (a plan change applies within it)."""
    cache_key = f"api:workspace-rate:{account_id}"
    rate = cache.get(cache_key)
    if rate is None:
        subscription = get_live_subscription(account_id)
        rate = ((subscription.plan.api_requests_per_minute if subscription else None)
                or settings.API_RATE_LIMIT_WORKSPACE)
        cache.set(cache_key, rate, 60)
    return rate


class KeyBearer(HttpBearer):
    """`Authorization: Bearer myba_live_…`: the key, then its rate limits (per key and per
    workspace), counted once per request; the headers go on every answer."""

    def authenticate(self, request: HttpRequest, token: str) -> KeyAuth:
        auth = authenticate_api_key(token, ip=get_client_ip(request))
        result = ratelimit.hit_all([
            (f"key:{auth.key_id}", settings.API_RATE_LIMIT_KEY),
            (f"account:{auth.account_id}", workspace_rate(auth.account_id)),
        ])
        request.rate_limit = result
        if not result.allowed:
            raise ApiError(429, "rate_limited",
                           f"Too many requests: try again in {result.retry_after} s.",
                           {"limit": result.limit, "retry_after": result.retry_after})
        return auth


api = NinjaAPI(
    title="MyBA API",
    version="1",
    description="Turn short descriptions into professional tickets, metered in tokens. "
                "Authenticate with `Authorization: Bearer myba_live_…` (an API key from "
                "/account/api-keys/).",
    urls_namespace="api",
    auth=KeyBearer(),
)


@api.exception_handler(ApiError)
def _api_error(request, error: ApiError):
    return error_response(
        error.status, error.code, error.message, error.details)


@api.exception_handler(KeyRefused)
def _key_refused(request, error: KeyRefused):
    return error_response(error.status, error.code, error.message)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, error):
    return error_response(401, "invalid_api_key",
                          "Send your API key as 'Authorization: Bearer myba_live_…'.")


def _field(location) -> str | None:
    """("body", "payload", "description") or ("query", "limit") -> "description", "limit"."""
    parts = [str(part) for part in location[1:]]
    if parts and parts[0] == "payload":
        parts = parts[1:]
    return ".".join(parts) or None


@api.exception_handler(ValidationError)
def _invalid(request, error: ValidationError):
    details = [{"field": _field(item.get("loc", ())),
                "message": str(item.get("msg", "Invalid value."))} for item in error.errors]
    first = details[0] if details else {"field": None, "message": "Invalid request."}
    message = (f"{first['field']}: {first['message']}" if first["field"]
               else first["message"])
    return error_response(
        422, "validation_error", message, {"errors": details})


@api.exception_handler(InsufficientTokens)
def _insufficient(request, error: InsufficientTokens):
    return error_response(
        402, "insufficient_tokens",
        f"Not enough tokens: {error.available} available, {error.needed} required.",
        {"available": error.available, "required": error.needed})


@api.exception_handler(LimitReached)
def _limit_reached(request, error: LimitReached):
    limit = error.limit
    return error_response(
        402, "limit_reached",
        describe_limit_reached(limit, used=error.used, needed=error.needed),
        {"limit": limit.name, "tokens": limit.tokens, "used": error.used,
         "required": error.needed, "resets_at": limit.resets_at.isoformat()})


@api.exception_handler(Http404)
def _not_found(request, error):
    return error_response(404, "not_found", "Not found.")


_CODES = {400: "bad_request", 401: "invalid_api_key", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 413: "too_large", 429: "rate_limited"}


@api.exception_handler(HttpError)
def _http_error(request, error: HttpError):
    return error_response(
        error.status_code, _CODES.get(error.status_code, "error"), str(error))


@api.exception_handler(Exception)
def _unexpected(request, error):
    logger.exception("API error on %s %s", request.method, request.path)
    return error_response(500, "internal_error",
                          "Something went wrong on our side; nothing was charged.")


def api_not_found(request, rest: str = ""):
    """Anything under /api/ that no endpoint answers: the error contract, not an HTML page."""
    return error_response(404, "not_found", f"No API endpoint at {request.path}.")


api.add_router("/tickets", tickets_router)
api.add_router("/prices", prices_router)
api.add_router("/batches", batches_router)
api.add_router("/", account_router)
