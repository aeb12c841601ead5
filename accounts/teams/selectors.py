"""Reads about teams: memberships, the current workspace, members, invitations, events."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from accounts.teams.models import Invitation, Membership, Organization, TeamEvent
from accounts.teams.roles import can_generate, can_manage
from config.shared_tables import SharedRows

# The session key holding the current workspace: a team's slug (absent: personal).
WORKSPACE_SESSION_KEY = "workspace"


def list_memberships(user) -> QuerySet[Membership]:
    """The teams `user` is in, with each team and its pool."""
    return (Membership.objects.filter(user=user)
            .select_related("organization__token_account").order_by("organization__name"))


def list_team_choices(user) -> list[tuple[str, str]]:
    """(slug, name) of the teams `user` is in, by name: the header's workspace switcher, on
    every signed-in page, so kept in each process until a membership or a team changes."""
    return TEAM_CHOICES.get(user.pk)


def _read_team_choices(user_id: int) -> list[tuple[str, str]]:
    return list(Membership.objects.filter(user_id=user_id).order_by("organization__name")
                .values_list("organization__slug", "organization__name"))


# Renewed when a membership or a team changes (accounts/apps.py).
TEAM_CHOICES = SharedRows("team-choices", _read_team_choices)


@dataclass(frozen=True)
class Workspace:
    """Where this request acts: the person's own account, or a team they are in."""

    membership: Membership | None = None

    @property
    def organization(self) -> Organization | None:
        return self.membership.organization if self.membership else None

    @property
    def organization_id(self) -> int | None:
        return self.membership.organization_id if self.membership else None

    @property
    def is_team(self) -> bool:
        return self.membership is not None

    @property
    def can_generate(self) -> bool:
        return self.membership is None or can_generate(self.membership.role)

    @property
    def can_manage(self) -> bool:
        return self.membership is not None and can_manage(self.membership.role)


_WORKSPACE_ATTR = "_myba_workspace"


def get_workspace(request: HttpRequest) -> Workspace:
    """The current workspace: the team named in the session if the signed-in user is still a
    member (checked on every request), else personal. Read once per request."""
    if not hasattr(request, _WORKSPACE_ATTR):
        setattr(request, _WORKSPACE_ATTR, _read_workspace(request))
    return getattr(request, _WORKSPACE_ATTR)


def _read_workspace(request: HttpRequest) -> Workspace:
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    slug = session.get(WORKSPACE_SESSION_KEY) if session is not None else None
    if not slug or user is None or not user.is_authenticated:
        return Workspace()
    membership = (Membership.objects.filter(user=user, organization__slug=slug)
                  .select_related("organization__token_account").first())
    return Workspace(membership)


def get_membership_for(request: HttpRequest, slug: str, *, manage: bool = False) -> Membership:
    """The signed-in user's membership of team `slug`: 404 when they are not in it (a team's
    existence is not revealed), 403 when `manage` and their role cannot manage the team."""
    user = request.user
    membership = (Membership.objects.filter(user=user, organization__slug=slug)
                  .select_related("organization__token_account").first()
                  if user.is_authenticated else None)
    if membership is None:
        raise Http404("No such team.")
    if manage and not can_manage(membership.role):
        raise PermissionDenied(_("Only the team's owners and admins can do that."))
    return membership


def list_members(organization: Organization) -> QuerySet[Membership]:
    return organization.memberships.select_related("user").order_by("joined_at", "id")


def list_open_invitations(organization: Organization) -> QuerySet[Invitation]:
    return organization.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True)


def list_events(organization: Organization) -> QuerySet[TeamEvent]:
    return organization.events.select_related("actor")


def team_ids_of(user) -> QuerySet:
    """The ids of the teams `user` is in (a subquery for "may this user see it")."""
    return Membership.objects.filter(user=user).values("organization_id")


def get_invitation_by_key(key: str) -> Invitation | None:
    return (Invitation.objects.select_related("organization", "invited_by")
            .filter(key=key).first())


@dataclass(frozen=True)
class MemberUsage:
    """One person's spending from a team's pool in a period (a former member too)."""

    email: str
    role: str  # "" once they left the team
    spent: int
    held: int  # pending now, in generations still running
    membership: Membership | None = None
    note: str = ""  # what the row is when it is no member's


@dataclass(frozen=True)
class TeamUsage:
    members: list[MemberUsage]
    spent: int  # everything the pool spent in the period, whoever spent it
    held: int


def team_usage(organization: Organization, *, start, end) -> TeamUsage:
    """Who spent what from the team's pool on the UTC days from `start` to before `end`,
    from the daily spend tallies by spender (`user:<id>`; `ledger_audit` checks them against
    the entries), current members first. `spent` is the pool's whole spending in the
    period, so the rows add up to the ledger's."""
    from django.contrib.auth import get_user_model
    from django.db.models import Sum

    from accounts.apikeys.models import ApiKey
    from tokens.models import Hold, HoldStatus, SpendTally

    account_id = organization.token_account_id
    spends = (SpendTally.objects.filter(account_id=account_id, day__gte=start, day__lt=end)
              .values_list("spender").annotate(total=Sum("tokens")))
    spent_by = dict(spends)
    held_by = dict(Hold.objects.filter(account_id=account_id, status=HoldStatus.PENDING)
                   .values_list("spender").annotate(total=Sum("amount")))
    members = list(list_members(organization))
    rows = [MemberUsage(email=m.user.email, role=m.role, membership=m,
                        spent=spent_by.get(f"user:{m.user_id}", 0),
                        held=held_by.get(f"user:{m.user_id}", 0)) for m in members]
    current = {f"user:{m.user_id}" for m in members}
    former_ids = {int(s.split(":", 1)[1]) for s in (spent_by.keys() | held_by.keys())
                  if s.startswith("user:") and s not in current}
    emails = dict(get_user_model().objects.filter(pk__in=former_ids)
                  .values_list("pk", "email"))
    for user_id in sorted(former_ids):
        key = f"user:{user_id}"
        rows.append(MemberUsage(email=emails.get(user_id, "A deleted account"), role="",
                                spent=spent_by.get(key, 0), held=held_by.get(key, 0),
                                note="Left the team"))
    key_ids = {int(s.split(":", 1)[1]) for s in (spent_by.keys() | held_by.keys())
               if s.startswith("apikey:")}
    names = dict(ApiKey.objects.filter(pk__in=key_ids).values_list("pk", "name"))
    for key_id in sorted(key_ids):
        key = f"apikey:{key_id}"
        rows.append(MemberUsage(email=f"API key “{names.get(key_id, key_id)}”", role="",
                                spent=spent_by.get(key, 0), held=held_by.get(key, 0),
                                note="Through the API"))
    unattributed = [s for s in (spent_by.keys() | held_by.keys())
                    if not s.startswith(("user:", "apikey:"))]
    if unattributed:  # spent by no one in particular (staff adjustments): still the pool's
        rows.append(MemberUsage(email="Not attributed to a member", role="",
                                spent=sum(spent_by.get(s, 0) for s in unattributed),
                                held=sum(held_by.get(s, 0) for s in unattributed)))
    return TeamUsage(members=rows, spent=sum(spent_by.values()),
                     held=sum(held_by.values()))


def list_invitations_for(user) -> QuerySet[Invitation]:
    """Open, unexpired invitations addressed to `user`'s email."""
    from django.utils import timezone

    return (Invitation.objects.filter(email__iexact=user.email, accepted_at__isnull=True,
                                      revoked_at__isnull=True, expires_at__gt=timezone.now())
            .select_related("organization", "invited_by"))
