"""Reads about connections and pushes: whose they are, what a ticket was sent to.

A connection belongs to a workspace: a person's own, or a team's. A team's connections are
set up and removed by its owners and admins; every member who may generate may push with
them. A ticket is pushed with the connections of the workspace it belongs to (a team ticket
with the team's, a personal ticket with its owner's). Anything else is invisible (404).
"""

import hashlib
import json

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.teams.models import Membership, Organization
from accounts.teams.roles import can_generate
from accounts.teams.selectors import get_workspace
from config.shared_tables import SharedRows
from integrations.models import Connection, Push
from tickets.models import Status


def workspace_for(request: HttpRequest, *, manage: bool) -> dict:
    """The current workspace as `owner=` / `organization=` keywords. With `manage`, a team
    member who is not an owner or admin is refused (PermissionDenied)."""
    workspace = get_workspace(request)
    if workspace.is_team:
        if manage and not workspace.can_manage:
            raise PermissionDenied(
                _("Only the team's owners and admins manage its connections."))
        return {"organization": workspace.organization}
    return {"owner": request.user}


def list_connections(*, owner=None, organization=None) -> QuerySet[Connection]:
    """A workspace's connections (a team's, else `owner`'s personal ones)."""
    if organization is not None:
        return Connection.objects.filter(organization=organization)
    return Connection.objects.filter(owner=owner, organization__isnull=True)


def list_push_targets(*, owner=None, organization=None) -> list[Connection]:
    """A workspace's working connections, only what a "Send to" button shows (no credentials
    decrypted on a page that sends nothing). Every library page asks, and they change
    rarely: kept in each process until a connection changes (`PUSH_TARGETS`)."""
    return PUSH_TARGETS.get(("team", organization.pk) if organization is not None
                            else ("user", owner.pk))


def _read_push_targets(workspace: tuple[str, int]) -> list[Connection]:
    kind, pk = workspace
    connections = (list_connections(organization=Organization(pk=pk)) if kind == "team"
                   else list_connections(owner=User(pk=pk)))
    return list(connections.filter(health=Connection.Health.OK).only("pk", "kind", "label"))


# Renewed when a connection is saved or deleted (integrations/apps.py) or marked broken (a
# plain update: integrations/services/connections.py).
PUSH_TARGETS = SharedRows("push-targets", _read_push_targets)


def get_connection_for(request: HttpRequest, pk: int, *, manage: bool = True) -> Connection:
    """A connection of the current workspace by id (404 for any other)."""
    connection = list_connections(**workspace_for(request, manage=manage)).filter(pk=pk).first()
    if connection is None:
        raise Http404("No such connection.")
    return connection


def connections_for_ticket(ticket) -> QuerySet[Connection]:
    """The connections a ticket can be pushed with: its team's, or its owner's own."""
    if ticket.organization_id is not None:
        return Connection.objects.filter(organization_id=ticket.organization_id)
    if ticket.owner_id is not None:
        return Connection.objects.filter(owner_id=ticket.owner_id, organization__isnull=True)
    return Connection.objects.none()


def may_push(user, ticket) -> bool:
    """Whether `user` may push `ticket`: their own personal ticket, or a ticket of a team
    where their role may generate (viewers read only)."""
    if not user.is_authenticated:
        return False
    if ticket.organization_id is None:
        return ticket.owner_id == user.pk
    role = (Membership.objects.filter(user_id=user.pk, organization_id=ticket.organization_id)
            .values_list("role", flat=True).first())
    return role is not None and can_generate(role)


def pushes_of(ticket) -> QuerySet[Push]:
    """A ticket's pushes with their connections, newest first."""
    return ticket.pushes.select_related("connection").order_by("-created_at", "-id")


def get_push_for(request: HttpRequest, pk: int) -> Push:
    """A push of a ticket the signed-in user may push (404 otherwise)."""
    push = Push.objects.select_related("ticket", "connection").filter(pk=pk).first()
    if push is None or not may_push(request.user, push.ticket):
        raise Http404("No such push.")
    return push


def ticket_digest(ticket) -> str:
    """What the ticket says now, as a digest: differs from `sent_digest` once edited."""
    content = json.dumps(ticket.content(), sort_keys=True, default=str)
    return hashlib.sha256(content.encode()).hexdigest()


def ticket_push_summary(user, ticket) -> dict:
    """What the ticket page's "Send to a tracker" card shows."""
    pushes = list(pushes_of(ticket))
    pushed = {p.connection_id for p in pushes}
    for push in pushes:
        push.edited = (push.state == Push.State.DONE
                       and push.sent_digest != ticket_digest(ticket))
    return {
        "pushes": pushes,
        "unpushed": [c for c in connections_for_ticket(ticket) if c.pk not in pushed],
        "polling": any(p.state in (Push.State.PENDING, Push.State.SENDING) for p in pushes),
        "may_push": may_push(user, ticket) and ticket.status == Status.SUCCEEDED,
    }
