"""An atomic fixed-window rate limiter: one Redis round trip per check, no race.

The counter for a window is `INCR`ed and given its expiry in one Lua script, so parallel
requests on any number of processes each get a distinct count and exactly `limit` of them are
allowed per window. Without Redis (the zero-setup run) Django's local cache does the same in
one process (`add` then `incr`, atomic under its lock).
"""

import math
import time
from dataclasses import dataclass

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


@dataclass(frozen=True)
class RateResult:
    allowed: bool
    limit: int
    remaining: int
    reset_at: int  # unix time the window ends

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_at - time.time()))

    def headers(self) -> dict[str, str]:
        headers = {"X-RateLimit-Limit": str(self.limit),
                   "X-RateLimit-Remaining": str(self.remaining),
                   "X-RateLimit-Reset": str(self.reset_at)}
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


def _incr(key: str, window: int) -> int:
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        client = cache._cache.get_client(key, write=True)
        script = getattr(client, "_myba_rate_script", None)
        if script is None:
            script = client.register_script(_SCRIPT)
            client._myba_rate_script = script
        return int(script(keys=[cache.make_and_validate_key(key)], args=[window + 1]))
    cache.add(key, 0, window + 1)
    return cache.incr(key)


def hit(name: str, *, limit: int, window: int = 60, now: float | None = None) -> RateResult:
    """Count one request against `name` in the current `window`-second window."""
    now = time.time() if now is None else now
    index = int(now // window)
    count = _incr(f"rate:{name}:{index}", window)
    return RateResult(allowed=count <= limit, limit=limit, remaining=max(limit - count, 0),
                      reset_at=(index + 1) * window)


def hit_all(checks: list[tuple[str, int]], *, window: int = 60) -> RateResult:
    """Count one request against each (name, limit); the result that binds: the first refusal,
    else the one with the fewest requests left. Every limit counts the request."""
    results = [hit(name, limit=limit, window=window) for name, limit in checks]
    refused = [result for result in results if not result.allowed]
    if refused:
        return refused[0]
    return min(results, key=lambda result: result.remaining)
