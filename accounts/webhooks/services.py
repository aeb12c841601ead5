"""Every write about webhooks: a workspace's endpoint, and the events queued for it.

An endpoint belongs to one workspace: a person's own (`owner`) or a team's (`organization`,
managed by its owners and admins, each change written to the team's audit log in the same
transaction). Events become `WebhookDelivery` rows; the send task is enqueued once the row is
committed, and the sending itself (accounts/webhooks/sending.py) never runs in a transaction.

Errors: `WebhookError` (bad input; nothing written) and `PermissionDenied` (the actor may not
manage this workspace's webhook).
"""

import logging
import secrets
import time

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.teams.models import Membership, Organization, TeamEvent
from accounts.teams.roles import can_manage
from accounts.teams.services import record_webhook_change
from accounts.webhooks.addresses import WebhookError, validate_webhook_url
from accounts.webhooks.models import SUBSCRIBABLE, WebhookDelivery, WebhookEndpoint, WebhookEvent
from accounts.webhooks.selectors import get_endpoint_for_ticket

logger = logging.getLogger(__name__)

__all__ = ["WebhookError", "save_webhook_endpoint", "rotate_webhook_secret",
           "delete_webhook_endpoint", "record_ticket_event", "send_test_event",
           "resend_delivery"]


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def new_event_id() -> str:
    return "evt_" + secrets.token_urlsafe(18)


def _check_manager(*, actor, owner, organization: Organization | None) -> None:
    """Raise PermissionDenied unless `actor` may manage this workspace's webhook."""
    if (owner is None) == (organization is None):
        raise ValueError("Give exactly one of owner and organization.")
    if organization is not None:
        membership = Membership.objects.filter(organization=organization, user=actor).first()
        if membership is None or not can_manage(membership.role):
            raise PermissionDenied(_("Only the team's owners and admins manage its webhook."))
    elif actor is None or owner.pk != actor.pk:
        raise PermissionDenied(_("You can only manage your own webhook."))


def _audit(endpoint: WebhookEndpoint, actor, action: str) -> None:
    if endpoint.organization_id is not None:
        record_webhook_change(actor=actor, organization=endpoint.organization, action=action,
                              url=endpoint.url)
    else:
        logger.info("webhook %s: user %s, endpoint %s (%s)", action, endpoint.owner_id,
                    endpoint.pk, endpoint.url)


def _clean_events(events) -> list[str]:
    chosen = sorted(set(events or ()))
    if not chosen:
        raise WebhookError(_("Choose at least one event to send."))
    if not set(chosen) <= set(SUBSCRIBABLE):
        raise WebhookError(_("Choose events from the list."))
    return chosen


def _enqueue_on_commit(delivery_id: int) -> None:
    from accounts.webhooks.tasks import deliver_webhook_task

    transaction.on_commit(lambda: deliver_webhook_task.delay(delivery_id))


def save_webhook_endpoint(*, owner=None, organization: Organization | None = None, url: str,
                          events: list[str], actor, active: bool = True) -> WebhookEndpoint:
    """Set the workspace's endpoint (a person's when `owner`, a team's when `organization`):
    created with a new signing secret, or its URL, events and active flag replaced (the
    secret kept).

    Locks the existing endpoint row; one endpoint per workspace is a unique constraint, so
    two first saves at once create one (the other gets WebhookError). Audit: a team event,
    or a log line for a personal endpoint.
    """
    _check_manager(actor=actor, owner=owner, organization=organization)
    url = validate_webhook_url(url)
    events = _clean_events(events)
    workspace = ({"organization": organization} if organization is not None
                 else {"owner": owner, "organization__isnull": True})
    try:
        with transaction.atomic():
            endpoint = WebhookEndpoint.objects.select_for_update().filter(**workspace).first()
            if endpoint is None:
                endpoint = WebhookEndpoint.objects.create(
                    owner=None if organization is not None else owner,
                    organization=organization, url=url, events=events, active=active,
                    secret=new_secret(), created_by=actor)
            else:
                endpoint.url, endpoint.events, endpoint.active = url, events, active
                endpoint.save(update_fields=["url", "events", "active"])
            _audit(endpoint, actor, TeamEvent.Action.WEBHOOK_SET)
    except IntegrityError:
        raise WebhookError(_("The webhook was just set by someone else: reload the page.")) \
            from None
    return endpoint


