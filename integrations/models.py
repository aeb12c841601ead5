"""Connections to trackers and the pushes of tickets into them.

A `Connection` is a workspace's credentials for one tracker plus the destination it sends to
(a GitHub repository, a GitLab project, a Jira project and issue type). Secrets are encrypted
at rest (config/encryption.py). A `Push` is one ticket × one connection: the record that makes
creating the remote issue happen exactly once (see integrations/services/pushing.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from config.encryption import EncryptedTextField


class Kind(models.TextChoices):
    GITHUB = "github", "GitHub"
    GITLAB = "gitlab", "GitLab"
    JIRA = "jira", "Jira Cloud"


class Connection(models.Model):
    """A workspace's connection to a tracker: a person's own (`owner`) or a team's
    (`organization`), never both.

    `auth` says what the secrets are: a GitHub App installation (`installation_id` in
    `account_ref`; installation tokens are minted and cached in `access_token`), a token the
    user pasted (a fine-grained PAT, a GitLab project access token: `access_token`, never
    refreshed), or OAuth (`access_token` + `refresh_token`, refreshed before `expires_at`).
    `target` is where issues go, chosen once (a different destination is another connection,
    so every push keeps meaning what it meant). `problem` says why a broken connection stopped
    working and how to fix it."""

    class Auth(models.TextChoices):
        APP = "app", "GitHub App"
        TOKEN = "token", _("Access token")
        OAUTH = "oauth", "OAuth"

    class Health(models.TextChoices):
        NEEDS_TARGET = "needs_target", _("Choose where issues go")
        OK = "ok", _("Working")
        BROKEN = "broken", _("Needs attention")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.CASCADE, related_name="connections")
    organization = models.ForeignKey("accounts.Organization", null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="connections")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    auth = models.CharField(max_length=16, choices=Auth.choices)
    # The tracker's site: GitHub's API root, a GitLab instance, a Jira site (for links).
    base_url = models.URLField(max_length=300)
    # GitHub App installation id; Jira Cloud id; blank otherwise.
    account_ref = models.CharField(max_length=100, blank=True)
    # Where issues go, as the tracker names it: {"repo": "octo/shop"}, {"project_id": 7,
    # "path": "acme/shop"}, {"project_key": "SHOP", "issue_type_id": "10001", "fields": {...}}.
    target = models.JSONField(default=dict, blank=True)
    # What the user sees: "octo/shop", "acme/shop on gitlab.example.com", "SHOP on acme".
    label = models.CharField(max_length=200, blank=True)
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Single-flight refresh: the worker that moved this forward refreshes; others wait.
    refreshing_until = models.DateTimeField(null=True, blank=True)
    health = models.CharField(max_length=16, choices=Health.choices,
                              default=Health.NEEDS_TARGET)
    problem = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "label", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(owner__isnull=False, organization__isnull=True)
                           | Q(owner__isnull=True, organization__isnull=False)),
                name="integrations_connection_one_workspace"),
            models.CheckConstraint(condition=Q(kind__in=["github", "gitlab", "jira"]),
                                   name="integrations_connection_kind_known"),
            models.CheckConstraint(condition=Q(auth__in=["app", "token", "oauth"]),
                                   name="integrations_connection_auth_known"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label or 'not set up'}"

    @property
    def usable(self) -> bool:
        return self.health == self.Health.OK


class Push(models.Model):
    """One ticket sent to one connection, and the attempts to do it.

    Moves by conditional update: pending → sending (one worker claimed it; attempts + 1) →
    done, or back to pending for a retry, or failed after the last attempt. Before any create
    after the first attempt, the tracker is searched for the ticket's marker, so an issue the
    tracker made before a timeout is adopted, never made twice. `action` is what the next
    attempt does: create the issue, or update the one it already made (`remote_*`).
    A child push (a story of a pushed epic) waits for its parent's issue."""

    class State(models.TextChoices):
        PENDING = "pending", _("Queued")
        SENDING = "sending", _("Sending")
        DONE = "done", _("Sent")
        FAILED = "failed", _("Failed")

    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update")

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="pushes")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="pushes")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="children")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    action = models.CharField(max_length=16, choices=Action.choices, default=Action.CREATE)
    # Attempts in the current round (an update or a retry by hand starts a new round).
    attempts = models.PositiveSmallIntegerField(default=0)
    # Whether any create request may have reached the tracker: from then on, search first.
    create_sent = models.BooleanField(default=False)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    remote_id = models.CharField(max_length=100, blank=True)  # their id (for API calls)
    remote_key = models.CharField(max_length=100, blank=True)  # what people read: SHOP-12, #34
    remote_url = models.URLField(max_length=500, blank=True)
    remote_extra = models.JSONField(default=dict, blank=True)  # e.g. GitHub's numeric id
    # A digest of what was sent last: an edited ticket differs, and is offered an update.
    sent_digest = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    first_sent_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "connection"],
                                    name="integrations_push_once_per_destination"),
            models.CheckConstraint(condition=Q(state__in=["pending", "sending", "done",
                                                          "failed"]),
                                   name="integrations_push_state_known"),
            # A finished push knows the issue it made.
            models.CheckConstraint(condition=~Q(state="done") | ~Q(remote_id=""),
                                   name="integrations_push_done_has_issue"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="integrations_push_due",
                         condition=Q(state__in=["pending", "sending"])),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.connection_id} ({self.state})"

    @property
    def marker(self) -> str:
        """The label/marker on the remote issue that finds it again: myba-<public id>."""
        return marker_for(self.ticket.public_id)


def marker_for(public_id: str) -> str:
    return f"myba-{public_id}"
from integrations.slack.models import SlackLink  # noqa: E402,F401
