"""Webhooks in the Django admin: read-only (changes go through accounts.webhooks.services, with
their URL rules and audit), and never the signing secret."""

from django.contrib import admin

from accounts.webhooks.models import WebhookDelivery, WebhookEndpoint
from tokens.admin import ReadOnlyAdmin


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["url", "owner", "organization", "events", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "owner__email", "organization__name"]
    list_select_related = ["owner", "organization"]
    exclude = ["secret"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "event_type", "ticket_public_id", "endpoint", "status",
                    "attempts", "last_status_code", "created_at"]
    list_filter = ["status", "event_type"]
    search_fields = ["event_id", "ticket_public_id", "endpoint__url"]
    list_select_related = ["endpoint"]
