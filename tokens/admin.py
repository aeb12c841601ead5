"""Ledger admin: everything listed and searchable; ledger rows are read-only.

Balances change only through `tokens.services` (which keep the ledger append-only and
balanced), so entries, lots and holds cannot be added, changed or deleted here, and an
account's figures are shown, not edited. Prices are staff-editable.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from tokens.models import (
    Hold,
    LedgerAuditRun,
    LedgerEntry,
    Lot,
    LotConsumption,
    Price,
    TokenAccount,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services (ledger, money, audit): listed and searchable, never edited."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TokenAccount)
class TokenAccountAdmin(admin.ModelAdmin):
    list_display = ("id", "label", "balance", "held", "available", "created_at", "closed_at")
    list_filter = (("closed_at", admin.EmptyFieldListFilter),)
    search_fields = ("=id", "label")
    readonly_fields = ("balance", "held", "created_at", "closed_at", "ledger")
    fields = ("label", *readonly_fields)

    @admin.display(description="Ledger")
    def ledger(self, account):
        # A link, not an inline: a busy account has far too many entries for one page.
        entries = reverse("admin:tokens_ledgerentry_changelist")
        lots = reverse("admin:tokens_lot_changelist")
        holds = reverse("admin:tokens_hold_changelist")
        query = f"?account__id__exact={account.pk}"
        return format_html(
            '<a href="{}">Entries</a> · <a href="{}">Lots</a> · <a href="{}">Holds</a>',
            entries + query,
            lots + query,
            holds + query,
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ConsumptionInline(ReadOnlyInline):
    model = LotConsumption
    fk_name = "entry"
    fields = ("lot", "amount")
    readonly_fields = fields


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "account", "kind", "amount", "balance_after", "reference")
    list_filter = ("kind", "created_at")
    search_fields = (
        "=id",
        "=account__id",
        "account__label",
        "idempotency_key",
        "reference",
        "memo",
    )
    list_select_related = ("account",)
    date_hierarchy = "created_at"
    inlines = [ConsumptionInline]


@admin.register(Lot)
class LotAdmin(ReadOnlyAdmin):
    list_display = ("id", "account", "source", "amount", "remaining", "expires_at", "created_at")
    list_filter = ("source", ("expires_at", admin.EmptyFieldListFilter))
    search_fields = (
        "=id",
        "=account__id",
        "account__label",
        "entry__idempotency_key",
        "entry__reference",
    )
    list_select_related = ("account",)


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = ("id", "account", "amount", "status", "reference", "expires_at", "created_at")
    list_filter = ("status",)
    search_fields = ("=id", "=account__id", "account__label", "idempotency_key", "reference")
    list_select_related = ("account",)


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    list_display = ("feature_key", "label", "tokens", "active", "updated_at")
    list_editable = ("tokens", "active")
    list_filter = ("active",)
    search_fields = ("feature_key", "label")


@admin.register(LedgerAuditRun)
class LedgerAuditRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "ok", "accounts_checked", "entries_checked", "finished_at")
    list_filter = ("ok", "started_at")
