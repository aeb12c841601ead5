"""Batches: many tickets asked for at once from an uploaded CSV, each row its own ticket.

A batch is a `draft` while it is previewed (nothing reserved); confirming it makes it
`running`, and its valid rows `pending`. Each row reserves its own hold only when it starts
(`tickets.services.request_ticket_generation`), so a failed row is never charged and no hold
waits for its turn (DESIGN.md, "Several tickets at once").
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tickets.models import PUBLIC_ID_LENGTH, PUBLIC_ID_REGEX, Quality, new_public_id


class BatchStatus(models.TextChoices):
    DRAFT = "draft", _("Preview")
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")


class RowStatus(models.TextChoices):
    INVALID = "invalid", _("Invalid")
    VALID = "valid", _("Ready")  # a draft's row that passed validation
    PENDING = "pending", _("Waiting")
    STARTED = "started", _("Generating")
    SUCCEEDED = "succeeded", _("Done")
    FAILED = "failed", _("Failed")
    NOT_ENOUGH = "not_enough", _("Not enough tokens")
    LIMIT_REACHED = "limit_reached", _("Limit reached")
    CANCELLED = "cancelled", _("Cancelled")


# Rows that will never change again (a batch with only these and invalid rows is done).
SETTLED_ROW_STATUSES = (RowStatus.SUCCEEDED, RowStatus.FAILED, RowStatus.NOT_ENOUGH,
                        RowStatus.LIMIT_REACHED, RowStatus.CANCELLED)


class Batch(models.Model):
    public_id = models.CharField(max_length=PUBLIC_ID_LENGTH, default=new_public_id,
                                 editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="ticket_batches")
    # The team whose pool pays and whose members see it; None: the owner's personal batch.
    organization = models.ForeignKey("accounts.Organization", null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="ticket_batches")
    token_account = models.ForeignKey("tokens.TokenAccount", on_delete=models.PROTECT,
                                      related_name="ticket_batches")
    # Who spends on each row's hold (`user:<id>`, `apikey:<id>`): limits and usage follow it.
    spender = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=BatchStatus.choices,
                              default=BatchStatus.DRAFT)
    filename = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # When its last row settled (a cancelled batch's started rows still finish).
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="batches_owner_recent"),
            models.Index(fields=["organization", "-created_at"], name="batches_team_recent",
                         condition=Q(organization__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["public_id"], name="batches_public_id_unique"),
            models.CheckConstraint(condition=Q(public_id__regex=f"^{PUBLIC_ID_REGEX}$"),
                                   name="batches_public_id_format"),
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in BatchStatus]),
                name="batches_status_valid"),
            # Only a confirmed batch runs or finishes; a draft was never confirmed.
            models.CheckConstraint(
                condition=~Q(status__in=["running", "finished"]) | Q(confirmed_at__isnull=False),
                name="batches_running_was_confirmed"),
            models.CheckConstraint(
                condition=~Q(status="draft") | Q(confirmed_at__isnull=True,
                                                  finished_at__isnull=True),
                name="batches_draft_not_confirmed"),
            models.CheckConstraint(
                condition=~Q(status="finished") | Q(finished_at__isnull=False),
                name="batches_finished_has_time"),
        ]

    def __str__(self) -> str:
        return f"Batch {self.public_id} ({self.get_status_display()})"


class BatchRow(models.Model):
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField()  # 1: the first row under the CSV's header
    description = models.TextField(blank=True)
    ticket_type = models.CharField(max_length=32, blank=True)
    quality = models.CharField(max_length=16, blank=True, default=Quality.STANDARD)
    product_area = models.CharField(max_length=100, blank=True)
    tech_stack = models.CharField(max_length=200, blank=True)
    labels = models.JSONField(default=list, blank=True)
    # Why the row cannot be generated (validation), one message per problem.
    errors = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=RowStatus.choices)
    # What happened when it ran, when it did not succeed (failed, not enough, limit).
    message = models.CharField(max_length=300, blank=True)
    # SET_NULL: a finished ticket deleted from the library leaves its row's outcome behind.
    ticket = models.OneToOneField("tickets.Ticket", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="batch_row")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "number"]
        indexes = [
            models.Index(fields=["batch", "status", "number"], name="batchrows_by_status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="batchrows_one_per_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="batchrows_number_from_1"),
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in RowStatus]),
                name="batchrows_status_valid"),
            models.CheckConstraint(condition=~Q(status="invalid") | ~Q(errors=[]),
                                   name="batchrows_invalid_says_why"),
            # A row pays through its ticket's hold: it is started exactly when it has one.
            models.CheckConstraint(condition=~Q(status="started") | Q(ticket__isnull=False),
                                   name="batchrows_started_has_ticket"),
            models.CheckConstraint(
                condition=Q(ticket__isnull=True)
                | Q(status__in=["started", "succeeded", "failed"]),
                name="batchrows_ticket_only_when_run"),
        ]

    def __str__(self) -> str:
        return f"Row {self.number} of {self.batch.public_id}: {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in (RowStatus.PENDING, RowStatus.STARTED)
