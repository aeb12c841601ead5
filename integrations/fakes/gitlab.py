"""A local fake of GitLab's REST API (v4) and of its OAuth sign-in.

Projects (by id or URL-encoded path) hold issues (iid per project, global ids), listed with
`created_after`, `order_by`, `sort`, `per_page`/`page` and X-Next-Page; issue links ("relates
to", 409 when already linked); weight kept only on a Premium instance (`premium=True`), as
GitLab Free ignores it. OAuth: an authorize page (Allow / Deny) and a token endpoint whose
access tokens last two hours and whose refresh tokens rotate (a used one answers 400
invalid_grant). Unknown or expired tokens get 401. `seed_demo()` makes `acme/shop`, open to
the project access token `glpat-local-fake` and to the OAuth application `local-fake`.
"""

import html
import itertools
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlencode

from integrations.fakes.base import FakeRequest, FakeServer, Response

DEMO_PROJECT = "acme/shop"
DEMO_TOKEN = "glpat-local-fake"  # noqa: S105 (the local fake's demo token)
DEMO_CLIENT = "local-fake"
ACCESS_TOKEN_SECONDS = 7200


def stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass
class Project:
    id: int
    path: str
    issues_enabled: bool = True
    issues: list[dict] = field(default_factory=list)
    links: set[tuple[int, int]] = field(default_factory=set)  # (issue id, issue id)


@dataclass
class Grant:
    """What a token opens: `projects` (paths) at `level` (20 Reporter, 30 Developer)."""

    projects: set[str]
    level: int = 30
    expires_at: datetime | None = None


