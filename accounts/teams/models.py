"""Organizations, their members, invitations, audit log and limit alerts."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from accounts.teams.roles import ASSIGNABLE, Role

# No limit may be set above this (a typo of extra zeros is refused, not stored).
MAX_LIMIT = 1_000_000


class Organization(models.Model):
    """A team. Its `token_account` is the pool its members generate from."""

    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=50, unique=True)
    token_account = models.OneToOneField(
        "tokens.TokenAccount", on_delete=models.PROTECT, related_name="organization")
    # Tokens the whole team may spend per calendar month (UTC); None: no budget.
    monthly_budget = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(monthly_budget__lte=MAX_LIMIT),
                                   name="accounts_org_budget_sane"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person in a team, with a role and their own spending limits on the pool (None: no
    limit; counted in UTC days and months)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE,
                                     related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    daily_limit = models.PositiveIntegerField(null=True, blank=True)
    monthly_limit = models.PositiveIntegerField(null=True, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"],
                                    name="accounts_one_membership_per_team"),
            models.CheckConstraint(condition=Q(role__in=Role.values),
                                   name="accounts_membership_role_known"),
            models.CheckConstraint(
                condition=Q(daily_limit__lte=MAX_LIMIT) & Q(monthly_limit__lte=MAX_LIMIT),
                name="accounts_membership_limits_sane"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.organization}"


class Invitation(models.Model):
    """An emailed invitation into a team. The link carries `key` signed; accepting it is a
    conditional update of `accepted_at`, so it works once; a resend gives a new key (the old
    link stops working); it expires at `expires_at`."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE,
                                     related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=[(r.value, r.label) for r in ASSIGNABLE])
    key = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open invitation per address and team: inviting again resends it.
            models.UniqueConstraint(
                "organization", Lower("email"),
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="accounts_one_open_invitation"),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.organization}"


class TeamEvent(models.Model):
    """The team's audit log: who did what to whom, when. Append-only, written in the same
    transaction as the change it records."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created the team")
        INVITED = "invited", _("Invited")
        RESENT = "resent", _("Resent the invitation to")
        REVOKED = "revoked", _("Revoked the invitation of")
        JOINED = "joined", _("Joined")
        ROLE_CHANGED = "role_changed", _("Changed the role of")
        OWNERSHIP_TRANSFERRED = "ownership_transferred", _("Transferred ownership to")
        REMOVED = "removed", _("Removed")
        LEFT = "left", _("Left the team")
        LIMITS_CHANGED = "limits_changed", _("Changed the limits of")
        BUDGET_CHANGED = "budget_changed", _("Changed the team's monthly budget")
        TICKET_MOVED = "ticket_moved", _("Moved a ticket into the team")
        BOUGHT = "bought", _("Bought tokens for the team")
        WEBHOOK_SET = "webhook_set", _("Set the webhook endpoint to")
        WEBHOOK_ROTATED = "webhook_rotated", _("Rotated the signing secret of the webhook")
        WEBHOOK_DELETED = "webhook_deleted", _("Deleted the webhook endpoint")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE,
                                     related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                              related_name="+")
    action = models.CharField(max_length=32, choices=Action.choices)
    subject = models.CharField(max_length=254, blank=True)  # an email, or a ticket's id
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"],
                                name="accounts_team_event_recent")]

    def __str__(self) -> str:
        return f"{self.actor} {self.get_action_display()} {self.subject}"


class TeamLimitAlert(models.Model):
    """One crossing of 80% or 100% of a limit (a member's day or month, the pool's monthly
    budget) in one period: the unique `key` makes each crossing alert once, however many
    generations cross it at the same moment; `emailed_at` records the one email to admins."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE,
                                     related_name="limit_alerts")
    key = models.CharField(max_length=160, unique=True)
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.message
