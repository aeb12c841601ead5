"""Retry bookkeeping for Stripe webhook deliveries whose processing failed."""

from django.db import models


class WebhookRetry(models.Model):
    """Retry bookkeeping for a dj-stripe `WebhookEventTrigger` whose processing failed."""

    trigger = models.OneToOneField(
        "djstripe.WebhookEventTrigger", on_delete=models.CASCADE, related_name="billing_retry"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    gave_up_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="A caller is processing it until then (a lease)."
    )

    class Meta:
        verbose_name_plural = "webhook retries"
        indexes = [models.Index(fields=["next_attempt_at"], name="billing_retry_due_idx")]

    def __str__(self) -> str:
        return f"trigger {self.trigger_id}: {self.attempts} attempts"
