"""GitLab's REST API (v4) on gitlab.com or a self-hosted instance (`connection.base_url`).

Credentials are a project access token the user pasted (never refreshed) or OAuth (scope
`api`): access tokens last two hours and refresh tokens rotate, so `refresh` returns the new
pair and the old refresh token is dead from then on (services.credentials keeps it
single-flight). An epic's stories are linked to its issue ("relates to"): GitLab's own epics
need Premium and a group.
"""

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

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

MAX_FIND_PAGES = 10


def project_ref(path_or_id) -> str:
    """A project as the API names it in a path: its id, or its URL-encoded full path."""
    return quote(str(path_or_id).strip().strip("/"), safe="")


def gitlab_session(token: str = "", *, session: requests.Session | None = None
                   ) -> requests.Session:
    session = session or requests.Session()
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return session


def destination_of(project: dict, base_url: str) -> Destination:
    host = base_url.split("://", 1)[-1].rstrip("/")
    path = project["path_with_namespace"]
    return Destination(target={"project_id": project["id"], "path": path},
                       label=path if host == "gitlab.com" else f"{path} on {host}")


def check_project(base_url: str, token: str, path: str, *,
                  session: requests.Session | None = None) -> Destination:
    """The project at `path` if `token` may open issues in it (Reporter or above, where the
    instance says); a TrackerError with a message for the form otherwise."""
    session = gitlab_session(token, session=session)
    response = call(session, "GET", f"{base_url.rstrip('/')}/api/v4/projects/{project_ref(path)}",
                    what="opening the project")
    project = response.json()
    access = project.get("permissions") or {}
    levels = [(access.get(scope) or {}).get("access_level", 0)
              for scope in ("project_access", "group_access")]
    if access and max(levels) < 20:
        raise TrackerError("auth", "This token cannot create issues in the project: give it "
                           "the Reporter role or above and the api scope.")
    if project.get("issues_enabled") is False:
        raise TrackerError("invalid", "Issues are turned off in this project: turn them on in "
                           "its Settings → General → Visibility.")
    return destination_of(project, base_url)


def exchange_code(base_url: str, *, code: str, redirect_uri: str,
                  session: requests.Session | None = None) -> Grant:
    """The first token pair of an OAuth sign-in."""
    return _token(base_url, {"grant_type": "authorization_code", "code": code,
                             "redirect_uri": redirect_uri}, session=session)


def _token(base_url: str, data: dict, *, session: requests.Session | None = None) -> Grant:
    """POST /oauth/token. A refused grant (a used or revoked refresh token, a bad code) is an
    auth failure: the user must connect again."""
    session = session or requests.Session()
    data = {**data, "client_id": settings.GITLAB_OAUTH_CLIENT_ID,
            "client_secret": settings.GITLAB_OAUTH_CLIENT_SECRET}
    try:
        response = call(session, "POST", f"{base_url.rstrip('/')}/oauth/token", data=data,
                        what="getting a GitLab token")
    except TrackerError as error:
        if error.status in (400, 401):
            raise TrackerError("auth", "GitLab refused the sign-in (the grant was revoked or "
                               "already used): connect GitLab again.",
                               status=error.status) from None
        raise
    body = response.json()
    expires_in = body.get("expires_in")
    created = body.get("created_at")
    start = datetime.fromtimestamp(created, UTC) if created else datetime.now(UTC)
    return Grant(access_token=body["access_token"],
                 expires_at=start + timedelta(seconds=expires_in) if expires_in else None,
                 refresh_token=body.get("refresh_token", ""))


def _remote(issue: dict) -> Remote:
    return Remote(id=str(issue["iid"]), key=f"#{issue['iid']}", url=issue["web_url"],
                  extra={"id": issue["id"], "project_id": issue["project_id"]})


