"""A local fake of GitHub's REST API and of its App installation page.

Repositories hold issues (numbers per repository, global numeric ids and node ids), listed
with `state`, `sort`, `direction`, `since` (last update), `per_page` and Link pagination;
sub-issues (one parent each); a GitHub App whose installation tokens are minted against a JWT
checked with the app's public key; primary and secondary rate limits; 401 for unknown tokens.
`seed_demo()` makes `acme/shop`, open to the token `github_pat_local_fake`.
"""

import html
import itertools
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode

import jwt

from integrations.fakes.base import FakeRequest, FakeServer, Response

DEMO_REPO = "acme/shop"
DEMO_TOKEN = "github_pat_local_fake"  # noqa: S105 (the local fake's demo token)
INSTALLATION_TOKEN_SECONDS = 3600


def stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Repo:
    id: int
    full_name: str
    has_issues: bool = True
    issues: list[dict] = field(default_factory=list)
    parents: dict[int, int] = field(default_factory=dict)  # child id → parent id


@dataclass
class Grant:
    """What a token may do: `repos` it sees (an installation's when `installation`), write
    or read-only; a `user` token (of the person who installed the app) lists installations."""

    repos: set[str]
    push: bool = True
    installation: int | None = None
    expires_at: datetime | None = None
    user: bool = False


