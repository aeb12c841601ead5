"""API keys and their audit log.

A key is `myba_live_<prefix>_<secret>`. Only the SHA-256 of the whole key is stored, with the
prefix indexed to find it: a slow password hasher on every request is not needed for a
random 256-bit secret, and checking stays under a millisecond.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KEY_PREFIX_LENGTH = 8
MAX_BUDGET = 1_000_000


class Scope(models.TextChoices):
    TICKETS_READ = "tickets:read", _("Read tickets")
    TICKETS_WRITE = "tickets:write", _("Create, edit and delete tickets (spends tokens)")
    USAGE_READ = "usage:read", _("Read balance, prices and usage")


class ApiKey(models.Model):
    """A key acting for a person's own account (`organization` empty) or for a team's pool."""

    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=KEY_PREFIX_LENGTH, unique=True)
    secret_hash = models.CharField(max_length=64, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="api_keys",
                              help_text="Whose account a personal key uses; who made a team key.")
    organization = models.ForeignKey("accounts.Organization", null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="api_keys")
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField(null=True, blank=True)
    daily_budget = models.PositiveIntegerField(null=True, blank=True)
    monthly_budget = models.PositiveIntegerField(null=True, blank=True)
    allowed_ips = models.JSONField(default=list, blank=True,
                                   help_text="Addresses or networks (CIDR); empty: any.")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Written at most once a minute per key (accounts.apikeys.auth), not on every request.
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(daily_budget__lte=MAX_BUDGET)
                                   & Q(monthly_budget__lte=MAX_BUDGET),
                                   name="accounts_apikey_budget_sane"),
            models.CheckConstraint(condition=~Q(scopes=[]), name="accounts_apikey_has_scope"),
        ]
        indexes = [models.Index(fields=["owner", "organization"], name="accounts_apikey_owner")]

    def __str__(self) -> str:
        return f"{self.name} (myba_live_{self.prefix}_…)"

    @property
    def spender(self) -> str:
        return f"apikey:{self.pk}"

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def masked(self) -> str:
        return f"myba_live_{self.prefix}_••••"


class ApiKeyEvent(models.Model):
    """Every action on a key (created, revoked), by whom and from where. Append-only."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        REVOKED = "revoked", _("Revoked")
        REVOKED_BY_STAFF = "revoked_by_staff", _("Revoked by staff")

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                              related_name="+")
    action = models.CharField(max_length=24, choices=Action.choices)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "API key event"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor} {self.get_action_display()} {self.key}"
