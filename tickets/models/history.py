"""A ticket's content over time: every version kept, and the paid "Improve" runs.

A version is written in the same transaction as the change it records (the generation that
produced the content, an edit, an improvement, a restore), so the history never misses a
change and never shows one that was rolled back. An improvement is paid like a generation:
a hold taken when it is asked for, captured only if the rewritten ticket scores higher,
released otherwise (tickets/services/improving.py).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _


class VersionSource(models.TextChoices):
    GENERATED = "generated", _("Generated")
    EDITED = "edited", _("Edited")
    IMPROVED = "improved", _("Improved")
    RESTORED = "restored", _("Restored")


class TicketVersion(models.Model):
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE,
                               related_name="versions")
    number = models.PositiveIntegerField()
    source = models.CharField(max_length=16, choices=VersionSource.choices)
    # `Ticket.content()` as it was: title, type and the CONTENT_FIELDS.
    content = models.JSONField()
    quality_score = models.PositiveSmallIntegerField(null=True, blank=True)
    quality_report = models.JSONField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "number"],
                                    name="tickets_version_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1),
                                   name="tickets_version_number_positive"),
            models.CheckConstraint(
                condition=Q(source__in=[choice.value for choice in VersionSource]),
                name="tickets_version_source_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Version {self.number} ({self.get_source_display()})"


class ImprovementStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Improving")
    IMPROVED = "improved", _("Improved")
    NOT_BETTER = "not_better", _("No better version")
    FAILED = "failed", _("Failed")


ACTIVE_IMPROVEMENT = (ImprovementStatus.QUEUED, ImprovementStatus.RUNNING)


class TicketImprovement(models.Model):
    """One click on "Improve": the failing fields rewritten, paid only for a better ticket."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE,
                               related_name="improvements")
    # Who paid: the requester's paying account when they clicked (as for a generation).
    token_account = models.ForeignKey("tokens.TokenAccount", on_delete=models.PROTECT,
                                      related_name="ticket_improvements")
    hold = models.OneToOneField("tokens.Hold", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="ticket_improvement")
    cost = models.PositiveIntegerField()
    # From the button's form: a double click or a resent form is one improvement.
    nonce = models.UUIDField()
    status = models.CharField(max_length=16, choices=ImprovementStatus.choices,
                              default=ImprovementStatus.QUEUED)
    # The version it improves: applied only while the ticket is still at this version.
    base_version = models.PositiveIntegerField()
    score_before = models.PositiveSmallIntegerField()
    # The rewritten ticket's score, kept also when it was not better (shown to the user).
    score_after = models.PositiveSmallIntegerField(null=True, blank=True)
    # The fields the failing rules judge: the only ones rewritten.
    fields = models.JSONField(default=list, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    run_token = models.UUIDField(null=True, blank=True, editable=False)
    dispatched_at = models.DateTimeField(null=True, blank=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "nonce"],
                                    name="tickets_one_improvement_per_nonce"),
            # Concurrent clicks (two tabs, two devices) make one improvement and one hold.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(status__in=["queued", "running"]),
                name="tickets_one_active_improvement",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in ImprovementStatus]),
                name="tickets_improvement_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(score_before__lte=100)
                & (Q(score_after__isnull=True) | Q(score_after__lte=100)),
                name="tickets_improvement_scores_0_to_100",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"],
                         condition=Q(status__in=["queued", "running"]),
                         name="tickets_improvement_active"),
        ]

    def __str__(self) -> str:
        return f"Improvement of {self.ticket_id}: {self.get_status_display()}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_IMPROVEMENT

    @property
    def outcome(self) -> str:
        """What the user reads once it finished (empty while it runs)."""
        if self.status == ImprovementStatus.IMPROVED:
            return ngettext(
                "Improved: quality %(before)s → %(after)s. %(count)s token charged.",
                "Improved: quality %(before)s → %(after)s. %(count)s tokens charged.",
                self.cost,
            ) % {"before": self.score_before, "after": self.score_after, "count": self.cost}
        if self.status == ImprovementStatus.NOT_BETTER and self.error_code == "changed":
            return gettext("The ticket was edited while it was being improved, so the rewrite "
                           "was not applied. You were not charged.")
        if self.status == ImprovementStatus.NOT_BETTER:
            return gettext("No better version found (the rewrite scored %(after)s, yours "
                           "%(before)s). You were not charged; your ticket is unchanged.") % {
                "after": self.score_after, "before": self.score_before}
        if self.status == ImprovementStatus.FAILED:
            return gettext("The ticket could not be improved right now. You were not charged; "
                           "your ticket is unchanged. Try again in a minute.")
        return ""

    @property
    def reference(self) -> str:
        """How the ledger refers to it: the ticket it improves (usage pages name it)."""
        return f"ticket:{self.ticket_id}"
