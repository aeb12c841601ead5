"""Tickets and the log of every generation attempt.

A ticket is created `queued` in the same transaction that reserves its tokens (its `hold`);
the generation task moves it by conditional updates to `running` and then `succeeded` (hold
captured) or `failed` (hold released). The generated fields are empty until it succeeds.
"""

import re
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from tickets.kinds import kind_choices, kind_values
from tickets.providers.schema import STORY_POINTS

# From the ticket-kind registry: TicketType.BUG == "bug", labelled "Bug", and so on.
TicketType = models.TextChoices(
    "TicketType", [(value.upper(), (value, label)) for value, label in kind_choices()]
)


class Quality(models.TextChoices):
    STANDARD = "standard", _("Standard")
    ADVANCED = "advanced", _("Advanced")


class Status(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Generating")
    SUCCEEDED = "succeeded", _("Ready")
    FAILED = "failed", _("Failed")


# English labels on purpose: exports (Jira CSV) and trackers send them as they are. Pages
# show `Ticket.priority_display`, translated.
class Priority(models.TextChoices):
    LOWEST = "lowest", gettext_noop("Lowest")
    LOW = "low", gettext_noop("Low")
    MEDIUM = "medium", gettext_noop("Medium")
    HIGH = "high", gettext_noop("High")
    HIGHEST = "highest", gettext_noop("Highest")


# A ticket's name in URLs, exports and on pages (DESIGN.md: never the database id, which tells
# how many tickets exist). Crockford's base32 alphabet in lower case: no i, l, o or u, so an
# id read aloud or typed again is not mistaken. 10 characters are 50 random bits: unguessable,
# and after ten million tickets a new id still collides only once in about 10^8 tries (the
# unique constraint then refuses the insert, and the user submits again).
PUBLIC_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
PUBLIC_ID_LENGTH = 10
PUBLIC_ID_REGEX = "[0-9a-hjkmnp-tv-z]{10}"


def new_public_id() -> str:
    return "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(PUBLIC_ID_LENGTH))


def is_public_id(value: str) -> bool:
    """Whether `value` can be a ticket's public id (check before a lookup: a NUL byte or a
    megabyte of text never reaches the database)."""
    return re.fullmatch(PUBLIC_ID_REGEX, value) is not None


ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)
# The generated (and editable) fields, as the schema, the exports and the editor know them.
CONTENT_FIELDS = (
    "title",
    "summary",
    "user_story",
    "acceptance_criteria",
    "priority",
    "labels",
    "story_points",
    "technical_notes",
    "steps_to_reproduce",
    "expected_behaviour",
    "actual_behaviour",
    "scope",
    "out_of_scope",
    "success_measures",
)