def rotate_webhook_secret(*, endpoint: WebhookEndpoint, actor) -> WebhookEndpoint:
    """Give the endpoint a new signing secret; the old one stops working at once (attempts
    from now on, retries of earlier events included, are signed with the new one). Audited."""
    _check_manager(actor=actor, owner=endpoint.owner, organization=endpoint.organization)
    with transaction.atomic():
        endpoint.secret = new_secret()
        endpoint.secret_rotated_at = timezone.now()
        endpoint.save(update_fields=["secret", "secret_rotated_at"])
        _audit(endpoint, actor, TeamEvent.Action.WEBHOOK_ROTATED)
    return endpoint


def delete_webhook_endpoint(*, endpoint: WebhookEndpoint, actor) -> None:
    """Delete the endpoint and its deliveries (nothing more is sent; an attempt in flight
    finds no row and records nothing). Audited."""
    _check_manager(actor=actor, owner=endpoint.owner, organization=endpoint.organization)
    with transaction.atomic():
        _audit(endpoint, actor, TeamEvent.Action.WEBHOOK_DELETED)
        endpoint.delete()


def ticket_payload(ticket) -> dict:
    """What an event says about a ticket (its state when the event happened)."""
    data = {
        "id": ticket.public_id,
        "status": ticket.status,
        "title": ticket.title,
        "type": ticket.ticket_type,
        "quality": ticket.quality,
        "cost": ticket.cost,
        "url": settings.SITE_URL + reverse("tickets:detail", args=[ticket.public_id]),
    }
    if ticket.status == "failed":
        data.update(error_code=ticket.error_code, error_message=ticket.error_message)
    return {"ticket": data}


def _event(event_type: str, data: dict) -> tuple[str, dict]:
    event_id = new_event_id()
    return event_id, {"id": event_id, "type": event_type, "created": int(time.time()),
                      "data": data}


def record_ticket_event(*, ticket, event: str) -> WebhookDelivery | None:
    """Queue `event` (ticket.completed or ticket.failed) about `ticket` (as stored: the
    ticket signals send the committed row) for its workspace's endpoint, when that endpoint
    is active and subscribes to it.

    Writes one WebhookDelivery; the unique (endpoint, event type, ticket) makes a repeated
    call return the first row and queue nothing more. The send task is enqueued on commit.
    Returns the delivery, or None when nothing is subscribed.
    """
    endpoint = get_endpoint_for_ticket(ticket)
    if endpoint is None or event not in endpoint.events:
        return None
    event_id, payload = _event(event, ticket_payload(ticket))
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                endpoint=endpoint, event_id=event_id, event_type=event,
                ticket_public_id=ticket.public_id, payload=payload,
                next_attempt_at=timezone.now())
            _enqueue_on_commit(delivery.pk)
    except IntegrityError:
        return WebhookDelivery.objects.filter(endpoint=endpoint, event_type=event,
                                              ticket_public_id=ticket.public_id).first()
    return delivery


def send_test_event(*, endpoint: WebhookEndpoint, actor) -> WebhookDelivery:
    """Queue a `ping` event to the endpoint (even one paused, so it can be tried before it
    is switched on). Writes one delivery; the send task is enqueued on commit."""
    _check_manager(actor=actor, owner=endpoint.owner, organization=endpoint.organization)
    event_id, payload = _event(WebhookEvent.PING, {
        "message": "A test event from MyBA: your endpoint is reachable and the signature "
                   "checks out."})
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event_id=event_id, event_type=WebhookEvent.PING,
            payload=payload, next_attempt_at=timezone.now())
        _enqueue_on_commit(delivery.pk)
    return delivery


def resend_delivery(*, delivery: WebhookDelivery) -> bool:
    """Send the same event (same id and payload) again now: a new round of attempts.

    A conditional update from pending, succeeded or failed back to pending (attempts from 0);
    a delivery being sent right now is left alone (returns False). The send task is
    enqueued on commit. The caller checked that the person may manage its endpoint.
    """
    with transaction.atomic():
        updated = WebhookDelivery.objects.filter(
            pk=delivery.pk,
            status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.SUCCEEDED,
                        WebhookDelivery.Status.FAILED],
        ).update(status=WebhookDelivery.Status.PENDING, attempts=0,
                 next_attempt_at=timezone.now(), last_error="")
        if updated:
            _enqueue_on_commit(delivery.pk)
    return bool(updated)
