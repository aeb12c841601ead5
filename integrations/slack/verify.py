"""Slack's request signing: every request from Slack is checked before anything is read.

Slack signs `v0:<X-Slack-Request-Timestamp>:<raw body>` with the app's signing secret
(HMAC-SHA256) and sends `X-Slack-Signature: v0=<hex>`. A request is accepted when the
signature matches (compared in constant time), its timestamp is within five minutes of now,
and this exact signature was not seen before: a captured request replayed, even at once,
does nothing (Slack does not resend slash commands or interactions, so nothing real is lost).
"""

import hashlib
import hmac
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

TOLERANCE_SECONDS = 300
SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"


class SlackSignatureError(Exception):
    """The request is not from Slack, or is a replay: refuse it (401)."""


def slack_signature(secret: str, timestamp: str | int, body: bytes) -> str:
    """The `X-Slack-Signature` value Slack sends for `body` at `timestamp`."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify_slack_request(*, headers, body: bytes, now: float | None = None) -> None:
    """Raise SlackSignatureError unless `body` with these headers is a fresh, correctly
    signed request from Slack seen for the first time. Without a signing secret configured,
    every request is refused."""
    secret = settings.SLACK_SIGNING_SECRET
    if not secret:
        raise SlackSignatureError("The Slack app is not configured (SLACK_SIGNING_SECRET).")
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    signature = headers.get(SIGNATURE_HEADER, "")
    if not timestamp.isdigit() or not signature.startswith("v0="):
        raise SlackSignatureError("Missing or malformed signature headers.")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        raise SlackSignatureError("The timestamp is more than five minutes from now.")
    if not hmac.compare_digest(slack_signature(secret, timestamp, body), signature):
        raise SlackSignatureError("The signature does not match.")
    # Checked last, so a forged request cannot burn a real one's signature. The entry lives
    # as long as the timestamp would be accepted.
    if not cache.add(f"slack:signature:{signature}", 1, timeout=2 * TOLERANCE_SECONDS + 5):
        raise SlackSignatureError("This request was already received (a replay).")


def slack_request(view):
    """Decorate a view Slack calls: POST only, CSRF-exempt (Slack cannot send our token; the
    signature takes its place), and refused with 401 before the view runs unless
    `verify_slack_request` accepts it."""

    @csrf_exempt
    @require_POST
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            verify_slack_request(headers=request.headers, body=request.body)
        except SlackSignatureError as error:
            return JsonResponse({"error": {"code": "bad_signature", "message": str(error)}},
                                status=401)
        return view(request, *args, **kwargs)

    return wrapper
