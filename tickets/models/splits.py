"""Splits: an epic broken into stories, or a story into sub-tasks, each child its own ticket.

When a split is confirmed, one transaction reserves a hold per possible child (a `SplitSlot`,
up to `max_children`) beside the parent's own hold (an epic's). Once the parent's content
exists, the plan (3 to `max_children` children, with the dependencies between them) is
written: each planned child becomes a queued `Ticket` that takes its slot's hold, and the
slots the plan does not use are released — so each child settles on its own and the person
pays for exactly the children delivered (DESIGN.md, "Several tickets at once").
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MIN_CHILDREN = 3
MAX_CHILDREN = 8


class SplitStatus(models.TextChoices):
    PLANNING = "planning", _("Planning")  # slots reserved; waiting for the parent and the plan
    PLANNED = "planned", _("Planned")  # children made; each settles on its own
    FAILED = "failed", _("Failed")  # no plan: every slot released


class Split(models.Model):
    parent = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE,
                                  related_name="split")
    child_type = models.CharField(max_length=16)  # the kind of each child (tickets/kinds.py)
    max_children = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=SplitStatus.choices,
                              default=SplitStatus.PLANNING)
    # What the planner wrote: [{"title", "description", "depends_on": [positions]}].
    plan = models.JSONField(default=list, blank=True)
    planner = models.CharField(max_length=32, blank=True)  # openrouter | offline
    # When the planning task was last sent (the sweeper sends it again when it was lost).
    dispatched_at = models.DateTimeField(default=timezone.now, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    planned_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=32, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], condition=Q(status="planning"),
                         name="tickets_split_planning"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_children__gte=MIN_CHILDREN) & Q(max_children__lte=MAX_CHILDREN),
                name="tickets_split_children_3_to_8",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in SplitStatus]),
                name="tickets_split_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Split of {self.parent_id} into up to {self.max_children} {self.child_type}"


class SplitSlot(models.Model):
    """One possible child's reservation: its hold, and the child that took it (if planned)."""

    split = models.ForeignKey(Split, on_delete=models.CASCADE, related_name="slots")
    position = models.PositiveSmallIntegerField()
    hold = models.OneToOneField("tokens.Hold", on_delete=models.PROTECT,
                                related_name="split_slot")
    child = models.OneToOneField("tickets.Ticket", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="split_slot")

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["split", "position"],
                                    name="tickets_one_slot_per_place"),
        ]

    def __str__(self) -> str:
        return f"Slot {self.position} of split {self.split_id}"
