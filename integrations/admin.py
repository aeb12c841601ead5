"""Connections and pushes in the Django admin: read-only (changes go through the services,
which keep the state machine and the secrets' encryption), and never a secret."""

from django.contrib import admin

from integrations.models import Connection, Push
from tokens.admin import ReadOnlyAdmin


@admin.register(Connection)
class ConnectionAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "auth", "owner", "organization", "health", "created_at"]
    list_filter = ["kind", "health", "auth"]
    search_fields = ["label", "owner__email", "organization__name"]
    list_select_related = ["owner", "organization"]
    exclude = ["access_token", "refresh_token"]


@admin.register(Push)
class PushAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "connection", "state", "action", "attempts", "remote_key",
                    "created_at", "done_at"]
    list_filter = ["state", "action", "connection__kind"]
    search_fields = ["ticket__public_id", "remote_key"]
    list_select_related = ["ticket", "connection"]
    raw_id_fields = ["ticket", "parent"]
