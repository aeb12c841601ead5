"""GitHub's REST API (v3): issues in one repository, sub-issues for an epic's stories.

Credentials are a fine-grained personal access token the user pasted (never refreshed) or a
GitHub App installation, whose one-hour installation tokens are minted here with a JWT signed
by the app's private key (`refresh`, called by services.credentials before expiry).
"""

import re
import time
from datetime import UTC, datetime
from urllib.parse import quote

import jwt
import requests
from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from integrations.trackers.base import (
    Destination,
    Draft,
    Grant,
    PreviewRow,
    Remote,
    Tracker,
    TrackerError,
    call,
    retry_after_seconds,
)
from integrations.trackers.markdown import (
    criteria_text,
    has_marker,
    issue_body,
    issue_facts,
    issue_labels,
    priority_label,
    section_rows,
)
from tickets.kinds import get_kind

API_VERSION = "2022-11-28"
REPO_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
LINK_NEXT_RE = re.compile(r'<([^>]+)>;\s*rel="next"')
# A page of issues is 100; a push searches back minutes, so a few pages always suffice.
MAX_FIND_PAGES = 10


def api_url() -> str:
    return settings.GITHUB_API_URL.rstrip("/")


def github_errors(response: requests.Response, *args, **kwargs) -> None:
    """GitHub's own error shapes, before base.raise_for's generic mapping: a secondary rate
    limit is a 403 (or 429) with Retry-After and no `X-RateLimit-Remaining: 0`; 410 means
    issues are turned off; a 422 names the field it refused."""
    code = response.status_code
    if code < 400:
        return
    message = _message(response)
    if code == 403 and (response.headers.get("Retry-After")
                        or "rate limit" in message.lower()):
        raise TrackerError("retry", "GitHub's rate limit was reached; trying again later.",
                           retry_after=retry_after_seconds(response), status=code)
    if code == 410:
        raise TrackerError("invalid", "Issues are turned off in this repository: turn them on "
                           "in its Settings → Features, then push again.", status=code)
    if code == 422:
        raise TrackerError("invalid", f"GitHub refused it: {message}", status=code)


