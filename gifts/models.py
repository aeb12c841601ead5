"""Gifts: tokens a user sends to someone by email.

The tokens leave the sender's account at once into an escrow account of the ledger (one per
gift, so its balance is exactly what the gift still owes), then go on to the recipient's
account — at once when the address belongs to a verified user, else when someone verifies
it — or back to the sender after GIFT_RETURN_DAYS.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy, pgettext_lazy


class Gift(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", gettext_lazy("Waiting for sign-up")
        DELIVERED = "delivered", pgettext_lazy("gift status", "Delivered")
        RETURNED = "returned", gettext_lazy("Returned to sender")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="gifts_sent")
    recipient_email = models.EmailField(help_text="Lower-cased.")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="gifts_received")
    tokens = models.PositiveIntegerField()
    message = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    escrow_account = models.OneToOneField("tokens.TokenAccount", on_delete=models.PROTECT,
                                          related_name="gift")
    request_key = models.UUIDField(unique=True, help_text="The form's nonce: one gift per send.")
    created_at = models.DateTimeField(auto_now_add=True)
    return_due_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(tokens__gt=0), name="gifts_tokens_positive"),
            models.CheckConstraint(
                condition=Q(status="waiting", delivered_at__isnull=True, returned_at__isnull=True)
                | Q(status="delivered", delivered_at__isnull=False, recipient__isnull=False)
                | Q(status="returned", returned_at__isnull=False),
                name="gifts_status_dates"),
        ]
        indexes = [models.Index(fields=["recipient_email", "status"]),
                   models.Index(fields=["status", "return_due_at"])]

    def __str__(self) -> str:
        return f"{self.tokens} tokens from {self.sender} to {self.recipient_email}"
