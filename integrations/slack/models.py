"""The Slack app's records: who a Slack user is in MyBA, and what to answer where.

A `SlackLink` ties one Slack user (their workspace's team id + user id) to a MyBA user and
the workspace that pays for their tickets (their own account, or a team's pool). A
`SlackRequest` remembers where a ticket (or a push) asked from Slack is answered: the
`response_url` Slack gave (valid 30 minutes, 5 posts) and the channel (for
`chat.postMessage` once that URL is gone). A `SlackPost` is one message on its way to
Slack: the outbox a Celery task empties with retries, so no network call happens inside a
transaction and a Slack outage loses nothing.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class SlackLink(models.Model):
    slack_team_id = models.CharField(max_length=32)
    slack_user_id = models.CharField(max_length=32)
    # What people recognise (from the request that asked to link): "pat", "acme".
    slack_user_name = models.CharField(max_length=100, blank=True)
    slack_team_domain = models.CharField(max_length=100, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="slack_links")
    # The team whose pool pays; None: the user's own account.
    organization = models.ForeignKey("accounts.Organization", null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="slack_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["slack_team_id", "slack_user_id"],
                                    name="integrations_slacklink_once_per_slack_user"),
        ]

    def __str__(self) -> str:
        return f"{self.slack_team_id}/{self.slack_user_id} → user {self.user_id}"


class SlackLinkClaim(models.Model):
    """A linking token that was used: each one links once (its nonce is unique)."""

    nonce = models.UUIDField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.nonce)


class SlackRequest(models.Model):
    """A ticket asked for from Slack (`push` empty), or a push asked for with a button: where
    its outcome is posted, once (`answered_at` is set by the conditional update that wins)."""

    link = models.ForeignKey(SlackLink, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="requests")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE,
                               related_name="slack_requests")
    push = models.ForeignKey("integrations.Push", null=True, blank=True,
                             on_delete=models.CASCADE, related_name="slack_requests")
    channel_id = models.CharField(max_length=32, blank=True)
    response_url = models.URLField(max_length=500, blank=True)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One answer per generated ticket (a resent command finds the same ticket).
            models.UniqueConstraint(fields=["ticket"], condition=Q(push__isnull=True),
                                    name="integrations_slackrequest_once_per_ticket"),
        ]

    def __str__(self) -> str:
        return f"ticket {self.ticket_id}" + (f", push {self.push_id}" if self.push_id else "")


class SlackPost(models.Model):
    """A message for Slack: to `response_url` while it is valid, else (messages for the
    channel) `chat.postMessage` to `channel_id` with the bot token."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    response_url = models.URLField(max_length=500, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    channel_id = models.CharField(max_length=32, blank=True)
    message = models.JSONField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Pending: when the next attempt is due. Sending: when the claim lapses (the worker died).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["pending", "sending", "sent", "failed"]),
                name="integrations_slackpost_state_known"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="integrations_slackpost_due",
                         condition=Q(state__in=["pending", "sending"])),
        ]

    def __str__(self) -> str:
        return f"{self.message.get('text', '')[:40]} ({self.state})"
