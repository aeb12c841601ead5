"""Writes about connections: create (or reconnect), choose the destination, break, delete."""

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from integrations.models import Connection
from integrations.selectors import PUSH_TARGETS

Health = Connection.Health


@transaction.atomic
def create_connection(*, owner=None, organization=None, created_by, kind: str, auth: str,
                      base_url: str, account_ref: str = "", access_token: str = "",
                      refresh_token: str = "", expires_at: datetime | None = None,
                      reconnect: Connection | None = None) -> Connection:
    """A new connection of a workspace (a team's when `organization`, else `owner`'s), waiting
    for its destination — or, with `reconnect` (a connection of the same workspace and kind),
    that connection with fresh credentials, working again when it has a destination (its
    pushes keep pointing at it, so an edited ticket still updates its issue).

    Writes one Connection row (secrets encrypted). Guarantees: exactly one workspace."""
    if reconnect is not None:
        same_workspace = (reconnect.organization_id == getattr(organization, "pk", None)
                          and (organization is not None or reconnect.owner_id == owner.pk))
        if not same_workspace or reconnect.kind != kind:
            raise ValueError("A connection is reconnected from its own workspace and kind.")
        connection = Connection.objects.select_for_update().get(pk=reconnect.pk)
        connection.auth, connection.base_url = auth, base_url
        connection.account_ref = account_ref or connection.account_ref
        connection.access_token, connection.refresh_token = access_token, refresh_token
        connection.expires_at, connection.refreshing_until = expires_at, None
        connection.health = Health.OK if connection.target else Health.NEEDS_TARGET
        connection.problem = ""
        connection.save()
        return connection
    return Connection.objects.create(
        owner=None if organization is not None else owner, organization=organization,
        created_by=created_by, kind=kind, auth=auth, base_url=base_url,
        account_ref=account_ref, access_token=access_token, refresh_token=refresh_token,
        expires_at=expires_at, health=Health.NEEDS_TARGET)


@transaction.atomic
def choose_target(*, connection: Connection, target: dict, label: str) -> Connection:
    """Where the connection's issues go. Chosen once: a connection that has pushed keeps its
    destination (another destination is another connection), so every push record keeps
    naming the place its issue is.

    Writes the connection (locked) and marks it working. Raises ValueError once it pushed."""
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    if connection.target and connection.pushes.exists():
        raise ValueError(_("This connection has sent tickets: add another connection for "
                           "another destination."))
    connection.target, connection.label = target, label[:200]
    if connection.health == Health.NEEDS_TARGET:
        connection.health = Health.OK
    connection.save(update_fields=["target", "label", "health", "updated_at"])
    return connection


def mark_broken(*, connection: Connection, problem: str) -> None:
    """The connection stopped working (credentials revoked, destination gone): record why and
    how to fix it, shown on the Connections page and to anyone pushing with it."""
    Connection.objects.filter(pk=connection.pk).update(health=Health.BROKEN,
                                                       problem=problem[:300])
    PUSH_TARGETS.renew()  # a plain update sends no signal


def delete_connection(*, connection: Connection) -> None:
    """Remove the connection and its push records (the issues it made stay in the tracker)."""
    connection.delete()
