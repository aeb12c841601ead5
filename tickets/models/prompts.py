"""Prompt versions as data, and A/B experiments between two of them.

A `PromptVersion` is the words a model is told for one ticket type: the system prompt (with a
`{shape}` placeholder where the JSON contract goes) and the kind's instruction. The JSON shape
and the repair prompt stay in code (`tickets/providers/prompts.py`): versions vary the words,
never the contract the validator enforces.

Once a generation used a version (`used_at`, stamped when a ticket is first assigned to it)
its texts are frozen: the service refuses the edit, `save()` refuses it, and a database
trigger refuses it too (migration 0014), so the comparison dashboard always compares the
words that were really sent. A change is a new version ("copy as a new version").

Which version new tickets of a type get is decided in one place
(`tickets.services.prompts.assign_prompt`): the running experiment's arm when there is one,
else the type's `live` version (at most one per type, a partial unique constraint), else the
code's prompt (`SYSTEM_PROMPT` + the kind's instruction, labelled `PROMPT_VERSION`).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from tickets.kinds import kind_choices, kind_values

SHAPE_PLACEHOLDER = "{shape}"
# The texts that make a version; frozen once it is used.
PROMPT_TEXT_FIELDS = ("system_prompt", "instruction")


class PromptVersionFrozen(ValidationError):
    """An edit of a version that a generation already used."""

    def __init__(self, version: "PromptVersion"):
        super().__init__(
            f"{version.label} was already used by a generation: its texts cannot change. "
            "Copy it as a new version instead.",
            code="frozen",
        )


class PromptVersion(models.Model):
    label = models.CharField(max_length=40, help_text='A short name, such as "v4".')
    ticket_type = models.CharField(max_length=16, choices=kind_choices())
    system_prompt = models.TextField(
        help_text=f"The rules the model gets first. Must contain {SHAPE_PLACEHOLDER} where "
                  "the JSON keys are listed.")
    instruction = models.TextField(
        help_text="What the model is told to write for this ticket type, before the "
                  "user's description.")
    notes = models.TextField(blank=True, help_text="What changed and why.")
    # The version new tickets of this type get when no experiment runs (one per type).
    live = models.BooleanField(default=False)
    copied_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="copies")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # When a ticket was first assigned to it: from then on its texts are frozen.
    used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["ticket_type", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket_type", "label"],
                                    name="tickets_prompt_label_unique_per_type"),
            models.UniqueConstraint(fields=["ticket_type"], condition=Q(live=True),
                                    name="tickets_prompt_one_live_per_type"),
            models.CheckConstraint(condition=Q(ticket_type__in=kind_values()),
                                   name="tickets_prompt_type_valid"),
            models.CheckConstraint(condition=~Q(label=""), name="tickets_prompt_has_label"),
            models.CheckConstraint(condition=Q(system_prompt__contains=SHAPE_PLACEHOLDER),
                                   name="tickets_prompt_has_shape"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_type} {self.label}"

    def save(self, *args, **kwargs):
        """Refuses (PromptVersionFrozen) to change the texts or type of a used version: read
        from the database, not from this instance, so a stale form cannot slip past."""
        if self.pk is not None:
            stored = (PromptVersion.objects.filter(pk=self.pk)
                      .values("used_at", "ticket_type", *PROMPT_TEXT_FIELDS).first())
            if stored and stored["used_at"] is not None and any(
                    stored[name] != getattr(self, name)
                    for name in ("ticket_type", *PROMPT_TEXT_FIELDS)):
                raise PromptVersionFrozen(self)
        super().save(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        return self.used_at is not None

    def clean(self) -> None:
        if SHAPE_PLACEHOLDER not in (self.system_prompt or ""):
            raise ValidationError({"system_prompt": (
                f"Keep the {SHAPE_PLACEHOLDER} placeholder: it is where the JSON keys the "
                "model must reply with are listed.")})
        if not (self.instruction or "").strip():
            raise ValidationError({"instruction": "Say what the model should write."})


class PromptExperiment(models.Model):
    """An A/B split for one ticket type: `candidate_share` percent of new tickets get the
    candidate, the rest the control. Each ticket's arm is a hash of its public id, recorded
    on the ticket (`Ticket.prompt_experiment`, `Ticket.prompt`)."""

    ticket_type = models.CharField(max_length=16, choices=kind_choices())
    control = models.ForeignKey(PromptVersion, on_delete=models.PROTECT, related_name="+")
    candidate = models.ForeignKey(PromptVersion, on_delete=models.PROTECT, related_name="+")
    candidate_share = models.PositiveSmallIntegerField(
        default=50, help_text="Percent of new tickets of this type that get the candidate.")
    reason = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    stopped_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket_type"], condition=Q(stopped_at__isnull=True),
                                    name="tickets_prompt_one_experiment_per_type"),
            models.CheckConstraint(condition=Q(candidate_share__gte=1, candidate_share__lte=99),
                                   name="tickets_prompt_share_1_to_99"),
            models.CheckConstraint(condition=~Q(control=F("candidate")),
                                   name="tickets_prompt_two_versions"),
            models.CheckConstraint(
                condition=Q(stopped_at__isnull=True) | Q(stopped_at__gte=F("started_at")),
                name="tickets_prompt_stops_after_start"),
        ]

    def __str__(self) -> str:
        state = "running" if self.is_running else "stopped"
        return (f"{self.ticket_type}: {self.control.label} vs {self.candidate.label} "
                f"({self.candidate_share}%, {state})")

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None