class FakeGitLab(FakeServer):
    name = "fake-gitlab"

    def __init__(self, *, premium: bool = False, **kwargs):
        self.premium = premium
        self.projects: dict[str, Project] = {}
        self.tokens: dict[str, Grant] = {}
        self.clients: dict[str, str] = {}  # OAuth application id → secret
        self.oauth_projects: set[str] = set()  # what a user who signs in may open
        self.codes: dict[str, str] = {}  # unused authorization code → redirect_uri
        self.refresh_tokens: dict[str, bool] = {}  # refresh token → still usable
        self.ids = itertools.count(501)
        super().__init__(**kwargs)

    # -- set-up for tests and `make run` --------------------------------------------------
    def add_project(self, path: str, *, issues_enabled: bool = True) -> Project:
        with self.lock:
            project = self.projects.setdefault(path, Project(next(self.ids), path))
            project.issues_enabled = issues_enabled
            return project

    def add_token(self, token: str, *paths: str, level: int = 30) -> str:
        with self.lock:
            self.tokens[token] = Grant(set(paths), level)
        return token

    def add_client(self, client_id: str, secret: str, *paths: str) -> None:
        with self.lock:
            self.clients[client_id] = secret
            self.oauth_projects.update(paths)

    def add_issue(self, path: str, *, title: str, description: str = "",
                  created_at: datetime | None = None) -> dict:
        with self.lock:
            return self._new_issue(self.projects[path], {"title": title,
                                                         "description": description},
                                   created_at or datetime.now(UTC))

    def issues(self, path: str) -> list[dict]:
        with self.lock:
            return list(self.projects[path].issues)

    def expire_access_tokens(self) -> None:
        """Every OAuth access token is past its two hours (refresh tokens still work)."""
        with self.lock:
            for grant in self.tokens.values():
                if grant.expires_at:
                    grant.expires_at = datetime.now(UTC) - timedelta(seconds=1)

    def seed_demo(self) -> None:
        self.add_project(DEMO_PROJECT)
        self.add_project("acme/website")
        self.add_token(DEMO_TOKEN, DEMO_PROJECT)
        self.add_client(DEMO_CLIENT, DEMO_CLIENT, DEMO_PROJECT, "acme/website")

    # -- routes ---------------------------------------------------------------------------
    def register(self) -> None:
        project = r"/api/v4/projects/(?P<project>[^/]+)"
        issue = project + r"/issues/(?P<iid>\d+)"
        self.route("GET", r"/api/v4/projects", self._api(self.list_projects))
        self.route("GET", project, self._api(self.get_project))
        self.route("GET", project + "/issues", self._api(self.list_issues))
        self.route("POST", project + "/issues", self._api(self.create_issue))
        self.route("PUT", issue, self._api(self.update_issue))
        self.route("POST", issue + "/links", self._api(self.link_issues))
        self.route("GET", r"/oauth/authorize", self.authorize_page)
        self.route("POST", r"/oauth/token", self.token)

    def _api(self, handler):
        def wrapped(request: FakeRequest) -> Response:
            with self.lock:
                token = request.bearer or request.headers.get("private-token", "")
                grant = self.tokens.get(token)
                if grant is None or (grant.expires_at and grant.expires_at <= datetime.now(UTC)):
                    return Response(401, {"message": "401 Unauthorized"})
                return handler(request, grant)

        return wrapped

    def _project(self, request: FakeRequest, grant: Grant) -> Project | Response:
        ref = unquote(request.params["project"])
        project = (self.projects.get(ref) if not ref.isdigit()
                   else next((p for p in self.projects.values() if p.id == int(ref)), None))
        if project is None or project.path not in grant.projects:
            return Response(404, {"message": "404 Project Not Found"})
        return project

    def _writable(self, request, grant) -> Project | Response:
        project = self._project(request, grant)
        if isinstance(project, Response):
            return project
        if grant.level < 20:
            return Response(403, {"message": "403 Forbidden"})
        if not project.issues_enabled:
            return Response(403, {"message": "403 Forbidden"})
        return project

    def _project_json(self, project: Project, grant: Grant) -> dict:
        return {"id": project.id, "path_with_namespace": project.path,
                "name": project.path.split("/")[-1], "issues_enabled": project.issues_enabled,
                "web_url": f"{self.url}/{project.path}",
                "permissions": {"project_access": {"access_level": grant.level},
                                "group_access": None}}

    @staticmethod
    def _paged(request: FakeRequest, items: list) -> Response:
        per_page = min(int(request.arg("per_page", "20")), 100)
        page = int(request.arg("page", "1"))
        chunk = items[(page - 1) * per_page: page * per_page]
        more = page * per_page < len(items)
        return Response(200, chunk, {"X-Page": str(page), "X-Per-Page": str(per_page),
                                     "X-Total": str(len(items)),
                                     "X-Next-Page": str(page + 1) if more else ""})

    def list_projects(self, request, grant) -> Response:
        level = int(request.arg("min_access_level", "0"))
        projects = [self._project_json(p, grant) for p in self.projects.values()
                    if p.path in grant.projects and grant.level >= level]
        return self._paged(request, projects)

    def get_project(self, request, grant) -> Response:
        project = self._project(request, grant)
        if isinstance(project, Response):
            return project
        return Response(200, self._project_json(project, grant))

    def _new_issue(self, project: Project, data: dict, now: datetime) -> dict:
        iid = len(project.issues) + 1
        labels = [label.strip() for label in (data.get("labels") or "").split(",")
                  if label.strip()]
        issue = {"id": next(self.ids), "iid": iid, "project_id": project.id,
                 "title": data["title"], "description": data.get("description") or None,
                 "labels": labels, "state": "opened",
                 "weight": data.get("weight") if self.premium else None,
                 "issue_type": data.get("issue_type") or "issue",
                 "web_url": f"{self.url}/{project.path}/-/issues/{iid}",
                 "created_at": stamp(now), "updated_at": stamp(now)}
        project.issues.append(issue)
        return issue

    @staticmethod
    def _invalid(data: dict, *, creating: bool) -> Response | None:
        if (creating or "title" in data) and not str(data.get("title") or "").strip():
            return Response(400, {"message": {"title": ["can't be blank"]}})
        if data.get("issue_type", "issue") not in ("issue", "incident", "test_case", "task"):
            return Response(400, {"error": "issue_type does not have a valid value"})
        weight = data.get("weight")
        if weight is not None and (not isinstance(weight, int) or weight < 0):
            return Response(400, {"error": "weight is invalid"})
        return None

    def list_issues(self, request, grant) -> Response:
        project = self._project(request, grant)
        if isinstance(project, Response):
            return project
        issues = list(project.issues)
        after = parse(request.arg("created_after"))
        if after is not None:
            issues = [i for i in issues if parse(i["created_at"]) >= after]
        key = "updated_at" if request.arg("order_by") == "updated_at" else "created_at"
        issues.sort(key=lambda i: (parse(i[key]), i["iid"]),
                    reverse=request.arg("sort", "desc") == "desc")
        return self._paged(request, issues)

    def create_issue(self, request, grant) -> Response:
        project = self._writable(request, grant)
        if isinstance(project, Response):
            return project
        data = request.json() or {}
        problem = self._invalid(data, creating=True)
        return problem or Response(201, self._new_issue(project, data, datetime.now(UTC)))

    def update_issue(self, request, grant) -> Response:
        project = self._writable(request, grant)
        if isinstance(project, Response):
            return project
        issue = next((i for i in project.issues if i["iid"] == int(request.params["iid"])),
                     None)
        if issue is None:
            return Response(404, {"message": "404 Not found"})
        data = request.json() or {}
        problem = self._invalid(data, creating=False)
        if problem:
            return problem
        for key in ("title", "description", "issue_type"):
            if key in data:
                issue[key] = data[key]
        if "labels" in data:
            issue["labels"] = [x.strip() for x in data["labels"].split(",") if x.strip()]
        if "weight" in data and self.premium:
            issue["weight"] = data["weight"]
        issue["updated_at"] = stamp(datetime.now(UTC))
        return Response(200, issue)

    def link_issues(self, request, grant) -> Response:
        project = self._writable(request, grant)
        if isinstance(project, Response):
            return project
        data = request.json() or {}
        source = next((i for i in project.issues if i["iid"] == int(request.params["iid"])),
                      None)
        target_project = next((p for p in self.projects.values()
                               if str(p.id) == str(data.get("target_project_id"))
                               or p.path == data.get("target_project_id")), None)
        target = None
        if target_project is not None and target_project.path in grant.projects:
            target = next((i for i in target_project.issues
                           if str(i["iid"]) == str(data.get("target_issue_iid"))), None)
        if source is None or target is None:
            return Response(404, {"message": "404 Not found"})
        pair = tuple(sorted((source["id"], target["id"])))
        if pair in project.links:
            return Response(409, {"message": "Issue(s) already assigned"})
        project.links.add(pair)
        return Response(201, {"source_issue": source, "target_issue": target,
                              "link_type": data.get("link_type", "relates_to")})

    # -- OAuth ----------------------------------------------------------------------------
    def authorize_page(self, request: FakeRequest) -> Response:
        client, redirect_uri = request.arg("client_id"), request.arg("redirect_uri")
        if client not in self.clients or not redirect_uri or request.arg("scope") != "api":
            return Response(400, _page("<h1>Local fake of GitLab</h1><p>The client id, "
                                       "redirect URI or scope is invalid.</p>"),
                            {"Content-Type": "text/html"})
        code = secrets.token_hex(16)
        with self.lock:
            self.codes[code] = redirect_uri
        state = request.arg("state")
        allow = f"{redirect_uri}?{urlencode({'code': code, 'state': state})}"
        deny = f"{redirect_uri}?" + urlencode({
            "error": "access_denied", "state": state,
            "error_description": "The resource owner or authorization server denied the "
                                 "request."})
        return Response(200, _page(
            "<h1>Local fake of GitLab</h1><p>Let <b>MyBA</b> use your account (scope "
            f"<code>api</code>) on {html.escape(', '.join(sorted(self.oauth_projects)))}?</p>"
            f'<p><a class="allow" href="{html.escape(allow)}">Allow</a> '
            f'<a class="deny" href="{html.escape(deny)}">Deny</a></p>'),
            {"Content-Type": "text/html"})

    def token(self, request: FakeRequest) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        with self.lock:
            if self.clients.get(form.get("client_id", "")) != form.get("client_secret"):
                return Response(401, {"error": "invalid_client",
                                      "error_description": "Client authentication failed."})
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                ok = self.codes.pop(form.get("code", ""), None) == form.get("redirect_uri")
            elif grant_type == "refresh_token":
                ok = self.refresh_tokens.get(form.get("refresh_token", "")) is True
                if ok:
                    self.refresh_tokens[form["refresh_token"]] = False  # rotated: dead now
            else:
                return Response(400, {"error": "unsupported_grant_type"})
            if not ok:
                return Response(400, {"error": "invalid_grant", "error_description":
                                      "The provided authorization grant is invalid, expired, "
                                      "revoked, or was issued to another client."})
            access, refresh = "gloas-" + secrets.token_hex(16), secrets.token_hex(20)
            now = datetime.now(UTC)
            self.tokens[access] = Grant(set(self.oauth_projects), 30,
                                        now + timedelta(seconds=ACCESS_TOKEN_SECONDS))
            self.refresh_tokens[refresh] = True
        return Response(200, {"access_token": access, "token_type": "Bearer",
                              "expires_in": ACCESS_TOKEN_SECONDS, "refresh_token": refresh,
                              "scope": "api", "created_at": int(now.timestamp())})


def _page(body: str) -> str:
    return ("<!doctype html><html><head><meta name='viewport' content='width=device-width'>"
            "<title>Local fake</title><style>body{font:16px system-ui;max-width:32rem;"
            "margin:2rem auto;padding:0 1rem}a{display:inline-block;padding:.5rem 1rem;"
            "border:1px solid #888;border-radius:6px;margin-right:.5rem}</style></head>"
            f"<body>{body}</body></html>")
