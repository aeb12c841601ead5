import uuid

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    """Users are identified by email; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None
    email = models.EmailField(_("email address"), unique=True)
    # The user's tokens; opened at sign-up (or lazily by get_or_open_user_account).
    token_account = models.OneToOneField(
        "tokens.TokenAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="user",
    )

    # When the user put away the first-time welcome that explains tokens (set once, by
    # accounts.services.dismiss_welcome); until then every page shows it. Users who existed
    # before the welcome did were marked welcomed by migration 0004.
    welcomed_at = models.DateTimeField(null=True, blank=True)
    # The user's own day (the daily bonus's calendar day), an IANA name.
    time_zone = models.CharField(max_length=64, default="UTC")
    # The interface language (a code of settings.LANGUAGES); empty: the browser's choice.
    language = models.CharField(max_length=10, blank=True)
    # The language new tickets are written in (accounts.languages.TICKET_LANGUAGES); empty:
    # the interface language.
    ticket_language = models.CharField(max_length=10, blank=True)
    # Set by the referral fraud gates (or staff): growth rewards (daily bonus, gifts,
    # referral rewards) are off while it is set.
    growth_flagged_at = models.DateTimeField(null=True, blank=True)
    growth_flag_reason = models.CharField(max_length=200, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["-date_joined"]

    def __str__(self) -> str:
        return self.email


class AnonymousVisitor(models.Model):
    """A browser without an account, remembered by a signed cookie holding `public_id`.

    Created only at the visitor's first costed action or sign-up, never by a page view.
    Its tokens live in the ledger (`token_account`), never in the browser.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    token_account = models.OneToOneField(
        "tokens.TokenAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visitor",
    )
    # HMAC of the client's network (see accounts.network), never the raw IP.
    ip_hash = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    granted_at = models.DateTimeField(null=True, blank=True)
    # Set when the network had used up its free grants for the day: this visitor gets 0.
    grant_denied_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_visitors",
    )
    merged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(granted_at__isnull=True) | Q(grant_denied_at__isnull=True),
                name="accounts_visitor_granted_xor_denied",
            ),
        ]

    def __str__(self) -> str:
        return f"visitor {self.public_id}"


class VisitorGrantQuota(models.Model):
    """How many free visitor grants one network has received on one day.

    The row is locked (select_for_update) while a grant is decided, so concurrent visitors
    from one network cannot exceed the cap; the CHECK keeps the count sane.
    """

    ip_hash = models.CharField(max_length=64)
    day = models.DateField()
    grants = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ip_hash", "day"], name="accounts_quota_one_per_day"),
            models.CheckConstraint(condition=Q(grants__gte=0), name="accounts_quota_grants_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.ip_hash[:12]} {self.day}: {self.grants}"


class StaffAction(models.Model):
    """The audit log of staff actions (token adjustments, webhook retries, deactivations).

    Append-only: written by `accounts.services.record_staff_action` in the same transaction
    as the action it records, shown on the staff dashboard and read-only in the admin.
    """

    class Action(models.TextChoices):
        ADJUST_TOKENS = "adjust_tokens", "Adjusted tokens"
        DEACTIVATE_USER = "deactivate_user", "Deactivated user"
        RETRY_WEBHOOK = "retry_webhook", "Retried webhook"
        APPROVE_REFERRAL = "approve_referral", "Approved a referral"
        REJECT_REFERRAL = "reject_referral", "Rejected a referral"
        START_PROMPT_EXPERIMENT = "start_prompt_experiment", "Started a prompt experiment"
        STOP_PROMPT_EXPERIMENT = "stop_prompt_experiment", "Stopped a prompt experiment"
        MAKE_PROMPT_LIVE = "make_prompt_live", "Made a prompt version live"

    actor = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="staff_actions"
    )
    action = models.CharField(max_length=32, choices=Action.choices)
    target = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff_actions_received",
    )
    reason = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""), name="accounts_staff_action_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor} at {self.created_at:%Y-%m-%d %H:%M}"


class ClosedAccountEmail(models.Model):
    """An email address of an account its owner deleted, kept only as a keyed hash.

    Deleting frees the address for a new account; this row is how that new account is known
    to have had its welcome bonus already (accounts.services.on_user_signed_up grants none).
    A hash, not the address, and no link to the closed user: the anonymized account stays
    anonymous. Written by accounts.services.close_user_account in the deletion's transaction.
    """

    email_hash = models.CharField(max_length=64, unique=True)
    closed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"closed account email {self.email_hash[:12]}"

    @staticmethod
    def hash(email: str) -> str:
        """HMAC-SHA256 of the normalized address keyed with SECRET_KEY (a list of guessed
        addresses cannot be checked against the table without the key)."""
        normalized = email.strip().lower()
        digest = salted_hmac("accounts.closed-account-email", normalized, algorithm="sha256")
        return digest.hexdigest()


class EmailKind(models.TextChoices):
    """The emails a user may turn off (settings page, or the link in each email). The banner
    in the app stays whatever the choice."""

    LOW_BALANCE = "low_balance", _("Low balance")
    RUNWAY = "runway", _("Tokens running out")
    EXPIRY = "expiry", _("Tokens about to expire")
    SECURITY = "security", _("Sign-in from a new browser or device")


class EmailOptOut(models.Model):
    """A kind of email the user turned off (every kind is on until then)."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE,
                             related_name="email_opt_outs")
    kind = models.CharField(max_length=32, choices=EmailKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="accounts_opt_out_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} opted out of {self.kind}"


class BalanceAlert(models.Model):
    """One alert about a user's tokens: a crossing of their low-balance level, a runway under
    a week, a lot about to expire. Its unique `key` makes each event alert once (one row per
    crossing, per user and week, per lot); the row is the banner until dismissed, and
    `emailed_at` records the one email (set by a conditional update: never sent twice)."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE,
                             related_name="balance_alerts")
    kind = models.CharField(max_length=32, choices=EmailKind.choices)
    key = models.CharField(max_length=120, unique=True)
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], condition=Q(dismissed_at__isnull=True),
                         name="accounts_alert_open_by_user"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} alert for {self.user}: {self.message}"


class SignInRecord(models.Model):
    """One sign-in: when, from where (IP address, browser), and whether from a browser this
    user had not signed in from before (`device`: a keyed hash of the long-lived device
    cookie, never the cookie itself). A new device gets one email (`emailed_at`, set by a
    conditional update); the user's very first sign-in is not "new"."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE,
                             related_name="sign_ins")
    created_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    device = models.CharField(max_length=64)
    new_device = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "device"], name="accounts_signin_device")]

    def __str__(self) -> str:
        return f"{self.user} signed in at {self.created_at:%Y-%m-%d %H:%M}"


# Teams live in their own module; imported here so Django finds their models.
from accounts.apikeys.models import ApiKey, ApiKeyEvent  # noqa: E402,F401
from accounts.teams.models import (  # noqa: E402,F401
    Invitation,
    Membership,
    Organization,
    TeamEvent,
    TeamLimitAlert,
)
from accounts.webhooks.models import WebhookDelivery, WebhookEndpoint  # noqa: E402,F401
