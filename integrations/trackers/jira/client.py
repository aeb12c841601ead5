"""The Jira Cloud client: REST API v3 through Atlassian's gateway
(`{ATLASSIAN_API_URL}/ex/jira/{cloud id}/rest/api/3/...`) with a 3LO access token.

The connection's `account_ref` is the site's cloud id, `base_url` the site (for browse
links), `target` the project and issue type with the field mapping (see mapping.py).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from integrations.models import marker_for
from integrations.trackers.base import (
    Destination,
    Draft,
    Grant,
    PreviewRow,
    Remote,
    Tracker,
    TrackerError,
    call,
    raise_for,
    timeout,
)
from integrations.trackers.jira import adf, oauth
from integrations.trackers.jira.mapping import map_fields
from tickets.kinds import get_kind

# Jira refuses labels with spaces, and summaries longer than 255 characters.
SUMMARY_MAX = 255
# Issues made a little before `since` by a clock ahead of ours still count as ours.
CLOCK_SKEW = timedelta(minutes=5)


class JiraTracker(Tracker):
    kind = "jira"
    bulk_size = 50

    def __init__(self, connection, *, token: str, session: requests.Session | None = None):
        super().__init__(connection, token=token, session=session)
        self.session.headers.update({"Authorization": f"Bearer {token}",
                                     "Accept": "application/json"})

    # -- HTTP -----------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return (f"{settings.ATLASSIAN_API_URL}/ex/jira/{self.connection.account_ref}"
                f"/rest/api/3/{path}")

    def _request(self, method: str, path: str, *, what: str, bulk: bool = False,
                 **kwargs) -> requests.Response:
        """One call; a 400 becomes "invalid" with Jira's field messages. With `bulk`, a 400
        carrying per-element errors is returned for create_many to sort out."""
        try:
            response = self.session.request(method, self._url(path), timeout=timeout(),
                                            **kwargs)
        except requests.Timeout:
            raise TrackerError("retry", f"No answer from Jira while {what}.") from None
        except requests.RequestException as exc:
            raise TrackerError("retry", f"Could not reach Jira while {what} "
                               f"({type(exc).__name__}).") from None
        if response.status_code == 400:
            body = _json(response)
            if bulk and isinstance(body.get("errors"), list) and body["errors"]:
                return response
            raise TrackerError("invalid", f"Jira refused {what}: {self._messages(body)}",
                               status=400)
        raise_for(response, what=what)
        return response

    def _messages(self, body: dict) -> str:
        """Jira's `errorMessages` and per-field `errors`, fields named as the user knows them."""
        names = self._field_names()
        parts = list(body.get("errorMessages") or [])
        errors = body.get("errors") or {}
        if isinstance(errors, dict):
            parts += [f"{names.get(field, field)}: {message}" for field, message in errors.items()]
        return "; ".join(str(part) for part in parts)[:250] or "no reason given."

    def _field_names(self) -> dict[str, str]:
        """Jira's field ids → the names on the user's screen (customfield_10016 → Story
        Points), for error messages."""
        fields = self.connection.target.get("fields") or {}
        return {value["id"]: value["name"] for value in fields.values()
                if isinstance(value, dict) and value.get("id") and value.get("name")}

    def _remote(self, issue: dict) -> Remote:
        return Remote(id=str(issue["id"]), key=issue["key"],
                      url=f"{self.connection.base_url.rstrip('/')}/browse/{issue['key']}")

    # -- set-up ---------------------------------------------------------------------------
    def destinations(self) -> list[Destination]:
        """Every project the user can see × its issue types (sub-task types left out: they
        need a parent), each target complete with its field mapping (mapping.py) and the
        project's Epic type with its own (`target["epic"]`), so epics are created as epics
        and their stories as its children. Reads each issue type's create metadata once."""
        found = []
        start = 0
        while True:
            page = call(self.session, "GET", self._url("project/search"),
                        what="listing your Jira projects",
                        params={"startAt": start, "maxResults": 50}).json()
            projects = page.get("values") or []
            for project in projects:
                found += self._project_destinations(project)
            start += len(projects)
            if page.get("isLast", True) or not projects:
                return found

    def _project_destinations(self, project: dict) -> list[Destination]:
        key = project["key"]
        all_types = self._issue_types(key)
        types = [t for t in all_types if not t.get("subtask")]
        subtask = next((t for t in all_types if t.get("subtask")), None)
        mappings = {str(t["id"]): map_fields(self._field_meta(key, t["id"]))
                    for t in [*types, *([subtask] if subtask else [])]}
        epic = _epic_type(types)
        found = []
        # The type most tickets are first (it is preselected), the Epic type last: epics go
        # to it anyway, and a story sent as an epic is rarely what anyone meant.
        types.sort(key=lambda t: (t is epic, TYPE_ORDER.get(t["name"].lower(), len(TYPE_ORDER))))
        for issue_type in types:
            type_id = str(issue_type["id"])
            target = {"project_key": key, "project_id": str(project["id"]),
                      "issue_type_id": type_id, "issue_type": issue_type["name"],
                      "fields": mappings[type_id]}
            # Other types for tickets of other levels: an epic as an epic, a story's tasks
            # as its sub-tasks.
            for role, other in (("epic", epic), ("subtask", subtask)):
                if other and str(other["id"]) != type_id:
                    target[role] = {"issue_type_id": str(other["id"]),
                                    "issue_type": other["name"],
                                    "fields": mappings[str(other["id"])]}
            found.append(Destination(target=target, label=f"{key} · {issue_type['name']} on "
                                                          f"{self._site_name()}"))
        return found

    def _site_name(self) -> str:
        host = self.connection.base_url.split("//", 1)[-1]
        return host.removesuffix(".atlassian.net").split("/")[-1] or host

    def _issue_types(self, project: str) -> list[dict]:
        page = call(self.session, "GET", self._url(f"issue/createmeta/{project}/issuetypes"),
                    what=f"listing the issue types of {project}",
                    params={"maxResults": 100}).json()
        return page.get("issueTypes") or page.get("createMetaIssueType") or page.get(
            "values") or []

    def _field_meta(self, project: str, issue_type_id: str) -> dict:
        return call(self.session, "GET",
                    self._url(f"issue/createmeta/{project}/issuetypes/{issue_type_id}"),
                    what=f"reading the fields of {project}",
                    params={"maxResults": 200}).json()

    def prepare_target(self, target: dict) -> dict:
        """`target` (project and issue type) completed as `destinations()` completes it, read
        from Jira now: for a target stored without its mapping."""
        for destination in self._project_destinations(
                {"key": target["project_key"], "id": target.get("project_id", "")}):
            if destination.target["issue_type_id"] == str(target["issue_type_id"]):
                return {**destination.target, "project_id": target.get(
                    "project_id") or destination.target["project_id"]}
        raise TrackerError("missing", f"Issue type {target.get('issue_type', '')} is no "
                           f"longer in {target['project_key']}: choose another destination.")

    def refresh(self) -> Grant:
        """A new access token and the new refresh token (the old one is dead from now on)."""
        # A session of its own: the auth server gets no (expired) API bearer token.
        return oauth.refresh_grant(requests.Session(),
                                   refresh_token=self.connection.refresh_token)

    # -- issues ---------------------------------------------------------------------------
    def _target(self) -> dict:
        target = self.connection.target
        if "fields" not in target:
            target = self.connection.target = self.prepare_target(target)
        return target

    def draft(self, ticket, *, parent: Remote | None = None) -> Draft:
        """The `fields` of the create request, and a preview row for each of our fields (and
        one for each field Jira requires that we cannot fill: such a draft is refused by
        `create`/`create_many` before anything is sent)."""
        target = self._target()
        issue_type = {"id": target["issue_type_id"], "name": target.get("issue_type", "")}
        mapping = target.get("fields") or {}
        role = ""
        if get_kind(ticket.ticket_type).epic:
            role = "epic"
        elif parent is not None and ticket.parent is not None and not get_kind(
                ticket.parent.ticket_type).epic:
            role = "subtask"  # Jira nests under a story only as a sub-task
        if target.get(role):
            issue_type = {"id": target[role]["issue_type_id"],
                          "name": target[role]["issue_type"]}
            mapping = target[role]["fields"]
        return _build(ticket, mapping=mapping, project=target, issue_type=issue_type,
                      parent=parent, nest=role != "subtask" or bool(target.get(role)))

    def find(self, marker: str, *, since: datetime) -> Remote | None:
        response = call(self.session, "GET", self._url("search/jql"),
                        what="looking for the issue",
                        params={"jql": f'labels = "{marker}" ORDER BY created DESC',
                                "fields": "summary,created", "maxResults": 10})
        for issue in response.json().get("issues") or []:
            created = _parse_time((issue.get("fields") or {}).get("created"))
            if created is None or created >= since - CLOCK_SKEW:
                return self._remote(issue)
        return None

    def create(self, draft: Draft) -> Remote:
        _refuse_blocked(draft)
        response = self._request("POST", "issue", what="creating the issue", json=draft.payload)
        return self._remote(response.json())

    def create_many(self, drafts: list[Draft]) -> list[Remote | TrackerError]:
        """Bulk create, 50 per call, one result per draft in order. A refused element is an
        "invalid" error for its draft only; a failed call (timeout, 429, 5xx) fails its whole
        chunk and, when it is not the draft's fault, the chunks after it without calling."""
        results: list[Remote | TrackerError] = []
        stop: TrackerError | None = None
        for start in range(0, len(drafts), self.bulk_size):
            chunk = drafts[start:start + self.bulk_size]
            if stop is not None:
                results += [stop] * len(chunk)
                continue
            try:
                results += self._create_unblocked(chunk)
            except TrackerError as error:
                results += [error] * len(chunk)
                if error.kind in ("retry", "auth"):
                    stop = error
        return results

    def _create_unblocked(self, chunk: list[Draft]) -> list[Remote | TrackerError]:
        """The chunk's drafts that Jira would refuse for a field we cannot fill fail without
        being sent; the rest go in one bulk call."""
        results: list[Remote | TrackerError | None] = [None] * len(chunk)
        sendable = []
        for index, draft in enumerate(chunk):
            try:
                _refuse_blocked(draft)
                sendable.append(index)
            except TrackerError as error:
                results[index] = error
        if sendable:
            created = iter(self._create_chunk([chunk[index] for index in sendable]))
            for index in sendable:
                results[index] = next(created)
        return results

    def _create_chunk(self, chunk: list[Draft]) -> list[Remote | TrackerError]:
        response = self._request("POST", "issue/bulk", what="creating the issues", bulk=True,
                                 json={"issueUpdates": [draft.payload for draft in chunk]})
        body = _json(response)
        failed = {}
        for error in body.get("errors") or []:
            number = error.get("failedElementNumber")
            if isinstance(number, int) and 0 <= number < len(chunk):
                failed[number] = TrackerError(
                    "invalid", "Jira refused this issue: "
                    + self._messages(error.get("elementErrors") or {}),
                    status=error.get("status") or 400)
        created = iter(body.get("issues") or [])
        results: list[Remote | TrackerError] = []
        for index in range(len(chunk)):
            if index in failed:
                results.append(failed[index])
                continue
            issue = next(created, None)
            results.append(self._remote(issue) if issue else TrackerError(
                "retry", "Jira's bulk answer did not list this issue; it is looked for "
                "before trying again."))
        return results

    def update(self, remote: Remote, draft: Draft) -> Remote:
        """Edit the issue: project and type stay; our labels are added to the team's."""
        fields = {key: value for key, value in draft.payload["fields"].items()
                  if key not in ("project", "issuetype", "labels")}
        body = {"fields": fields,
                "update": {"labels": [{"add": label}
                                      for label in draft.payload["fields"].get("labels", [])]}}
        self._request("PUT", f"issue/{remote.key or remote.id}", what="updating the issue",
                      json=body)
        return remote


