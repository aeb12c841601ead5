"""A valid access token for a connection, refreshed once however many pushes need it.

OAuth access tokens (GitLab, Jira) and GitHub App installation tokens expire; Jira's and
GitLab's refresh tokens rotate, so two workers refreshing at once would have one of them use a
refresh token the other just spent — and the tracker then revokes the grant. So one worker
claims the refresh by a conditional update (`refreshing_until`), calls the tracker outside any
transaction, and stores the new pair; the others wait for it and read the new token.
"""

import time
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from integrations.models import Connection
from integrations.services.connections import mark_broken
from integrations.trackers import TrackerError, tracker_class

# How long a refresh may take before another worker may try (a refresh is one HTTP call).
CLAIM_SECONDS = 30
WAIT_STEP = 0.05


def _fresh(connection: Connection) -> bool:
    if not connection.access_token:
        return False
    if connection.expires_at is None:
        return True
    margin = timedelta(seconds=settings.INTEGRATIONS_REFRESH_MARGIN_SECONDS)
    return connection.expires_at - margin > timezone.now()


def access_token_for(connection: Connection) -> str:
    """A token valid for at least the refresh margin.

    Writes (only when a refresh was due): the claim, then the new access token, refresh token
    and expiry — or the connection marked broken when the tracker refused the refresh.
    Raises TrackerError: "auth" when the connection is broken, "retry" when the refresh could
    not reach the tracker (or another worker's refresh did not finish in time)."""
    deadline = time.monotonic() + CLAIM_SECONDS + 5
    while True:
        current = Connection.objects.get(pk=connection.pk)
        if current.health == Connection.Health.BROKEN:
            raise TrackerError("auth", current.problem or "This connection needs attention.")
        if _fresh(current):
            return current.access_token
        now = timezone.now()
        # Only while the token is still the stale one read above: a worker that read it just
        # before another finished refreshing must not refresh again with a spent token.
        claimed = Connection.objects.filter(
            Q(refreshing_until__isnull=True) | Q(refreshing_until__lt=now), pk=current.pk,
            expires_at=current.expires_at, updated_at=current.updated_at,
        ).update(refreshing_until=now + timedelta(seconds=CLAIM_SECONDS))
        if claimed:
            return _refresh(current)
        if time.monotonic() > deadline:
            raise TrackerError("retry", "The connection's token is being renewed; trying again.")
        time.sleep(WAIT_STEP)


def _refresh(connection: Connection) -> str:
    try:
        grant = tracker_class(connection.kind)(connection, token=connection.access_token).refresh()
    except TrackerError as error:
        Connection.objects.filter(pk=connection.pk).update(refreshing_until=None)
        if error.kind != "auth":
            raise
        problem = (f"{connection.get_kind_display()} refused to renew this connection's "
                   "access (it was revoked, or the app was removed). Reconnect it.")
        mark_broken(connection=connection, problem=problem)
        raise TrackerError("auth", problem) from error
    connection.access_token = grant.access_token
    connection.refresh_token = grant.refresh_token or connection.refresh_token
    connection.expires_at = grant.expires_at
    connection.refreshing_until = None
    connection.save(update_fields=["access_token", "refresh_token", "expires_at",
                                   "refreshing_until", "updated_at"])
    return grant.access_token
