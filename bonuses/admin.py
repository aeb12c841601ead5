from django.contrib import admin

from bonuses.models import DailyBonusClaim
from tokens.admin import ReadOnlyAdmin


@admin.register(DailyBonusClaim)
class DailyBonusClaimAdmin(ReadOnlyAdmin):
    list_display = ("user", "day", "streak", "tokens", "claimed_at")
    search_fields = ("user__email",)
    list_select_related = ("user",)
    date_hierarchy = "claimed_at"