@dataclass(frozen=True)
class JiraDraft(Draft):
    """A draft, and the fields Jira requires on its issue type that we cannot fill."""

    blocking: tuple[str, ...] = ()


def _refuse_blocked(draft: Draft) -> None:
    blocking = getattr(draft, "blocking", ())
    if blocking:
        raise TrackerError(
            "invalid", f"Jira requires {', '.join(blocking)} on this issue type and MyBA cannot "
            "fill it: make it optional (or give it a default) in Jira's field configuration, "
            "or connect another issue type. Nothing was sent.")


def _epic_type(types: list[dict]) -> dict | None:
    """The project's epic type: named Epic, or the one a level above stories."""
    return next((t for t in types if t.get("name", "").lower() == "epic"), None) or next(
        (t for t in types if t.get("hierarchyLevel") == 1), None)


def _json(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _parse_time(value) -> datetime | None:
    """Jira's `2026-12-04T08:30:00.000+0000`."""
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return None


def label_of(value: str) -> str:
    """A Jira label: no spaces (Jira refuses them), at most 255 characters."""
    return "-".join(value.split())[:255]


TYPE_ORDER = {"story": 0, "task": 1, "bug": 2}


def _build(ticket, *, mapping: dict, project: dict, issue_type: dict,
           parent: Remote | None, nest: bool) -> Draft:
    """The create body and the preview rows for `ticket` on this mapping (under `parent`
    when `nest`: the issue type can be its child)."""
    marker = marker_for(ticket.public_id)
    title = " ".join(ticket.title.split())[:SUMMARY_MAX] or f"MyBA ticket {ticket.public_id}"
    fields: dict = {"project": {"key": project["project_key"]},
                    "issuetype": {"id": issue_type["id"]}, "summary": title}
    rows = [PreviewRow(_("Title"), _("Summary"), title),
            PreviewRow(_("Type"), _("Issue type"), _("%(type)s in %(project)s") % {
                "type": issue_type["name"], "project": project["project_key"]})]

    criteria_field = mapping.get("acceptance_criteria")
    points_field = mapping.get("story_points")
    criteria = ticket.acceptance_criteria or []
    fields["description"] = adf.description_doc(
        ticket, criteria=not criteria_field, estimate=not points_field)
    rows.append(PreviewRow(_("Summary, user story and details"), _("Description"),
                           adf.plain_text(fields["description"]), note=_("as rich text")))

    if criteria and criteria_field:
        fields[criteria_field["id"]] = (adf.criteria_doc(criteria)
                                        if criteria_field["format"] == "adf"
                                        else adf.criteria_text(criteria)[:255])
        rows.append(PreviewRow(_("Acceptance criteria"), criteria_field["name"],
                               adf.criteria_text(criteria, separator="\n")))
    elif criteria:
        rows.append(PreviewRow(_("Acceptance criteria"), _("Description"),
                               adf.criteria_text(criteria, separator="\n"),
                               note=_("this issue type has no acceptance criteria field: they go "
                                    "in the description under a heading")))

    if ticket.story_points and points_field:
        fields[points_field["id"]] = ticket.story_points
        rows.append(PreviewRow(_("Story points"), points_field["name"], str(ticket.story_points)))
    elif ticket.story_points:
        rows.append(PreviewRow(_("Story points"), _("Description"), str(ticket.story_points),
                               note=_("no story points field on this issue type: written in the "
                                    "description")))

    priority = mapping.get("priority")
    if ticket.priority and priority and priority["names"].get(ticket.priority):
        fields[priority["id"]] = {"name": priority["names"][ticket.priority]}
        rows.append(PreviewRow(_("Priority"), _("Priority"), priority["names"][ticket.priority]))
    elif ticket.priority:
        rows.append(PreviewRow(_("Priority"), "", ticket.get_priority_display(),
                               note=_("priority is not on this issue type's create screen")))

    labels = [marker] + [label for label in dict.fromkeys(label_of(x) for x in ticket.labels)
                         if label and label != marker]
    if mapping.get("labels"):
        fields["labels"] = labels
        rows.append(PreviewRow(_("Labels"), _("Labels"), ", ".join(labels),
                               note=_("%(marker)s finds the issue again; keep it")
                               % {"marker": marker}))
    else:
        rows.append(PreviewRow(_("Labels"), "", ", ".join(labels),
                               note=_("labels are not on this issue type's create screen, so a "
                                    "retry cannot find an issue made before a timeout")))

    if parent is not None and nest and mapping.get("parent"):
        fields["parent"] = {"key": parent.key}
        rows.append(PreviewRow(_("Parent"), _("Parent"), parent.key))
    elif parent is not None:
        rows.append(PreviewRow(_("Parent"), "", parent.key,
                               note=_("this issue type cannot have a parent here")))
    blocking = tuple(field["name"] for field in mapping.get("blocking", []))
    rows += [PreviewRow(_("Required by Jira"), name, _("MyBA cannot fill it"),
                        note=_("Jira requires this field and MyBA has nothing to put in it: "
                             "sending is refused until it is optional or has a default in "
                             "Jira, or you connect another issue type."))
             for name in blocking]
    return JiraDraft(marker=marker, payload={"fields": fields}, rows=rows, blocking=blocking)
