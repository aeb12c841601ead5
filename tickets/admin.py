from django.contrib import admin
from django.db import transaction

from tickets.models import (
    CONTENT_FIELDS,
    GenerationAttempt,
    Split,
    SplitSlot,
    Status,
    Ticket,
    TicketImprovement,
    TicketVersion,
    VersionSource,
)
from tickets.services.scoring import score_ticket
from tickets.services.versions import record_version


class ReadOnlyInline(admin.TabularInline):
    """A record staff read beside its parent and never add, change or delete here (each
    subclass sets `readonly_fields = fields`)."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class AttemptInline(ReadOnlyInline):
    model = GenerationAttempt
    fields = ["created_at", "provider", "model_name", "prompt_version", "outcome", "error_code",
              "http_status", "latency_ms", "prompt_tokens", "completion_tokens", "cost"]
    readonly_fields = fields


class VersionInline(ReadOnlyInline):
    model = TicketVersion
    fields = ["number", "source", "quality_score", "note", "created_at"]
    readonly_fields = fields


class ImprovementInline(ReadOnlyInline):
    model = TicketImprovement
    fk_name = "ticket"
    fields = ["created_at", "status", "cost", "hold", "base_version", "score_before",
              "score_after", "fields", "error_code", "finished_at"]
    readonly_fields = fields


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["public_id", "title", "ticket_type", "quality", "status", "owner",
                    "generator", "quality_score", "rating", "created_at"]
    list_filter = ["status", "ticket_type", "quality", "generator", "rating"]
    search_fields = ["=public_id", "title", "description", "owner__email"]
    date_hierarchy = "created_at"
    list_select_related = ["owner"]
    # Money and state move only through the services (hold, status); staff may read them.
    readonly_fields = ["public_id", "owner", "visitor", "token_account", "hold", "cost", "nonce",
                       "status", "run_token", "started_at", "finished_at", "error_code",
                       "error_message", "generator", "model_name", "prompt_version",
                       "regenerated_from", "quality_score", "quality_report", "created_at",
                       "updated_at", "rated_at", "parent", "position", "depends_on"]
    inlines = [VersionInline, ImprovementInline, AttemptInline]

    def save_model(self, request, obj, form, change):
        # A staff edit changes content like the user's editor does: its score follows it, and
        # it is a version in the ticket's history.
        edited = (change and obj.status == Status.SUCCEEDED
                  and bool(set(form.changed_data) & set(CONTENT_FIELDS)))
        if obj.status == Status.SUCCEEDED:
            score_ticket(ticket=obj)
        with transaction.atomic():
            if edited:
                obj.version += 1
            super().save_model(request, obj, form, change)
            if edited:
                record_version(ticket=obj, source=VersionSource.EDITED, note="Edited by staff")

    def has_add_permission(self, request):
        return False


@admin.register(GenerationAttempt)
class GenerationAttemptAdmin(admin.ModelAdmin):
    list_display = ["created_at", "provider", "model_name", "prompt_version", "quality",
                    "outcome", "error_code", "latency_ms", "prompt_tokens", "completion_tokens",
                    "cost", "ticket"]
    list_filter = ["provider", "model_name", "prompt_version", "outcome", "error_code",
                   "quality"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SplitSlotInline(ReadOnlyInline):
    model = SplitSlot
    fields = ["position", "hold", "child"]
    readonly_fields = fields


@admin.register(Split)
class SplitAdmin(admin.ModelAdmin):
    """Epics split into stories and stories into sub-tasks: read-only (each slot's hold
    settles through the services)."""

    list_display = ["parent", "child_type", "max_children", "status", "planner", "created_at",
                    "planned_at"]
    list_filter = ["status", "child_type", "planner"]
    search_fields = ["=parent__public_id", "parent__title"]
    list_select_related = ["parent"]
    readonly_fields = ["parent", "child_type", "max_children", "status", "plan", "planner",
                       "dispatched_at", "created_at", "planned_at", "error_code"]
    inlines = [SplitSlotInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Prompt versions and experiments have their own module.
from tickets import admin_prompts  # noqa: E402, F401