class FakeGitHub(FakeServer):
    """`app_id` and `app_public_key` (PEM) make the App endpoints work, `app_client_id` and
    `app_client_secret` its user authorization; `setup_url` is where the fake installation
    page sends the browser back (the App's callback URL), with a `code` that the person's
    user token is had for, which lists the installations they can see."""

    name = "fake-github"

    def __init__(self, *, app_id: str = "", app_public_key: str = "", setup_url: str = "",
                 app_client_id: str = "", app_client_secret: str = "", **kwargs):
        self.app_id = str(app_id)
        self.app_public_key = app_public_key
        self.app_client = (app_client_id, app_client_secret)
        self.setup_url = setup_url
        self.user_codes: set[str] = set()  # unused codes of the user authorization
        self.user_installations: set[int] = set()  # what the person who allows can see
        self.repos: dict[str, Repo] = {}
        self.tokens: dict[str, Grant] = {}
        self.installations: dict[int, set[str]] = {}
        self.ids = itertools.count(1_000_001)
        self.rate_remaining = 5000
        self.secondary_limits = 0
        super().__init__(**kwargs)

    # -- set-up for tests and `make run` --------------------------------------------------
    def add_repo(self, full_name: str, *, has_issues: bool = True) -> Repo:
        with self.lock:
            repo = self.repos.setdefault(full_name, Repo(next(self.ids), full_name, has_issues))
            repo.has_issues = has_issues
            return repo

    def add_token(self, token: str, *repos: str, push: bool = True) -> str:
        with self.lock:
            self.tokens[token] = Grant(set(repos), push=push)
        return token

    def add_installation(self, *repos: str) -> int:
        with self.lock:
            installation = next(self.ids)
            self.installations[installation] = set(repos)
            return installation

    def add_issue(self, repo: str, *, title: str, body: str = "",
                  created_at: datetime | None = None) -> dict:
        """An issue made outside MyBA (by a person), possibly long ago."""
        with self.lock:
            return self._new_issue(self.repos[repo], {"title": title, "body": body},
                                   created_at or datetime.now(UTC))

    def seed_demo(self) -> None:
        self.add_repo(DEMO_REPO)
        self.add_token(DEMO_TOKEN, DEMO_REPO)
        self.add_installation(DEMO_REPO)

    def issues(self, repo: str) -> list[dict]:
        with self.lock:
            return list(self.repos[repo].issues)

    def limit(self, *, primary: bool = False, secondary: int = 0) -> None:
        """Exhaust the hourly limit (every call then answers 403, remaining 0, until reset)
        or answer the next `secondary` calls with a secondary-limit 403 + Retry-After."""
        with self.lock:
            self.rate_remaining = 0 if primary else 5000
            self.secondary_limits = secondary

    # -- routes ---------------------------------------------------------------------------
    def register(self) -> None:
        repo = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"
        issue = repo + r"/issues/(?P<number>\d+)"
        self.route("GET", repo, self._api(self.get_repo))
        self.route("GET", repo + "/issues", self._api(self.list_issues))
        self.route("POST", repo + "/issues", self._api(self.create_issue))
        self.route("GET", issue, self._api(self.get_issue))
        self.route("PATCH", issue, self._api(self.update_issue))
        self.route("GET", issue + "/sub_issues", self._api(self.list_sub_issues))
        self.route("POST", issue + "/sub_issues", self._api(self.add_sub_issue))
        self.route("GET", "/installation/repositories", self._api(self.installation_repos))
        self.route("GET", "/user/installations", self._api(self.list_user_installations))
        self.route("POST", "/login/oauth/access_token", self.user_token)
        self.route("POST", r"/app/installations/(?P<installation>\d+)/access_tokens",
                   self.access_token)
        self.route("GET", r"/apps/(?P<slug>[^/]+)/installations/new", self.install_page)
        self.route("GET", r"/apps/(?P<slug>[^/]+)/installations/allow", self.install_allow)

    def _api(self, handler):
        """Token check and rate limits around a REST handler, with GitHub's headers."""

        def wrapped(request: FakeRequest) -> Response:
            reset = str(int(time.time()) + 60)
            with self.lock:
                grant = self._grant(request.bearer)
                if grant is None:
                    return Response(401, {"message": "Bad credentials"})
                if self.rate_remaining == 0:
                    return Response(403, {"message": "API rate limit exceeded"},
                                    {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset})
                if self.secondary_limits:
                    self.secondary_limits -= 1
                    return Response(403, {"message": "You have exceeded a secondary rate "
                                          "limit. Please wait a few minutes."},
                                    {"Retry-After": "2"})
                self.rate_remaining -= 1
                response = handler(request, grant)
            response.headers.update({"X-RateLimit-Limit": "5000",
                                     "X-RateLimit-Remaining": str(self.rate_remaining),
                                     "X-RateLimit-Reset": reset})
            return response

        return wrapped

    def _grant(self, token: str) -> Grant | None:
        grant = self.tokens.get(token)
        if grant is None or (grant.expires_at and grant.expires_at <= datetime.now(UTC)):
            return None
        return grant

    def _repo(self, request: FakeRequest, grant: Grant) -> Repo | Response:
        name = f"{request.params['owner']}/{request.params['name']}"
        repos = (self.installations.get(grant.installation, set())
                 if grant.installation else grant.repos)
        if name not in self.repos or name not in repos:
            return Response(404, {"message": "Not Found"})
        return self.repos[name]

    def _writable(self, request, grant) -> Repo | Response:
        repo = self._repo(request, grant)
        if isinstance(repo, Response):
            return repo
        if not grant.push:
            return Response(403, {"message": "Resource not accessible by personal access "
                                  "token"})
        if not repo.has_issues:
            return Response(410, {"message": "Issues are disabled for this repo"})
        return repo

    def _issue(self, repo: Repo, number: str) -> dict | None:
        return next((i for i in repo.issues if i["number"] == int(number)), None)

    def _new_issue(self, repo: Repo, data: dict, now: datetime) -> dict:
        number = len(repo.issues) + 1
        issue_id = next(self.ids)
        issue = {
            "id": issue_id, "node_id": f"I_kwFake{issue_id}", "number": number,
            "title": data["title"], "body": data.get("body") or None,
            "labels": [{"name": name} for name in data.get("labels") or []],
            "state": "open", "html_url": f"{self.url}/{repo.full_name}/issues/{number}",
            "created_at": stamp(now), "updated_at": stamp(now),
            "user": {"login": "myba-bot"},
        }
        repo.issues.append(issue)
        return issue

    def get_repo(self, request, grant) -> Response:
        repo = self._repo(request, grant)
        if isinstance(repo, Response):
            return repo
        return Response(200, {"id": repo.id, "full_name": repo.full_name,
                              "has_issues": repo.has_issues, "private": True,
                              "permissions": {"admin": False, "maintain": False,
                                              "push": grant.push, "triage": grant.push,
                                              "pull": True}})

    def list_issues(self, request, grant) -> Response:
        repo = self._repo(request, grant)
        if isinstance(repo, Response):
            return repo
        issues = list(repo.issues)
        state = request.arg("state", "open")
        if state != "all":
            issues = [i for i in issues if i["state"] == state]
        if request.arg("since"):
            issues = [i for i in issues if i["updated_at"] >= request.arg("since")]
        key = "updated_at" if request.arg("sort") == "updated" else "created_at"
        issues.sort(key=lambda i: (i[key], i["number"]),
                    reverse=request.arg("direction", "desc") == "desc")
        per_page = min(int(request.arg("per_page", "30")), 100)
        page = int(request.arg("page", "1"))
        chunk = issues[(page - 1) * per_page: page * per_page]
        headers = {}
        if page * per_page < len(issues):
            query = {k: v[0] for k, v in request.query.items()}
            query["page"] = str(page + 1)
            headers["Link"] = f'<{self.url}{request.path}?{urlencode(query)}>; rel="next"'
        return Response(200, chunk, headers)

    def create_issue(self, request, grant) -> Response:
        repo = self._writable(request, grant)
        if isinstance(repo, Response):
            return repo
        data = request.json() or {}
        problem = self._invalid(data, creating=True)
        if problem:
            return problem
        return Response(201, self._new_issue(repo, data, datetime.now(UTC)))

    @staticmethod
    def _invalid(data: dict, *, creating: bool) -> Response | None:
        title = data.get("title")
        if (creating or "title" in data) and (not isinstance(title, str) or not title.strip()):
            return Response(422, {"message": "Validation Failed", "errors": [
                {"resource": "Issue", "code": "missing_field", "field": "title"}]})
        if len(title or "") > 256:
            return Response(422, {"message": "Validation Failed", "errors": [
                {"resource": "Issue", "code": "custom", "field": "title",
                 "message": "title is too long (maximum is 256 characters)"}]})
        labels = data.get("labels", [])
        if not isinstance(labels, list) or not all(isinstance(n, str) and 0 < len(n) <= 50
                                                   for n in labels):
            return Response(422, {"message": "Validation Failed", "errors": [
                {"resource": "Label", "code": "invalid", "field": "name"}]})
        return None

    def get_issue(self, request, grant) -> Response:
        repo = self._repo(request, grant)
        if isinstance(repo, Response):
            return repo
        issue = self._issue(repo, request.params["number"])
        return Response(200, issue) if issue else Response(404, {"message": "Not Found"})

    def update_issue(self, request, grant) -> Response:
        repo = self._writable(request, grant)
        if isinstance(repo, Response):
            return repo
        issue = self._issue(repo, request.params["number"])
        if issue is None:
            return Response(404, {"message": "Not Found"})
        data = request.json() or {}
        problem = self._invalid(data, creating=False)
        if problem:
            return problem
        for key in ("title", "body", "state"):
            if key in data:
                issue[key] = data[key]
        if "labels" in data:
            issue["labels"] = [{"name": name} for name in data["labels"]]
        issue["updated_at"] = stamp(datetime.now(UTC))
        return Response(200, issue)

    def list_sub_issues(self, request, grant) -> Response:
        repo = self._repo(request, grant)
        if isinstance(repo, Response):
            return repo
        parent = self._issue(repo, request.params["number"])
        if parent is None:
            return Response(404, {"message": "Not Found"})
        return Response(200, [i for i in repo.issues if repo.parents.get(i["id"]) == parent["id"]])

    def add_sub_issue(self, request, grant) -> Response:
        repo = self._writable(request, grant)
        if isinstance(repo, Response):
            return repo
        parent = self._issue(repo, request.params["number"])
        child_id = (request.json() or {}).get("sub_issue_id")
        if parent is None:
            return Response(404, {"message": "Not Found"})
        if not isinstance(child_id, int) or isinstance(child_id, bool):
            return Response(422, {"message": "Invalid request.\n\nFor 'properties/sub_issue_id',"
                                  " is not an integer."})
        child = next((i for i in repo.issues if i["id"] == child_id), None)
        if child is None:
            return Response(404, {"message": "Not Found"})
        if child_id in repo.parents or child_id == parent["id"]:
            return Response(422, {"message": "Validation Failed", "errors": [
                {"resource": "Issue", "code": "custom", "field": "sub_issue_id",
                 "message": "Sub issue may only have one parent"}]})
        repo.parents[child_id] = parent["id"]
        return Response(201, parent)

    def installation_repos(self, request, grant) -> Response:
        if grant.installation is None:
            return Response(403, {"message": "Resource not accessible by personal access "
                                  "token"})
        names = sorted(self.installations.get(grant.installation, set()))
        per_page = min(int(request.arg("per_page", "30")), 100)
        page = int(request.arg("page", "1"))
        chunk = names[(page - 1) * per_page: page * per_page]
        headers = {}
        if page * per_page < len(names):
            headers["Link"] = (f'<{self.url}{request.path}?per_page={per_page}&page={page + 1}>'
                               '; rel="next"')
        return Response(200, {"total_count": len(names), "repositories": [
            {"id": self.repos[n].id, "full_name": n, "has_issues": self.repos[n].has_issues}
            for n in chunk if n in self.repos]}, headers)

    def access_token(self, request: FakeRequest) -> Response:
        """An installation token for a JWT signed with the app's key: iss = the app id,
        exp at most 10 minutes after iat."""
        try:
            claims = jwt.decode(request.bearer, self.app_public_key, algorithms=["RS256"],
                                options={"require": ["iat", "exp", "iss"]}, leeway=0)
        except (jwt.PyJWTError, ValueError):
            return Response(401, {"message": "A JSON web token could not be decoded"})
        if str(claims["iss"]) != self.app_id or claims["exp"] - claims["iat"] > 660:
            return Response(401, {"message": "'Expiration time' claim ('exp') is too far in "
                                  "the future"})
        installation = int(request.params["installation"])
        with self.lock:
            if installation not in self.installations:
                return Response(404, {"message": "Not Found"})
            token = "ghs_" + secrets.token_hex(18)
            expires = datetime.now(UTC) + timedelta(seconds=INSTALLATION_TOKEN_SECONDS)
            self.tokens[token] = Grant(set(), installation=installation, expires_at=expires)
        return Response(201, {"token": token, "expires_at": stamp(expires),
                              "permissions": {"issues": "write", "metadata": "read"},
                              "repository_selection": "selected"})

    def user_token(self, request: FakeRequest) -> Response:
        """The code of the user authorization for a user token (errors answer 200, as
        GitHub's do)."""
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        with self.lock:
            if (form.get("client_id"), form.get("client_secret")) != self.app_client:
                return Response(200, {"error": "incorrect_client_credentials"})
            if form.get("code") not in self.user_codes:
                return Response(200, {"error": "bad_verification_code",
                                      "error_description": "The code passed is incorrect or "
                                                           "expired."})
            self.user_codes.discard(form["code"])
            token = "ghu_" + secrets.token_hex(18)
            self.tokens[token] = Grant(set(), user=True)
        return Response(200, {"access_token": token, "token_type": "bearer", "scope": ""})

    def list_user_installations(self, request, grant) -> Response:
        if not grant.user:
            return Response(403, {"message": "You must authenticate with an access token "
                                  "authorized to a GitHub App in order to list installations"})
        return Response(200, {"total_count": len(self.user_installations), "installations": [
            {"id": installation, "account": {"login": "acme"}}
            for installation in sorted(self.user_installations)]})

    # -- the installation page (a browser's) ------------------------------------------------
    def install_page(self, request: FakeRequest) -> Response:
        slug = html.escape(request.params["slug"])
        allow = f"allow?{urlencode({'state': request.arg('state')})}"
        deny = html.escape(f"{self.setup_url}?{urlencode({'state': request.arg('state')})}")
        return Response(200, _page(
            f"<h1>Local fake of GitHub</h1><p>Install the app <b>{slug}</b> on "
            f"<b>{DEMO_REPO.split('/')[0]}</b> and let it write issues in "
            f"{', '.join(sorted(self.repos)) or 'no repositories yet'}?</p>"
            f'<p><a class="allow" href="{html.escape(allow)}">Allow</a> '
            f'<a class="deny" href="{deny}">Deny</a></p>'), {"Content-Type": "text/html"})

    def install_allow(self, request: FakeRequest) -> Response:
        installation = self.add_installation(*self.repos)
        code = secrets.token_hex(10)
        with self.lock:
            self.user_installations.add(installation)
            self.user_codes.add(code)
        query = urlencode({"code": code, "installation_id": installation,
                           "setup_action": "install", "state": request.arg("state")})
        return Response(302, "", {"Location": f"{self.setup_url}?{query}",
                                  "Content-Type": "text/html"})


def _page(body: str) -> str:
    return ("<!doctype html><html><head><meta name='viewport' content='width=device-width'>"
            "<title>Local fake</title><style>body{font:16px system-ui;max-width:32rem;"
            "margin:2rem auto;padding:0 1rem}a{display:inline-block;padding:.5rem 1rem;"
            "border:1px solid #888;border-radius:6px;margin-right:.5rem}</style></head>"
            f"<body>{body}</body></html>")
