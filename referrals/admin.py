from django.contrib import admin

from referrals.models import Referral
from tokens.admin import ReadOnlyAdmin


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    """Read-only: held referrals are decided on the dashboard's Growth page (audit-logged)."""

    list_display = ("created_at", "referrer", "referee", "status", "reason", "rewarded_at",
                    "tokens_clawed_back")
    list_filter = ("status",)
    search_fields = ("referrer__email", "referee__email")
    list_select_related = ("referrer", "referee")
    date_hierarchy = "created_at"