class Ticket(models.Model):
    public_id = models.CharField(max_length=PUBLIC_ID_LENGTH, default=new_public_id,
                                 editable=False)
    # Who may see it: a signed-in user, or (before sign-up) the visitor whose browser made it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tickets",
    )
    visitor = models.ForeignKey(
        "accounts.AnonymousVisitor",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    # The team it belongs to (its members see it; `owner` is the member who made it); None:
    # the owner's personal ticket. A personal ticket may move into a team, never back.
    organization = models.ForeignKey(
        "accounts.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tickets",
    )
    # Who paid: the account the hold was taken from (kept when the ticket changes owner).
    token_account = models.ForeignKey(
        "tokens.TokenAccount", on_delete=models.PROTECT, related_name="tickets"
    )
    hold = models.OneToOneField(
        "tokens.Hold", null=True, blank=True, on_delete=models.PROTECT, related_name="ticket"
    )
    cost = models.PositiveIntegerField()
    # From the form: a resent or double-clicked form carries the same nonce -> one ticket.
    nonce = models.UUIDField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    # Set when a worker claims the ticket; only that run may finish it.
    run_token = models.UUIDField(null=True, blank=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    # While running, the run's heartbeat keeps this in the future; once it lapses the run is
    # gone and another worker may take the ticket over (tickets/timing.py).
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # How many runs claimed it: a ticket whose workers keep dying is given up, not retried
    # forever.
    runs = models.PositiveSmallIntegerField(default=0, editable=False)
    # When its generation task was last sent to the broker (the sweeper sends it again when
    # a worker took the message down with it).
    dispatched_at = models.DateTimeField(default=timezone.now, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    regenerated_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="regenerations"
    )
    # A story of an epic, or a sub-task of a story (made by the parent's `Split`), with its
    # place in the parent's plan (1-based) and the siblings it needs done first. Deleting the
    # parent keeps the children (each was paid for on its own); they stand alone.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    position = models.PositiveSmallIntegerField(null=True, blank=True)
    depends_on = models.ManyToManyField("self", symmetrical=False, blank=True,
                                        related_name="needed_by")

    # What was asked.
    ticket_type = models.CharField(max_length=16, choices=TicketType.choices)
    quality = models.CharField(max_length=16, choices=Quality.choices)
    description = models.TextField()
    product_area = models.CharField(max_length=100, blank=True)
    tech_stack = models.CharField(max_length=200, blank=True)
    # Clarify-first: the questions asked before generating and the user's answers, as
    # [{"question": ..., "answer": ...}], in the order asked; empty when none were asked or the
    # user skipped them. They go into the generation with the description.
    clarifications = models.JSONField(default=list, blank=True)
    # SHA-256 of the request that made it (tickets.services.requesting.request_fingerprint):
    # a retry under the same nonce must ask for the same thing.
    request_hash = models.CharField(max_length=64, blank=True, editable=False)
    # The template chosen on the generator (tickets/models/templates.py) while it exists, and
    # its settings as they were when the ticket was asked for (`TemplateSpec.to_dict()`; a
    # built-in has no row, only this): what the generation and every quality check read, so
    # editing or deleting the template later changes nothing about this ticket.
    template = models.ForeignKey("tickets.TicketTemplate", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="tickets")
    template_snapshot = models.JSONField(null=True, blank=True)

    # What was generated (and may be edited).
    title = models.CharField(max_length=120, blank=True)
    summary = models.TextField(blank=True)
    user_story = models.TextField(blank=True)
    acceptance_criteria = models.JSONField(default=list, blank=True)
    priority = models.CharField(max_length=16, choices=Priority.choices, blank=True)
    labels = models.JSONField(default=list, blank=True)
    story_points = models.PositiveSmallIntegerField(null=True, blank=True)
    technical_notes = models.TextField(blank=True)
    steps_to_reproduce = models.JSONField(default=list, blank=True)
    expected_behaviour = models.TextField(blank=True)
    actual_behaviour = models.TextField(blank=True)
    # An epic's sections (tickets/kinds.py EPIC_FIELDS): short statements each.
    scope = models.JSONField(default=list, blank=True)
    out_of_scope = models.JSONField(default=list, blank=True)
    success_measures = models.JSONField(default=list, blank=True)
    generator = models.CharField(max_length=32, blank=True)  # openrouter | offline
    # The language asked for (config.languages.TICKET_LANGUAGES): the owner's ticket-language
    # setting or the interface language at submit. The offline generator writes English
    # whatever it is (`written_language`).
    language = models.CharField(max_length=10, default="en")
    model_name = models.CharField(max_length=200, blank=True)
    # The prompt that produced the content (tickets/providers/prompts.PROMPT_VERSION), or the
    # offline generator's version; empty for tickets made before versions were recorded.
    prompt_version = models.CharField(max_length=40, blank=True)
    # The prompt version assigned to it on its first run (tickets.services.prompts
    # .assign_prompt), kept for every later run; null when the code's prompt applied. The
    # experiment whose arm chose it, when one ran for the ticket's type.
    prompt = models.ForeignKey("tickets.PromptVersion", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="tickets",
                               editable=False)
    prompt_experiment = models.ForeignKey("tickets.PromptExperiment", null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="tickets",
                                          editable=False)
    edited_at = models.DateTimeField(null=True, blank=True)
    # The number of the content's current version (`TicketVersion`; 0 before the first
    # content). Every change of content moves it by a conditional update, so a change prepared
    # against one version (an improvement) is never applied over a newer one.
    version = models.PositiveIntegerField(default=0, editable=False)

    # The quality check of the content as it is now (tickets/quality): `Scorecard.to_dict()`
    # and its score, written with every generation and edit (tickets/services/scoring.py).
    # Null until checked: tickets not finished, and those made before the check existed
    # (`manage.py rescore_tickets` scores them).
    quality_report = models.JSONField(null=True, blank=True)
    quality_score = models.PositiveSmallIntegerField(null=True, blank=True)

    # Feedback.
    rating = models.SmallIntegerField(null=True, blank=True)  # 1 helpful, -1 not helpful
    rating_comment = models.CharField(max_length=1000, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="tickets_owner_recent"),
            models.Index(fields=["visitor", "-created_at"], name="tickets_visitor_recent"),
            models.Index(fields=["organization", "-created_at"], name="tickets_team_recent",
                         condition=Q(organization__isnull=False)),
            # The library's quality filter: one owner's tickets that pass every check (100)
            # or need work (below 100).
            models.Index(fields=["owner", "quality_score"], name="tickets_owner_quality"),
            # The dashboard's range scans read only these columns: an index-only scan.
            models.Index(
                fields=["created_at"],
                include=["status", "ticket_type", "quality", "finished_at"],
                name="tickets_by_time",
            ),
            models.Index(
                fields=["status", "created_at"],
                condition=Q(status__in=["queued", "running"]),
                name="tickets_active_by_age",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["public_id"], name="tickets_public_id_unique"),
            models.CheckConstraint(
                condition=Q(public_id__regex=f"^{PUBLIC_ID_REGEX}$"),
                name="tickets_public_id_format",
            ),
            models.UniqueConstraint(
                fields=["token_account", "nonce"], name="tickets_one_ticket_per_form_nonce"
            ),
            models.CheckConstraint(
                condition=Q(owner__isnull=False) | Q(visitor__isnull=False),
                name="tickets_has_owner_or_visitor",
            ),
            models.CheckConstraint(
                condition=Q(ticket_type__in=kind_values()), name="tickets_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in Status]),
                name="tickets_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(story_points__isnull=True) | Q(story_points__in=STORY_POINTS),
                name="tickets_story_points_fibonacci",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__in=[-1, 1]),
                name="tickets_rating_up_or_down",
            ),
            models.CheckConstraint(
                condition=~Q(status="succeeded") | ~Q(title=""),
                name="tickets_succeeded_has_title",
            ),
            models.CheckConstraint(
                condition=Q(quality_score__isnull=True) | Q(quality_score__lte=100),
                name="tickets_quality_score_0_to_100",
            ),
            # A plan's place is taken once: a redelivered plan never makes a second story.
            models.UniqueConstraint(fields=["parent", "position"],
                                    name="tickets_one_child_per_place"),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | Q(position__isnull=False),
                name="tickets_child_has_position",
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"Ticket {self.public_id} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_offline(self) -> bool:
        return self.generator == "offline"

    @property
    def has_assumptions(self) -> bool:
        """Some acceptance criterion is the generator's assumption (tickets/quality/clarify.py),
        marked on the card so nobody mistakes it for a requirement."""
        return any(criterion.get("origin") == "assumption"
                   for criterion in self.acceptance_criteria)

    @property
    def reference(self) -> str:
        """How the ledger refers to this ticket (internal: pages and exports show
        `public_id`)."""
        return f"ticket:{self.pk}"

    @property
    def nonce_is_derived(self) -> bool:
        """Whether the nonce was derived by name (a version-5 UUID), as every batch row's and
        Slack command's is (and an API idempotency key's, a split child's); a form's is
        random. A receiver of every finished ticket skips, for the others, the read only
        those tickets need."""
        return self.nonce.version == 5

    @property
    def scorecard(self):
        """The stored quality check as a `Scorecard`, or None when not checked yet."""
        # Imported here: the rules may read the models' vocabulary (kinds, fields).
        from tickets.quality import Scorecard

        return Scorecard.from_dict(self.quality_report) if self.quality_report else None

    @property
    def template_spec(self):
        """The template settings this ticket was made with (a `TemplateSpec`), or None."""
        from tickets.ticket_templates.spec import TemplateSpec

        return TemplateSpec.from_dict(self.template_snapshot) if self.template_snapshot else None

    @property
    def priority_label(self) -> str:
        """The priority in the words of the template's scheme ("P1", "Must have"), else ours."""
        spec = self.template_spec
        word = spec.scheme.word(self.priority) if spec is not None and self.priority else ""
        return word or self.get_priority_display()

    @property
    def written_language(self) -> str:
        """The language the content is in: the one asked for, except that the offline
        generator writes English."""
        return "en" if self.generator == "offline" else self.language

    @property
    def language_not_honoured(self) -> bool:
        """Another language was asked for, but the offline generator wrote it in English."""
        return self.written_language != self.language

    @property
    def priority_display(self) -> str:
        """`priority_label` for pages: the template's own word, else ours translated."""
        label, ours = self.priority_label, self.get_priority_display()
        return gettext(ours) if label == ours else label

    def content(self) -> dict:
        """The generated fields as the schema and the exports know them."""
        fields = {field: getattr(self, field) for field in CONTENT_FIELDS}
        return {"title": fields.pop("title"), "type": self.ticket_type, **fields}


class GenerationAttempt(models.Model):
    """One call to a generator (an HTTP request to a model, or the offline rules).

    Feeds the staff dashboard: latency, tokens and cost per provider and model, error rates.
    """

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        RETRY = "retry", "Failed, retried"
        FAILED = "failed", "Failed"
        INVALID = "invalid", "Invalid output"

    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="attempts"
    )
    provider = models.CharField(max_length=32)
    model_name = models.CharField(max_length=200)
    quality = models.CharField(max_length=16, choices=Quality.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    error_code = models.CharField(max_length=32, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    cost = models.DecimalField(max_digits=12, decimal_places=8, null=True, blank=True)
    # The prompt sent (tickets/providers/prompts.PROMPT_VERSION), or the offline generator's
    # version: compares prompts on the dashboard. Empty for attempts before versions.
    prompt_version = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["provider", "model_name", "-created_at"],
                         name="tickets_attempt_by_model"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}/{self.model_name}: {self.outcome}"


# Tickets asked for in bulk from a CSV (tickets/models/batches.py), the splits of epics and
# stories into their children (tickets/models/splits.py), the content's history and its paid
# improvements (tickets/models/history.py), prompt versions and their A/B experiments
# (tickets/models/prompts.py).
from tickets.models.batches import (  # noqa: E402, F401
    Batch,
    BatchRow,
    BatchStatus,
    RowStatus,
)
from tickets.models.history import (  # noqa: E402, F401
    ImprovementStatus,
    TicketImprovement,
    TicketVersion,
    VersionSource,
)
from tickets.models.prompts import (  # noqa: E402, F401
    PromptExperiment,
    PromptVersion,
    PromptVersionFrozen,
)
from tickets.models.splits import (  # noqa: E402, F401
    Split,
    SplitSlot,
    SplitStatus,
)
from tickets.models.templates import TicketTemplate  # noqa: E402, F401
