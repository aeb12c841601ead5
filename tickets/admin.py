from django.contrib import admin

from tickets.models import GenerationAttempt, Status, Ticket
from tickets.services.scoring import score_ticket


class AttemptInline(admin.TabularInline):
    model = GenerationAttempt
    extra = 0
    can_delete = False
    fields = ["created_at", "provider", "model_name", "prompt_version", "outcome", "error_code",
              "http_status", "latency_ms", "prompt_tokens", "completion_tokens", "cost"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


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
                       "updated_at", "rated_at"]
    inlines = [AttemptInline]

    def save_model(self, request, obj, form, change):
        # A staff edit changes content like the user's editor does: its score follows it.
        if obj.status == Status.SUCCEEDED:
            score_ticket(ticket=obj)
        super().save_model(request, obj, form, change)

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
