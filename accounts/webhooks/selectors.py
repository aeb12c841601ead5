"""Reads about webhooks: a workspace's endpoint, its deliveries, the endpoint of a ticket."""

from django.db.models import QuerySet

from accounts.webhooks.models import WebhookDelivery, WebhookEndpoint
from config.shared_tables import SharedRows


def get_endpoint(*, owner=None, organization=None) -> WebhookEndpoint | None:
    """The endpoint of a team (`organization`), else of `owner`'s personal workspace."""
    if organization is not None:
        return WebhookEndpoint.objects.filter(organization=organization).first()
    return WebhookEndpoint.objects.filter(owner=owner, organization__isnull=True).first()


def get_endpoint_for_ticket(ticket) -> WebhookEndpoint | None:
    """The active endpoint of the workspace a ticket belongs to: its team's, or its owner's
    for a personal ticket; None for a visitor's ticket or when none is set or active. Every
    finished ticket asks, and few workspaces have one: kept in each process until an
    endpoint changes (`ACTIVE_ENDPOINTS`)."""
    if ticket.organization_id is not None:
        return ACTIVE_ENDPOINTS.get(("team", ticket.organization_id))
    if ticket.owner_id is not None:
        return ACTIVE_ENDPOINTS.get(("user", ticket.owner_id))
    return None


def _read_active_endpoint(workspace: tuple[str, int]) -> WebhookEndpoint | None:
    kind, pk = workspace
    endpoints = WebhookEndpoint.objects.filter(active=True)
    if kind == "team":
        return endpoints.filter(organization_id=pk).first()
    return endpoints.filter(owner_id=pk, organization__isnull=True).first()


# Renewed when an endpoint is saved or deleted (accounts/apps.py): every write is a save.
ACTIVE_ENDPOINTS = SharedRows("webhook-endpoints", _read_active_endpoint)


def list_deliveries(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's deliveries, newest first."""
    return endpoint.deliveries.order_by("-created_at", "-id")


def get_delivery(endpoint: WebhookEndpoint, event_id: str) -> WebhookDelivery | None:
    """One of the endpoint's deliveries by its event id (None: not this endpoint's)."""
    return endpoint.deliveries.filter(event_id=event_id).first()
