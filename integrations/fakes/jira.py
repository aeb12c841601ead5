"""A local fake of Jira Cloud and Atlassian's OAuth 2.0 (3LO) server, for tests and `make run`.

One server plays auth.atlassian.com (`/authorize`, `/oauth/token`) and api.atlassian.com
(`/oauth/token/accessible-resources`, `/ex/jira/{cloud id}/rest/api/3/...`); point
ATLASSIAN_AUTH_URL and ATLASSIAN_API_URL at `fake.url`. Like the real ones: access tokens
expire, refresh tokens rotate (a used one answers 403 `invalid_grant`), the create endpoints
validate required fields and refuse a plain-string description, bulk create takes at most 50,
and JQL search answers `labels = "x"`. Each site also serves `/site/<name>/browse/<KEY>` so the
links MyBA shows lead somewhere during `make run`.
"""

import html
import itertools
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode

from integrations.fakes.base import FakeRequest, FakeServer, Response
from integrations.fakes.jira_meta import company_project, field_error, simple_project

API = r"/ex/jira/(?P<cloud>[^/]+)/rest/api/3"
BULK_LIMIT = 50


@dataclass
class Site:
    cloud_id: str
    name: str
    url: str
    projects: dict[str, dict] = field(default_factory=dict)  # key → project (jira_meta)
    issues: dict[str, dict] = field(default_factory=dict)  # key → issue


