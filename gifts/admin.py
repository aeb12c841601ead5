from django.contrib import admin

from gifts.models import Gift
from tokens.admin import ReadOnlyAdmin


@admin.register(Gift)
class GiftAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "sender", "recipient_email", "tokens", "status",
                    "delivered_at", "returned_at")
    list_filter = ("status",)
    search_fields = ("sender__email", "recipient_email")
    list_select_related = ("sender",)
    date_hierarchy = "created_at"
