"""What every tracker client offers, and the errors they raise.

A client turns a ticket into a `Draft` (exactly the request it will send, plus the preview
rows: each of our fields, where it goes, and what has nowhere to go), creates, finds (by the
ticket's marker) and updates issues, and lists the destinations a connection can pick.
Clients speak HTTP with `requests` and nothing else: no database writes, no transactions
(the push service decides what is recorded). Every call has a timeout; every failure is a
`TrackerError` whose `kind` tells the push service what to do next.
"""

from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Literal

import requests
from django.conf import settings
from django.utils import timezone

# retry: try again later (timeout, connection dropped, 429, 5xx) — the issue may exist.
# auth: the credentials no longer work (revoked, expired refresh token): the connection is
#       broken until the user reconnects. Nothing was created.
# invalid: the tracker refused this issue (a required field, a bad value): the user must
#       change something. Nothing was created.
# missing: the issue to update (or the destination) no longer exists.
ErrorKind = Literal["retry", "auth", "invalid", "missing"]

USER_AGENT = "MyBA/1.0 (+https://myba.example/docs/integrations)"


class TrackerError(Exception):
    def __init__(self, kind: ErrorKind, message: str, *, retry_after: float | None = None,
                 status: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after
        self.status = status


@dataclass(frozen=True)
class PreviewRow:
    """One line of the preview: our field, the tracker's field it lands in (blank: nowhere),
    and the value as the user will see it there."""

    ours: str
    theirs: str
    value: str
    note: str = ""  # e.g. "not on this project's screen", "as a label"

    @property
    def mapped(self) -> bool:
        return bool(self.theirs)


@dataclass(frozen=True)
class Draft:
    """An issue ready to send: `payload` is the exact JSON body of the create (and update)
    request; `rows` the preview."""

    marker: str
    payload: dict
    rows: list[PreviewRow] = field(default_factory=list)

    @property
    def unmapped(self) -> list[PreviewRow]:
        return [row for row in self.rows if not row.mapped]


@dataclass(frozen=True)
class Remote:
    """An issue on the tracker: `id` for API calls (GitHub: node/number, GitLab: iid, Jira:
    id), `key` as people say it (#34, SHOP-12), `url` for the browser."""

    id: str
    key: str
    url: str
    extra: dict = field(default_factory=dict)  # e.g. GitHub's numeric issue id for sub-issues


@dataclass(frozen=True)
class Destination:
    """Somewhere a connection can send issues: `target` is stored on the connection."""

    target: dict
    label: str


@dataclass(frozen=True)
class Grant:
    """Fresh credentials from a refresh (or a GitHub App installation token)."""

    access_token: str
    expires_at: datetime | None
    refresh_token: str = ""  # blank: keep the one we have


def timeout() -> tuple[float, float]:
    """(connect, read) seconds for every tracker call (INTEGRATIONS_TIMEOUT_SECONDS)."""
    read = settings.INTEGRATIONS_TIMEOUT_SECONDS
    return (min(read, 5.0), read)


def retry_after_seconds(response: requests.Response) -> float | None:
    """A 429/503's Retry-After in seconds (delta or HTTP date), or GitHub's rate-limit reset."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    if value:
        try:
            return max(0.0, (parsedate_to_datetime(value) - timezone.now()).total_seconds())
        except (TypeError, ValueError):
            return None
    reset = response.headers.get("X-RateLimit-Reset", "")
    if reset.isdigit() and response.headers.get("X-RateLimit-Remaining") == "0":
        return max(0.0, int(reset) - timezone.now().timestamp())
    return None


def raise_for(response: requests.Response, *, what: str) -> None:
    """Turn a non-2xx answer into the TrackerError the push service acts on. `what` names
    the call for the message ("creating the issue")."""
    code = response.status_code
    if code < 300:
        return
    if code == 429 or code >= 500:
        raise TrackerError("retry", f"The tracker answered HTTP {code} while {what}.",
                           retry_after=retry_after_seconds(response), status=code)
    if code == 401:
        raise TrackerError("auth", "The tracker no longer accepts this connection's "
                           "credentials: reconnect it.", status=code)
    if code == 403 and response.headers.get("X-RateLimit-Remaining") == "0":
        raise TrackerError("retry", "The tracker's rate limit was reached.",
                           retry_after=retry_after_seconds(response), status=code)
    if code == 403:
        raise TrackerError("auth", f"The connection may not do this ({what}): give it "
                           "access to the destination, or reconnect it.", status=code)
    if code == 404:
        raise TrackerError("missing", f"Not found while {what}: the destination or issue "
                           "no longer exists, or the connection cannot see it.", status=code)
    raise TrackerError("invalid", f"The tracker refused {what} (HTTP {code}): "
                       f"{_detail(response)}", status=code)


def _detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        for key in ("message", "errorMessages", "errors", "error"):
            if body.get(key):
                return str(body[key])[:200]
    return str(body)[:200]


def call(session: requests.Session, method: str, url: str, *, what: str,
         **kwargs) -> requests.Response:
    """One HTTP call with our timeout; network failures become retryable TrackerErrors."""
    try:
        response = session.request(method, url, timeout=timeout(), **kwargs)
    except requests.Timeout:
        raise TrackerError("retry", f"No answer from the tracker while {what}.") from None
    except requests.RequestException as exc:
        raise TrackerError("retry", f"Could not reach the tracker while {what} "
                           f"({type(exc).__name__}).") from None
    raise_for(response, what=what)
    return response


class Tracker:
    """The client of one tracker for one connection. Subclasses set `kind` and implement
    the methods below; `token` is a valid access token (the caller refreshed it)."""

    kind: str = ""
    # Jira takes up to 50 issues per bulk create; others create one at a time.
    bulk_size: int = 1

    def __init__(self, connection, *, token: str, session: requests.Session | None = None):
        self.connection = connection
        self.token = token
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", USER_AGENT)

    # -- issues ---------------------------------------------------------------------------
    def draft(self, ticket, *, parent: Remote | None = None) -> Draft:
        """The issue `ticket` becomes here (under `parent`, an epic's issue, if given)."""
        raise NotImplementedError

    def find(self, marker: str, *, since: datetime) -> Remote | None:
        """The issue carrying `marker` created since `since`, or None (a definitive answer:
        raise TrackerError when the tracker cannot be asked)."""
        raise NotImplementedError

    def create(self, draft: Draft) -> Remote:
        raise NotImplementedError

    def create_many(self, drafts: list[Draft]) -> list[Remote | TrackerError]:
        """Create several (at most `bulk_size`): one result per draft, in order."""
        results: list[Remote | TrackerError] = []
        for draft in drafts:
            try:
                results.append(self.create(draft))
            except TrackerError as error:
                results.append(error)
        return results

    def update(self, remote: Remote, draft: Draft) -> Remote:
        raise NotImplementedError

    def link_child(self, parent: Remote, child: Remote) -> None:
        """Make `child` a sub-issue of `parent` where the parent is not set by the create
        itself (GitHub sub-issues). Idempotent."""

    # -- set-up ---------------------------------------------------------------------------
    def destinations(self) -> list[Destination]:
        """Where this connection can send issues (repositories, projects × issue types)."""
        raise NotImplementedError

    def prepare_target(self, target: dict) -> dict:
        """The destination as it is stored once chosen: a tracker that maps fields from the
        destination's metadata (Jira's create screen) reads it here, once."""
        return target

    def refresh(self) -> Grant:
        """New credentials (OAuth refresh, a new installation token). Raises TrackerError
        ("auth") when the grant was revoked."""
        raise TrackerError("auth", "This connection's token cannot be refreshed: reconnect it.")