class GitLabTracker(Tracker):
    kind = "gitlab"

    def __init__(self, connection, *, token: str, session: requests.Session | None = None):
        super().__init__(connection, token=token, session=session)
        gitlab_session(token, session=self.session)

    @property
    def base(self) -> str:
        return (self.connection.base_url or settings.GITLAB_URL).rstrip("/")

    @property
    def project_url(self) -> str:
        project = (self.connection.target or {}).get("project_id")
        if not project:
            raise TrackerError("invalid", "Choose the project issues go to first.")
        return f"{self.base}/api/v4/projects/{project_ref(project)}"

    # -- issues ---------------------------------------------------------------------------
    def draft(self, ticket, *, parent: Remote | None = None) -> Draft:
        from integrations.models import marker_for

        marker = marker_for(ticket.public_id)
        kind = get_kind(ticket.ticket_type)
        facts = issue_facts(ticket, parent=parent)
        # A comma separates GitLab labels: one inside a label would split it in two.
        labels = [label.replace(",", " ") for label in issue_labels(ticket, limit=255)]
        payload = {"title": ticket.title,
                   "description": issue_body(ticket, marker=marker, facts=facts),
                   "labels": ",".join(labels), "issue_type": "issue"}
        if ticket.story_points:
            payload["weight"] = ticket.story_points
        rows = [
            PreviewRow(_("Title"), "title", ticket.title),
            PreviewRow(_("Summary"), "description", ticket.summary),
            PreviewRow(_("User story"), "description" if ticket.user_story else "",
                       ticket.user_story, "" if ticket.user_story else _("empty")),
            PreviewRow(_("Acceptance criteria"), _("description (task list)"),
                       criteria_text(ticket)),
            PreviewRow(_("Priority"), "labels" if ticket.priority else "", priority_label(ticket),
                       _("as a label") if ticket.priority else _("none set")),
            PreviewRow(_("Labels"), "labels",
                       ", ".join(str(label).replace(",", " ") for label in ticket.labels),
                       _("created in the project when new")),
            PreviewRow(_("Story points"),
                       _("weight (GitLab Premium)") if ticket.story_points else "",
                       str(ticket.story_points or ""),
                       _("also in the description: GitLab Free ignores weight")),
            PreviewRow(_("Type"), "labels", ticket.ticket_type,
                       _("as a label (%(kind)s); the issue type is “issue”")
                       % {"kind": kind.label}),
            PreviewRow(_("Parent"), _("linked issue (relates to)") if parent else "",
                       parent.key if parent else "",
                       _("linked to the epic’s issue: GitLab epics need Premium")
                       if parent else _("none")),
        ]
        rows += section_rows(ticket, where="description")
        rows.append(PreviewRow(_("MyBA ID"), _("description (hidden comment)"), marker,
                               _("finds the issue again, so it is never made twice")))
        return Draft(marker=marker, payload=payload, rows=rows)

    def find(self, marker: str, *, since: datetime) -> Remote | None:
        """Newest first, created after `since`; GitLab's search is not used (it can lag)."""
        url = f"{self.project_url}/issues"
        params = {"order_by": "created_at", "sort": "desc", "scope": "all",
                  "created_after": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "per_page": 100, "page": 1}
        for _page in range(MAX_FIND_PAGES):
            response = call(self.session, "GET", url, params=params,
                            what="looking for the issue")
            for issue in response.json():
                created = parse_datetime(issue.get("created_at") or "")
                if created is not None and created < since:
                    return None
                if has_marker(issue.get("description"), marker):
                    return _remote(issue)
            next_page = response.headers.get("X-Next-Page", "")
            if not next_page.isdigit():
                return None
            params["page"] = int(next_page)
        raise TrackerError("retry", "Too many recent issues to look through; trying later.")

    def create(self, draft: Draft) -> Remote:
        response = call(self.session, "POST", f"{self.project_url}/issues", json=draft.payload,
                        what="creating the issue")
        return _remote(response.json())

    def update(self, remote: Remote, draft: Draft) -> Remote:
        response = call(self.session, "PUT", f"{self.project_url}/issues/{remote.id}",
                        json=draft.payload, what="updating the issue")
        return _remote(response.json())

    def link_child(self, parent: Remote, child: Remote) -> None:
        """A "relates to" link from the epic's issue to the story's; 409 (already linked)
        is success, so a retried link changes nothing."""
        project = child.extra.get("project_id") or self.connection.target["project_id"]
        try:
            call(self.session, "POST", f"{self.project_url}/issues/{parent.id}/links",
                 json={"target_project_id": project, "target_issue_iid": int(child.id),
                       "link_type": "relates_to"},
                 what="linking the story to its epic")
        except TrackerError as error:
            if error.status != 409:
                raise

    # -- set-up ---------------------------------------------------------------------------
    def destinations(self) -> list[Destination]:
        """The pasted token's project (`account_ref`), or every project the OAuth user may
        open issues in (Reporter or above)."""
        if self.connection.auth == "token":
            path = self.connection.account_ref or (self.connection.target or {}).get("path")
            return [check_project(self.base, self.token, path or "", session=self.session)]
        found: list[Destination] = []
        params = {"membership": "true", "min_access_level": 20, "order_by": "last_activity_at",
                  "per_page": 100, "page": 1}
        for _page in range(MAX_FIND_PAGES):
            response = call(self.session, "GET", f"{self.base}/api/v4/projects", params=params,
                            what="listing your projects")
            found += [destination_of(project, self.base) for project in response.json()
                      if project.get("issues_enabled", True)]
            next_page = response.headers.get("X-Next-Page", "")
            if not next_page.isdigit():
                break
            params["page"] = int(next_page)
        return found

    def refresh(self) -> Grant:
        if self.connection.auth != "oauth":
            return super().refresh()
        if not self.connection.refresh_token:
            raise TrackerError("auth", "This GitLab connection has no refresh token: connect "
                               "GitLab again.")
        return _token(self.base, {"grant_type": "refresh_token",
                                  "refresh_token": self.connection.refresh_token,
                                  "redirect_uri": redirect_uri()})


def redirect_uri() -> str:
    """Where GitLab sends the browser back (registered on the OAuth application); GitLab
    checks it again on every token request."""
    from django.urls import reverse

    return settings.SITE_URL.rstrip("/") + reverse("integrations:gitlab_callback")

