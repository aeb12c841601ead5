"""Staff see every API key (never a secret: only hashes exist) and revoke any, audited."""

from django.contrib import admin, messages

from accounts.apikeys.models import ApiKey, ApiKeyEvent
from accounts.apikeys.services import revoke_api_key
from accounts.network import get_client_ip
from tokens.admin import ReadOnlyAdmin, ReadOnlyInline


class ApiKeyEventInline(ReadOnlyInline):
    model = ApiKeyEvent
    fields = ["created_at", "actor", "action", "details"]
    readonly_fields = fields


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ["name", "prefix", "owner", "organization", "created_at", "last_used_at",
                    "expires_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["=prefix", "name", "owner__email", "organization__name"]
    exclude = ["secret_hash"]
    inlines = [ApiKeyEventInline]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected keys (they stop working at once)")
    def revoke(self, request, queryset):
        revoked = sum(revoke_api_key(key=key, actor=request.user, by_staff=True,
                                     ip=get_client_ip(request))
                      for key in queryset.filter(revoked_at__isnull=True))
        self.message_user(request, f"Revoked {revoked} key{'s' if revoked != 1 else ''}.",
                          messages.SUCCESS)


@admin.register(ApiKeyEvent)
class ApiKeyEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "key", "actor", "action"]
    list_filter = ["action"]
    search_fields = ["=key__prefix", "key__name", "actor__email"]