class FakeAtlassian(FakeServer):
    name = "atlassian"

    def __init__(self, *, client_id: str = "local-fake",
                 client_secret: str = "local-fake",  # noqa: S107 - a fake's
                 token_ttl: int = 3600, **kwargs):
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl = token_ttl
        self.sites: dict[str, Site] = {}
        self.codes: dict[str, dict] = {}  # code → {"redirect_uri"}
        self.access_tokens: dict[str, float] = {}  # token → expires at (time.time())
        self.refresh_tokens: set[str] = set()  # the live ones
        self.ids = itertools.count(10001)
        super().__init__(**kwargs)

    # -- set-up ---------------------------------------------------------------------------
    def add_site(self, name: str, *, cloud_id: str = "") -> Site:
        with self.lock:
            site = Site(cloud_id=cloud_id or f"{name}-{secrets.token_hex(8)}", name=name,
                        url=f"{self.url}/site/{name}")
            self.sites[site.cloud_id] = site
            return site

    def add_project(self, site: Site, key: str, *, simple: bool = False) -> dict:
        """A company-managed-style project (Story with Story Points and Acceptance Criteria,
        Task, Bug, Epic, Sub-task) or, with `simple`, one with Task and Epic and no custom
        fields or priority."""
        with self.lock:
            project = (simple_project if simple else company_project)(key, next(self.ids))
            site.projects[key] = project
            return project

    def add_field(self, site: Site, project: str, issue_type: str, meta: dict) -> None:
        """Put another field on an issue type's create screen (e.g. a required one)."""
        with self.lock:
            self._issue_type(site.projects[project], issue_type)["fields"].append(meta)

    def seed_demo(self) -> Site:
        """Site "acme" with the project SHOP (and a simpler OPS)."""
        site = self.add_site("acme", cloud_id="11111111-2222-4333-8444-555555555555")
        self.add_project(site, "SHOP")
        self.add_project(site, "OPS", simple=True)
        return site

    def expire_tokens(self) -> None:
        """Every access token handed out so far stops working (as an hour later)."""
        with self.lock:
            self.access_tokens = dict.fromkeys(self.access_tokens, 0.0)

    def grant(self) -> tuple[str, str]:
        """An access and refresh token as a finished consent would give (for tests)."""
        with self.lock:
            return self._new_access(), self._new_refresh()

    def issues(self, site: Site) -> list[dict]:
        with self.lock:
            return list(site.issues.values())

    # -- routes ---------------------------------------------------------------------------
    def register(self) -> None:
        self.route("GET", r"/authorize", self.authorize)
        self.route("POST", r"/oauth/token", self.token)
        self.route("GET", r"/oauth/token/accessible-resources", self.resources)
        self.route("GET", API + r"/project/search", self.project_search)
        self.route("GET", API + r"/issue/createmeta/(?P<project>[^/]+)/issuetypes",
                   self.issue_types)
        self.route("GET", API + r"/issue/createmeta/(?P<project>[^/]+)/issuetypes/(?P<type>\d+)",
                   self.field_meta)
        self.route("POST", API + r"/issue", self.create)
        self.route("POST", API + r"/issue/bulk", self.create_bulk)
        self.route("PUT", API + r"/issue/(?P<key>[^/]+)", self.update)
        self.route("GET", API + r"/search/jql", self.search)
        self.route("GET", r"/site/(?P<site>[^/]+)/browse/(?P<key>[^/]+)", self.browse)

    # -- OAuth ----------------------------------------------------------------------------
    def authorize(self, request: FakeRequest) -> Response:
        redirect_uri, state = request.arg("redirect_uri"), request.arg("state")
        if request.arg("client_id") != self.client_id or not redirect_uri:
            return _page("Local fake of Atlassian", "<p>Unknown app (client_id) or no "
                         "redirect_uri.</p>", status=400)
        code = secrets.token_urlsafe(16)
        with self.lock:
            self.codes[code] = {"redirect_uri": redirect_uri}
        allow = f"{redirect_uri}?{urlencode({'code': code, 'state': state})}"
        denied = {"error": "access_denied", "error_description": "The user denied access",
                  "state": state}
        deny = f"{redirect_uri}?{urlencode(denied)}"
        sites = ", ".join(html.escape(site.name) for site in self.sites.values()) or "none"
        return _page("Local fake of Atlassian", f"""
            <p>This is <strong>not</strong> Atlassian: a local fake for trying MyBA out.</p>
            <p>MyBA asks for: <code>{html.escape(request.arg('scope'))}</code></p>
            <p>Sites: {sites}</p>
            <p><a class="allow" href="{html.escape(allow)}">Allow</a>
               <a class="deny" href="{html.escape(deny)}">Deny</a></p>""")

    def token(self, request: FakeRequest) -> Response:
        body = request.json() or {}
        if (body.get("client_id"), body.get("client_secret")) != (self.client_id,
                                                                  self.client_secret):
            return Response(401, {"error": "access_denied",
                                  "error_description": "Unauthorized"})
        with self.lock:
            if body.get("grant_type") == "authorization_code":
                code = self.codes.pop(body.get("code", ""), None)
                if not code or code["redirect_uri"] != body.get("redirect_uri"):
                    return Response(403, {"error": "invalid_grant",
                                          "error_description": "Invalid authorization code"})
            elif body.get("grant_type") == "refresh_token":
                old = body.get("refresh_token", "")
                if old not in self.refresh_tokens:
                    return Response(403, {"error": "invalid_grant",
                                          "error_description": "Unknown or invalid refresh "
                                                               "token."})
                self.refresh_tokens.discard(old)  # rotation: the old one dies now
            else:
                return Response(400, {"error": "unsupported_grant_type"})
            return Response(200, {"access_token": self._new_access(),
                                  "refresh_token": self._new_refresh(),
                                  "expires_in": self.token_ttl, "token_type": "Bearer",
                                  "scope": "read:jira-work write:jira-work offline_access "
                                           "read:jira-user"})

    def _new_access(self) -> str:
        token = "fake-at-" + secrets.token_urlsafe(16)
        self.access_tokens[token] = time.time() + self.token_ttl
        return token

    def _new_refresh(self) -> str:
        token = "fake-rt-" + secrets.token_urlsafe(16)
        self.refresh_tokens.add(token)
        return token

    def _authorized(self, request: FakeRequest) -> bool:
        with self.lock:
            return self.access_tokens.get(request.bearer, 0.0) > time.time()

    def resources(self, request: FakeRequest) -> Response:
        if not self._authorized(request):
            return _unauthorized()
        with self.lock:
            return Response(200, [
                {"id": site.cloud_id, "url": site.url, "name": site.name,
                 "scopes": ["read:jira-work", "write:jira-work", "read:jira-user"],
                 "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/a.png"}
                for site in self.sites.values()])

    # -- Jira -----------------------------------------------------------------------------
    def _site(self, request: FakeRequest) -> Site | Response:
        if not self._authorized(request):
            return _unauthorized()
        site = self.sites.get(request.params["cloud"])
        return site or Response(404, {"errorMessages": ["Site not found"]})

    def _project(self, site: Site, id_or_key: str) -> dict | None:
        return next((p for p in site.projects.values() if id_or_key in (p["key"], p["id"])),
                    None)

    @staticmethod
    def _issue_type(project: dict, id_or_name: str) -> dict | None:
        return next((t for t in project["issueTypes"] if id_or_name in (t["id"], t["name"])),
                    None)

    def project_search(self, request: FakeRequest) -> Response:
        site = self._site(request)
        if isinstance(site, Response):
            return site
        start, size = int(request.arg("startAt", "0")), int(request.arg("maxResults", "50"))
        with self.lock:
            projects = list(site.projects.values())
        page = projects[start:start + size]
        return Response(200, {
            "self": f"{self.url}{request.path}", "startAt": start, "maxResults": size,
            "total": len(projects), "isLast": start + size >= len(projects),
            "values": [{"id": p["id"], "key": p["key"], "name": p["name"],
                        "projectTypeKey": "software", "style": p["style"], "simplified":
                        p["style"] == "next-gen"} for p in page]})

    def issue_types(self, request: FakeRequest) -> Response:
        site = self._site(request)
        if isinstance(site, Response):
            return site
        project = self._project(site, request.params["project"])
        if project is None:
            return Response(404, {"errorMessages": ["No project could be found with key "
                                                    f"'{request.params['project']}'."]})
        types = [{k: v for k, v in t.items() if k != "fields"} for t in project["issueTypes"]]
        return Response(200, {"issueTypes": types, "maxResults": 50, "startAt": 0,
                              "total": len(types)})

    def field_meta(self, request: FakeRequest) -> Response:
        site = self._site(request)
        if isinstance(site, Response):
            return site
        project = self._project(site, request.params["project"])
        issue_type = project and self._issue_type(project, request.params["type"])
        if not issue_type:
            return Response(404, {"errorMessages": ["Issue type not found in this project."]})
        return Response(200, {"fields": issue_type["fields"], "maxResults": 200, "startAt": 0,
                              "total": len(issue_type["fields"])})

    def _validate(self, site: Site, fields: dict) -> dict[str, str]:
        """Jira's per-field errors for a create, or {}."""
        project = self._project(site, str((fields.get("project") or {}).get(
            "key") or (fields.get("project") or {}).get("id") or ""))
        if project is None:
            return {"project": "valid project is required"}
        issue_type = self._issue_type(project, str((fields.get("issuetype") or {}).get(
            "id") or (fields.get("issuetype") or {}).get("name") or ""))
        if issue_type is None:
            return {"issuetype": "Specify a valid issue type"}
        screen = {meta["fieldId"]: meta for meta in issue_type["fields"]}
        errors = {}
        for fid, meta in screen.items():
            if meta["required"] and not meta.get("hasDefaultValue") and not fields.get(fid):
                errors[fid] = f"{meta['name']} is required."
        for fid, value in fields.items():
            meta = screen.get(fid)
            if meta is None:
                errors[fid] = (f"Field '{fid}' cannot be set. It is not on the appropriate "
                               "screen, or unknown.")
            elif error := field_error(meta, value, issues=site.issues):
                errors[fid] = error
        return errors

    def _make(self, site: Site, fields: dict) -> dict:
        project = self._project(site, str(fields["project"].get("key")
                                          or fields["project"].get("id")))
        project["counter"] += 1
        key = f"{project['key']}-{project['counter']}"
        issue = {"id": str(next(self.ids)), "key": key, "fields": dict(fields),
                 "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"}
        site.issues[key] = issue
        return {"id": issue["id"], "key": key,
                "self": f"{self.url}/ex/jira/{site.cloud_id}/rest/api/3/issue/{issue['id']}"}

    def create(self, request: FakeRequest) -> Response:
        site = self._site(request)
        if isinstance(site, Response):
            return site
        fields = (request.json() or {}).get("fields") or {}
        with self.lock:
            errors = self._validate(site, fields)
            if errors:
                return Response(400, {"errorMessages": [], "errors": errors})
            return Response(201, self._make(site, fields))

    def create_bulk(self, request: FakeRequest) -> Response:
        site = self._site(request)
        if isinstance(site, Response):
            return site
        updates = (request.json() or {}).get("issueUpdates") or []
        if len(updates) > BULK_LIMIT:
            return Response(400, {"errorMessages": [f"Too many issues: at most {BULK_LIMIT} "
                                                    "can be created in one request."],
                                   "errors": {}})
        issues, failures = [], []
        with self.lock:
            for number, update in enumerate(updates):
                errors = self._validate(site, update.get("fields") or {})
                if errors:
                    failures.append({"status": 400, "failedElementNumber": number,
                                     "elementErrors": {"errorMessages": [], "errors": errors}})
                else:
                    issues.append(self._make(site, update["fields"]))
        return Response(201 if issues or not updates else 400,
                        {"issues": issues, "errors": failures})

    def update(self, request: FakeRequest) -> Response:
        site = self._site(request)
        if isinstance(site, Response):
            return site
        body = request.json() or {}
        with self.lock:
            issue = self._find(site, request.params["key"])
            if issue is None:
                return Response(404, {"errorMessages": ["Issue does not exist or you do not "
                                                        "have permission to see it."]})
            merged = {**issue["fields"], **(body.get("fields") or {})}
            for op in (body.get("update") or {}).get("labels") or []:
                if "add" in op and op["add"] not in merged.get("labels", []):
                    merged["labels"] = [*merged.get("labels", []), op["add"]]
            errors = {fid: error for fid, error in self._validate(site, merged).items()
                      if fid in (body.get("fields") or {}) or fid == "labels"}
            if errors:
                return Response(400, {"errorMessages": [], "errors": errors})
            issue["fields"] = merged
        return Response(204)

    def _find(self, site: Site, key_or_id: str) -> dict | None:
        return site.issues.get(key_or_id) or next(
            (i for i in site.issues.values() if i["id"] == key_or_id), None)

    def search(self, request: FakeRequest) -> Response:
        site = self._site(request)
        if isinstance(site, Response):
            return site
        match = re.fullmatch(r'\s*labels\s*=\s*"?([^"\s]+)"?\s*(ORDER BY created (ASC|DESC))?\s*',
                             request.arg("jql"), flags=re.IGNORECASE)
        if not match:
            return Response(400, {"errorMessages": ["Error in the JQL Query: this fake "
                                                    "understands only labels = \"x\"."]})
        wanted = [f for f in request.arg("fields", "summary").split(",") if f]
        with self.lock:
            found = [i for i in site.issues.values() if match[1] in i["fields"].get("labels", [])]
        found.sort(key=lambda i: int(i["id"]), reverse=(match[3] or "ASC").upper() == "DESC")
        limit = int(request.arg("maxResults", "50"))
        return Response(200, {"issues": [
            {"id": i["id"], "key": i["key"], "self": f"{self.url}/rest/api/3/issue/{i['id']}",
             "fields": {name: ({**i["fields"], "created": i["created"]}).get(name)
                        for name in wanted}} for i in found[:limit]], "isLast": True})

    def browse(self, request: FakeRequest) -> Response:
        site = next((s for s in self.sites.values() if s.name == request.params["site"]), None)
        with self.lock:
            issue = site and site.issues.get(request.params["key"])
        if not issue:
            return _page("Local fake of Jira", "<p>No such issue.</p>", status=404)
        return _page(f"Local fake of Jira — {issue['key']}",
                     f"<h2>{html.escape(issue['key'])}: "
                     f"{html.escape(issue['fields'].get('summary', ''))}</h2>"
                     f"<p>Labels: {html.escape(', '.join(issue['fields'].get('labels', [])))}"
                     "</p>")


def _unauthorized() -> Response:
    return Response(401, {"code": 401, "message": "Unauthorized; scope does not match"})


def _page(title: str, body: str, *, status: int = 200) -> Response:
    return Response(status, f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                    f"<meta name=\"viewport\" content=\"width=device-width\">"
                    f"<title>{html.escape(title)}</title></head><body style=\"font-family:"
                    f"sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem\">"
                    f"<h1>{html.escape(title)}</h1>{body}</body></html>",
                    {"Content-Type": "text/html; charset=utf-8"})
