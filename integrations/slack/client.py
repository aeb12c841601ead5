"""Slack's side of posting: a `response_url`, or `chat.postMessage` with the bot token.

Calls go through the trackers' `call` (our timeout; failures become TrackerError): `retry`
for timeouts, 429 (with Retry-After) and 5xx; `missing` for a response_url Slack no longer
takes (404 `expired_url` / `used_url`) or a channel the bot cannot post in; `auth` for a bad
bot token.
"""

import requests
from django.conf import settings

from integrations.trackers.base import USER_AGENT, TrackerError, call

# chat.postMessage answers HTTP 200 with {"ok": false, "error": ...}: what each error means.
MISSING_ERRORS = {"channel_not_found", "not_in_channel", "is_archived"}
AUTH_ERRORS = {"not_authed", "invalid_auth", "account_inactive", "token_revoked",
               "token_expired", "no_permission", "missing_scope"}


def _session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


def post_to_response_url(url: str, message: dict) -> None:
    call(_session(), "POST", url, what="answering in Slack", json=message)


def post_message(channel: str, message: dict) -> None:
    """Post `message` (its response_type dropped) to `channel` as the bot."""
    token = settings.SLACK_BOT_TOKEN
    if not token:
        raise TrackerError("auth", "No SLACK_BOT_TOKEN is set, and the response URL expired.")
    body = {key: value for key, value in message.items() if key != "response_type"}
    response = call(_session(), "POST", settings.SLACK_API_URL.rstrip("/") + "/chat.postMessage",
                    what="posting in Slack", json={"channel": channel, **body},
                    headers={"Authorization": f"Bearer {token}"})
    answer = response.json() if response.content else {}
    if answer.get("ok"):
        return
    error = str(answer.get("error", "unknown_error"))
    if error == "ratelimited":
        raise TrackerError("retry", "Slack is rate limiting the bot.")
    if error in MISSING_ERRORS:
        raise TrackerError("missing", f"The bot cannot post in this channel ({error}): invite "
                           "the MyBA app to it.")
    if error in AUTH_ERRORS:
        raise TrackerError("auth", f"Slack refused the bot token ({error}).")
    raise TrackerError("invalid", f"Slack refused the message ({error}).")