def _message(response: requests.Response) -> str:
    """GitHub's message, with each validation error's own message after it."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if not isinstance(body, dict):
        return str(body)[:200]
    parts = [str(body.get("message", ""))]
    for error in body.get("errors") or []:
        if isinstance(error, dict):
            parts.append(error.get("message") or " ".join(
                str(error.get(key, "")) for key in ("field", "code")).strip())
        else:
            parts.append(str(error))
    return "; ".join(part for part in parts if part)[:250]


def github_session(token: str = "", *, session: requests.Session | None = None
                   ) -> requests.Session:
    session = session or requests.Session()
    session.headers.update({"Accept": "application/vnd.github+json",
                            "X-GitHub-Api-Version": API_VERSION})
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    session.hooks["response"].append(github_errors)
    return session


def app_jwt(*, now: float | None = None) -> str:
    """The GitHub App's own credential: RS256, issued 60 s in the past (clock drift), valid
    9 minutes (GitHub takes at most 10)."""
    now = int(now or time.time())
    return jwt.encode({"iat": now - 60, "exp": now + 540, "iss": settings.GITHUB_APP_ID},
                      settings.GITHUB_APP_PRIVATE_KEY, algorithm="RS256")


def app_configured() -> bool:
    return bool(settings.GITHUB_APP_ID and settings.GITHUB_APP_SLUG
                and settings.GITHUB_APP_PRIVATE_KEY and settings.GITHUB_APP_CLIENT_ID
                and settings.GITHUB_APP_CLIENT_SECRET)


def user_installations(code: str, *, session: requests.Session | None = None) -> set[str]:
    """The ids of the app's installations that the person who just authorized it can see:
    `code` (from the redirect after installing) is exchanged for their user token, which
    lists them. A bad or used code is an auth failure."""
    session = github_session(session=session)
    response = call(session, "POST", f"{settings.GITHUB_WEB_URL.rstrip('/')}/login/oauth/"
                    "access_token", headers={"Accept": "application/json"},
                    data={"client_id": settings.GITHUB_APP_CLIENT_ID,
                          "client_secret": settings.GITHUB_APP_CLIENT_SECRET, "code": code},
                    what="checking who installed the GitHub App")
    token = response.json().get("access_token")  # errors come as 200 {"error": ...}
    if not token:
        raise TrackerError("auth", "GitHub did not confirm who installed the app (the code "
                           "was wrong or used already).")
    session.headers["Authorization"] = f"Bearer {token}"
    found: set[str] = set()
    url: str | None = f"{api_url()}/user/installations"
    params: dict | None = {"per_page": 100}
    while url:
        response = call(session, "GET", url, params=params,
                        what="listing your GitHub App installations")
        found |= {str(item["id"]) for item in response.json().get("installations", [])}
        match = LINK_NEXT_RE.search(response.headers.get("Link", ""))
        url, params = (match.group(1), None) if match else (None, None)
    return found


def mint_installation_token(installation_id: str, *,
                            session: requests.Session | None = None) -> Grant:
    """A new installation token (one hour) for `installation_id`; 404 when the app is no
    longer installed there, which is an auth failure: the user must install it again."""
    session = github_session(session=session)
    session.headers["Authorization"] = f"Bearer {app_jwt()}"
    try:
        response = call(session, "POST", f"{api_url()}/app/installations/"
                        f"{quote(str(installation_id), safe='')}/access_tokens",
                        what="getting a GitHub App installation token")
    except TrackerError as error:
        if error.kind == "missing":
            raise TrackerError("auth", "The GitHub App is no longer installed for this "
                               "account: install it again.", status=error.status) from None
        raise
    data = response.json()
    return Grant(access_token=data["token"],
                 expires_at=parse_datetime(data["expires_at"]) if data.get("expires_at")
                 else None)


def check_repository(token: str, repo: str, *,
                     session: requests.Session | None = None) -> Destination:
    """The repository `repo` ("owner/name") if `token` may open issues in it; a TrackerError
    with a message for the form otherwise."""
    return _repository(github_session(token, session=session), repo)


def _repository(session: requests.Session, repo: str) -> Destination:
    response = call(session, "GET", f"{api_url()}/repos/{repo}",
                    what="opening the repository")
    data = response.json()
    permissions = data.get("permissions") or {}
    if permissions and not (permissions.get("push") or permissions.get("triage")
                            or permissions.get("maintain") or permissions.get("admin")):
        raise TrackerError("auth", "This token can read the repository but not write its "
                           "issues: give it Issues read and write access.")
    if data.get("has_issues") is False:
        raise TrackerError("invalid", "Issues are turned off in this repository: turn them "
                           "on in its Settings → Features.")
    return Destination(target={"repo": data.get("full_name") or repo},
                       label=data.get("full_name") or repo)


def _remote(issue: dict) -> Remote:
    return Remote(id=str(issue["number"]), key=f"#{issue['number']}", url=issue["html_url"],
                  extra={"id": issue["id"], "node_id": issue.get("node_id", "")})


class GitHubTracker(Tracker):
    kind = "github"

    def __init__(self, connection, *, token: str, session: requests.Session | None = None):
        super().__init__(connection, token=token, session=session)
        github_session(token, session=self.session)

    @property
    def repo_url(self) -> str:
        repo = (self.connection.target or {}).get("repo", "")
        if not repo:
            raise TrackerError("invalid", "Choose the repository issues go to first.")
        return f"{api_url()}/repos/{repo}"

    # -- issues ---------------------------------------------------------------------------
    def draft(self, ticket, *, parent: Remote | None = None) -> Draft:
        from integrations.models import marker_for

        marker = marker_for(ticket.public_id)
        kind = get_kind(ticket.ticket_type)
        facts = issue_facts(ticket, parent=parent)
        labels = issue_labels(ticket)
        payload = {"title": ticket.title, "body": issue_body(ticket, marker=marker, facts=facts),
                   "labels": labels}
        rows = [
            PreviewRow(_("Title"), "title", ticket.title),
            PreviewRow(_("Summary"), "body", ticket.summary),
            PreviewRow(_("User story"), "body" if ticket.user_story else "", ticket.user_story,
                       "" if ticket.user_story else _("empty")),
            PreviewRow(_("Acceptance criteria"), _("body (task list)"), criteria_text(ticket)),
            PreviewRow(_("Priority"), "labels" if ticket.priority else "",
                       priority_label(ticket),
                       _("as a label") if ticket.priority else _("none set")),
            PreviewRow(_("Labels"), "labels", ", ".join(ticket.labels),
                       _("created in the repository when new")),
            PreviewRow(_("Story points"), "body" if ticket.story_points else "",
                       str(ticket.story_points or ""),
                       _("GitHub issues have no estimate field")),
            PreviewRow(_("Type"), "labels", ticket.ticket_type,
                       _("as a label (%(kind)s)") % {"kind": kind.label}),
            PreviewRow(_("Parent"), _("parent issue (sub-issue)") if parent else "",
                       parent.key if parent else "",
                       _("becomes a sub-issue of the epic's issue") if parent else _("none")),
        ]
        rows += section_rows(ticket, where="body")
        rows.append(PreviewRow(_("MyBA ID"), _("body (hidden comment)"), marker,
                               _("finds the issue again, so it is never made twice")))
        return Draft(marker=marker, payload=payload, rows=rows)

    def find(self, marker: str, *, since: datetime) -> Remote | None:
        """Newest first, back to `since`: `since` filters on last update, so an issue
        created before it can still be listed; the walk stops at the first one created
        before `since` (not the search API, whose index lags by minutes)."""
        url = f"{self.repo_url}/issues"
        params: dict | None = {"state": "all", "sort": "created", "direction": "desc",
                               "since": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                               "per_page": 100}
        for _page in range(MAX_FIND_PAGES):
            response = call(self.session, "GET", url, params=params,
                            what="looking for the issue")
            for issue in response.json():
                if "pull_request" in issue:
                    continue
                created = parse_datetime(issue.get("created_at") or "")
                if created is not None and created < since:
                    return None
                if has_marker(issue.get("body"), marker):
                    return _remote(issue)
            match = LINK_NEXT_RE.search(response.headers.get("Link", ""))
            if not match:
                return None
            url, params = match.group(1), None
        raise TrackerError("retry", "Too many recent issues to look through; trying later.")

    def create(self, draft: Draft) -> Remote:
        response = call(self.session, "POST", f"{self.repo_url}/issues", json=draft.payload,
                        what="creating the issue")
        return _remote(response.json())

    def update(self, remote: Remote, draft: Draft) -> Remote:
        response = call(self.session, "PATCH", f"{self.repo_url}/issues/{remote.id}",
                        json=draft.payload, what="updating the issue")
        return _remote(response.json())

    def link_child(self, parent: Remote, child: Remote) -> None:
        """`child` becomes a sub-issue of `parent`. A 422 (it already has a parent) is
        success when that parent is `parent`: a retried link changes nothing."""
        child_id = child.extra.get("id") or self._issue_id(child)
        url = f"{self.repo_url}/issues/{parent.id}/sub_issues"
        try:
            call(self.session, "POST", url, json={"sub_issue_id": int(child_id)},
                 what="making the story a sub-issue of its epic")
        except TrackerError as error:
            if error.status != 422 or not self._is_sub_issue(url, int(child_id)):
                raise

    def _issue_id(self, remote: Remote) -> int:
        """The numeric id sub-issues are named by (a Remote rebuilt from a push record has
        only the number)."""
        response = call(self.session, "GET", f"{self.repo_url}/issues/{remote.id}",
                        what="reading the issue")
        return response.json()["id"]

    def _is_sub_issue(self, url: str, child_id: int) -> bool:
        response = call(self.session, "GET", url, params={"per_page": 100},
                        what="reading the epic's sub-issues")
        return any(issue.get("id") == child_id for issue in response.json())

    # -- set-up ---------------------------------------------------------------------------
    def destinations(self) -> list[Destination]:
        """The app installation's repositories, or the repository the token was given for
        (kept in `account_ref`)."""
        if self.connection.auth != "app":
            repo = self.connection.account_ref or (self.connection.target or {}).get("repo")
            return [_repository(self.session, repo or "")]
        found: list[Destination] = []
        url: str | None = f"{api_url()}/installation/repositories"
        params: dict | None = {"per_page": 100}
        while url:
            response = call(self.session, "GET", url, params=params,
                            what="listing the app's repositories")
            for repo in response.json().get("repositories", []):
                if repo.get("has_issues", True):
                    found.append(Destination(target={"repo": repo["full_name"]},
                                             label=repo["full_name"]))
            match = LINK_NEXT_RE.search(response.headers.get("Link", ""))
            url, params = (match.group(1), None) if match else (None, None)
        return found

    def refresh(self) -> Grant:
        if self.connection.auth != "app":
            return super().refresh()
        return mint_installation_token(self.connection.account_ref)
