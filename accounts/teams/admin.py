"""Teams in the Django admin: read-only, because every change goes through
`accounts.teams.services` (its rules — the last owner, one open invitation per address —
and its audit event); staff see who is in which team, what was sent and what happened."""

from django.contrib import admin

from accounts.teams.models import Invitation, Membership, Organization, TeamEvent
from tokens.admin import ReadOnlyAdmin, ReadOnlyInline


class MembershipInline(ReadOnlyInline):
    model = Membership
    fields = ["user", "role", "daily_limit", "monthly_limit", "joined_at"]
    readonly_fields = fields


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug", "token_account", "monthly_budget", "created_by",
                    "created_at"]
    search_fields = ["name", "slug", "created_by__email"]
    list_select_related = ["token_account", "created_by"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "organization", "role", "daily_limit", "monthly_limit",
                    "joined_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "organization__name", "organization__slug"]
    list_select_related = ["user", "organization"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["email", "organization", "role", "invited_by", "sent_at", "expires_at",
                    "accepted_at", "revoked_at"]
    list_filter = ["role", "sent_at"]
    search_fields = ["email", "organization__name"]
    list_select_related = ["organization", "invited_by"]
    exclude = ["key"]  # the secret the emailed link carries


@admin.register(TeamEvent)
class TeamEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "organization", "actor", "action", "subject"]
    list_filter = ["action", "created_at"]
    search_fields = ["organization__name", "actor__email", "subject"]
    list_select_related = ["organization", "actor"]
