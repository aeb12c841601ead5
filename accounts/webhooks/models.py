"""A workspace's webhook endpoint and the deliveries of events to it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from config.encryption import EncryptedTextField


class WebhookEvent(models.TextChoices):
    TICKET_COMPLETED = "ticket.completed", _("Ticket completed")
    TICKET_FAILED = "ticket.failed", _("Ticket failed")
    PING = "ping", _("Test event")


# What an endpoint may subscribe to (a test event is sent on request, whatever it subscribes).
SUBSCRIBABLE = (WebhookEvent.TICKET_COMPLETED, WebhookEvent.TICKET_FAILED)


class WebhookEndpoint(models.Model):
    """Where a workspace's events go: one per workspace, either a person's own (`owner`) or a
    team's (`organization`), never both. The signing secret is stored encrypted
    (config/encryption.py); the model attribute `secret` is its plain text."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.CASCADE, related_name="webhook_endpoints")
    organization = models.ForeignKey("accounts.Organization", null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    secret = EncryptedTextField()
    events = models.JSONField(default=list)  # values of SUBSCRIBABLE
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(owner__isnull=False, organization__isnull=True)
                           | Q(owner__isnull=True, organization__isnull=False)),
                name="accounts_webhook_one_workspace"),
            models.UniqueConstraint(fields=["owner"], condition=Q(organization__isnull=True),
                                    name="accounts_webhook_one_personal"),
            models.UniqueConstraint(fields=["organization"],
                                    condition=Q(organization__isnull=False),
                                    name="accounts_webhook_one_per_team"),
        ]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint and its attempts to send it. Moves by conditional update:
    pending → delivering (one worker claimed it) → succeeded, or back to pending for a retry,
    or failed after the last attempt. `next_attempt_at` is when a pending delivery is due, and
    when a delivering one's claim lapses (its worker died; the sweep puts it back)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERING = "delivering", _("Sending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE,
                                 related_name="deliveries")
    event_id = models.CharField(max_length=40, unique=True)  # evt_…, the same on every attempt
    event_type = models.CharField(max_length=32, choices=WebhookEvent.choices)
    ticket_public_id = models.CharField(max_length=10, blank=True)  # blank for a test event
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # Attempts in the current round (a resend starts a new round from 0).
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            # One event per ticket and type, however often the signal fires.
            models.UniqueConstraint(fields=["endpoint", "event_type", "ticket_public_id"],
                                    condition=~Q(ticket_public_id=""),
                                    name="accounts_webhook_one_event_per_ticket"),
            models.CheckConstraint(condition=Q(status__in=["pending", "delivering",
                                                           "succeeded", "failed"]),
                                   name="accounts_webhook_delivery_status_known"),
        ]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="accounts_webhook_recent"),
            models.Index(fields=["next_attempt_at"], name="accounts_webhook_due",
                         condition=Q(status__in=["pending", "delivering"])),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} ({self.status})"
