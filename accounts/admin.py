from allauth.usersessions.admin import UserSessionAdmin as BaseUserSessionAdmin
from allauth.usersessions.models import UserSession
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from tokens.admin import ReadOnlyAdmin

from .models import AnonymousVisitor, StaffAction, User, VisitorGrantQuota


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["-date_joined"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "date_joined"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = ["token_account"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Tokens", {"fields": ("token_account",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups",
                                    "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(AnonymousVisitor)
class AnonymousVisitorAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "created_at", "granted_at", "grant_denied_at", "merged_into"]
    list_filter = ["created_at", "granted_at", "merged_at"]
    search_fields = ["public_id", "merged_into__email"]
    list_select_related = ["merged_into"]


@admin.register(VisitorGrantQuota)
class VisitorGrantQuotaAdmin(ReadOnlyAdmin):
    list_display = ["day", "ip_hash", "grants"]
    list_filter = ["day"]


@admin.register(StaffAction)
class StaffActionAdmin(ReadOnlyAdmin):
    """The staff audit log: written only by accounts.services, never edited."""

    list_display = ["created_at", "actor", "action", "target", "reason"]
    list_filter = ["action", "created_at"]
    search_fields = ["actor__email", "target__email", "reason"]
    list_select_related = ["actor", "target"]
    date_hierarchy = "created_at"


admin.site.unregister(UserSession)


@admin.register(UserSession)
class UserSessionAdmin(BaseUserSessionAdmin):
    """allauth's session list, searching the email our users sign in with (it searches a
    `username` our User does not have, which was a 500)."""

    search_fields = ["=user__pk", "user__email", "ip"]


# Teams live in a package of their own; their admin registers with the app's.
from accounts.apikeys import admin as apikeys_admin  # noqa: E402, F401
from accounts.teams import admin as teams_admin  # noqa: E402, F401
from accounts.webhooks import admin as webhooks_admin  # noqa: E402, F401
