"""Every write about teams. Membership changes lock the organization row first, so the
last-owner rule and one membership per person hold under concurrent clicks; each change and
its audit event commit together.

Errors: `TeamError` (bad input or a rule, shown to the person; nothing written) and
`django.core.exceptions.PermissionDenied` (their role cannot do it).
"""

import secrets
from datetime import timedelta

from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.teams.models import (
    MAX_LIMIT,
    Invitation,
    Membership,
    Organization,
    TeamEvent,
)
from accounts.teams.roles import ASSIGNABLE, Role, can_manage
from accounts.teams.selectors import WORKSPACE_SESSION_KEY
from tokens.services import open_account

INVITATION_DAYS = 7
_INVITATION_SALT = "accounts.teams.invitation"
# Words that would read as pages of /teams/ rather than a team.
RESERVED_SLUGS = {"new", "switch", "invitations", "join"}


class TeamError(Exception):
    """A request the rules refuse; `message` is safe to show."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def _record(organization: Organization, actor, action: str, subject: str = "", **details):
    TeamEvent.objects.create(organization=organization, actor=actor, action=action,
                             subject=subject, details=details)


def _lock(organization: Organization) -> Organization:
    return Organization.objects.select_for_update().get(pk=organization.pk)


def _actor_membership(organization: Organization, actor, *, manage: bool = True) -> Membership:
    membership = Membership.objects.filter(organization=organization, user=actor).first()
    if membership is None:
        raise PermissionDenied(_("You are not in this team."))
    if manage and not can_manage(membership.role):
        raise PermissionDenied(_("Only the team's owners and admins can do that."))
    return membership


def _actor_and_target(organization: Organization, actor,
                      membership: Membership) -> tuple[Membership, Membership]:
    """Lock the team's row, then read the acting member (an owner or admin) and the target."""
    _lock(organization)
    return _actor_membership(organization, actor), _target(organization, membership)


def _owner_count(organization: Organization) -> int:
    return Membership.objects.filter(organization=organization, role=Role.OWNER).count()


def create_organization(*, user, name: str, slug: str = "") -> Organization:
    """Create a team owned by `user`.

    Writes (one transaction): the team's empty token pool, the Organization, the owner's
    Membership and a `created` event. Raises TeamError for an empty name or a slug that is
    taken or reserved.
    """
    name = name.strip()
    if not name:
        raise TeamError(_("Give the team a name."))
    slug = slugify(slug or name)[:50].strip("-")
    if not slug or slug in RESERVED_SLUGS:
        raise TeamError(_("Choose another short name for the team's address."))
    try:
        with transaction.atomic():
            team = Organization.objects.create(
                name=name[:80], slug=slug, created_by=user,
                token_account=open_account(label=f"team:{slug}"))
            Membership.objects.create(organization=team, user=user, role=Role.OWNER)
            _record(team, user, TeamEvent.Action.CREATED, team.name)
    except IntegrityError as error:
        raise TeamError(_("The address /teams/%(slug)s/ is taken: choose another.")
                        % {"slug": slug}) from error
    return team


def invitation_token(invitation: Invitation) -> str:
    """The signed token in an invitation link."""
    return signing.dumps(invitation.key, salt=_INVITATION_SALT)


def read_invitation_token(token: str) -> str | None:
    """The invitation key a link carries; None when the link was tampered with."""
    try:
        return signing.loads(token, salt=_INVITATION_SALT)
    except signing.BadSignature:
        return None


def _send_invitation_on_commit(invitation: Invitation) -> None:
    from accounts.teams.tasks import send_invitation_task

    pk = invitation.pk
    transaction.on_commit(lambda: send_invitation_task.delay(pk))


def invite_member(*, actor, organization: Organization, email: str, role: str) -> Invitation:
    """Invite `email` into the team as `role` (admin, member or viewer).

    Writes (the organization row locked): an Invitation expiring in INVITATION_DAYS, or, when
    that address already has an open one, that invitation with a new link, role and expiry;
    an `invited` event; on commit, the email. Raises PermissionDenied unless `actor` is an
    owner or admin, TeamError for an unknown role or someone already in the team.
    """
    email = email.strip().lower()
    if role not in ASSIGNABLE:
        raise TeamError(_("Choose admin, member or viewer."))
    with transaction.atomic():
        _lock(organization)
        _actor_membership(organization, actor)
        if Membership.objects.filter(organization=organization,
                                     user__email__iexact=email).exists():
            raise TeamError(_("%(email)s is already in %(team)s.")
                            % {"email": email, "team": organization.name})
        now = timezone.now()
        invitation = (Invitation.objects.select_for_update()
                      .filter(organization=organization, email__iexact=email,
                              accepted_at__isnull=True, revoked_at__isnull=True).first())
        fields = {"role": role, "key": secrets.token_urlsafe(32), "invited_by": actor,
                  "sent_at": now, "expires_at": now + timedelta(days=INVITATION_DAYS)}
        if invitation is None:
            invitation = Invitation.objects.create(organization=organization, email=email,
                                                   **fields)
        else:
            for field, value in fields.items():
                setattr(invitation, field, value)
            invitation.save(update_fields=list(fields))
        _record(organization, actor, TeamEvent.Action.INVITED, email, role=role)
        _send_invitation_on_commit(invitation)
    return invitation


def _open_invitation(actor, invitation: Invitation) -> Invitation:
    _lock(invitation.organization)
    _actor_membership(invitation.organization, actor)
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None or locked.revoked_at is not None:
        raise TeamError(_("That invitation was already accepted or revoked."))
    return locked


def resend_invitation(*, actor, invitation: Invitation) -> Invitation:
    """Send an open invitation again with a new link (the old one stops working) and a new
    expiry. Writes the invitation and a `resent` event; on commit, the email."""
    with transaction.atomic():
        invitation = _open_invitation(actor, invitation)
        now = timezone.now()
        invitation.key = secrets.token_urlsafe(32)
        invitation.sent_at = now
        invitation.expires_at = now + timedelta(days=INVITATION_DAYS)
        invitation.save(update_fields=["key", "sent_at", "expires_at"])
        _record(invitation.organization, actor, TeamEvent.Action.RESENT, invitation.email)
        _send_invitation_on_commit(invitation)
    return invitation


def revoke_invitation(*, actor, invitation: Invitation) -> None:
    """Revoke an open invitation: its link stops working. Writes `revoked_at` and an event."""
    with transaction.atomic():
        invitation = _open_invitation(actor, invitation)
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        _record(invitation.organization, actor, TeamEvent.Action.REVOKED, invitation.email)


def accept_invitation(*, user, key: str) -> Membership:
    """Join the team `key`'s invitation is for, as its role.

    Writes (the organization row locked): the invitation's `accepted_at`/`accepted_by` by a
    conditional update (a second accept, even a concurrent one, changes nothing), the
    Membership and a `joined` event. Raises TeamError — nothing written — for an unknown,
    revoked, used or expired invitation, one for another email address, or someone already
    in the team.
    """
    invitation = Invitation.objects.select_related("organization").filter(key=key).first()
    if invitation is None:
        raise TeamError(_("This invitation link is not valid any more: ask for a new one."))
    team = invitation.organization
    with transaction.atomic():
        _lock(team)
        invitation.refresh_from_db()
        if invitation.revoked_at is not None:
            raise TeamError(_("This invitation was revoked."))
        if invitation.accepted_at is not None:
            raise TeamError(_("This invitation was already used."))
        if invitation.expires_at <= timezone.now():
            raise TeamError(_("This invitation has expired: ask an admin to resend it."))
        if invitation.email.lower() != user.email.lower():
            raise TeamError(_("This invitation is for %(email)s; you are signed in as %(current)s.")
                            % {"email": invitation.email, "current": user.email})
        if Membership.objects.filter(organization=team, user=user).exists():
            raise TeamError(_("You are already in %(team)s.") % {"team": team.name})
        Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
            accepted_at=timezone.now(), accepted_by=user)
        membership = Membership.objects.create(organization=team, user=user,
                                               role=invitation.role)
        _record(team, user, TeamEvent.Action.JOINED, user.email, role=invitation.role)
    return membership


def _target(organization: Organization, membership: Membership) -> Membership:
    locked = (Membership.objects.select_for_update().select_related("user")
              .filter(pk=membership.pk, organization=organization).first())
    if locked is None:
        raise TeamError(_("That person is no longer in the team."))
    return locked


def change_member_role(*, actor, membership: Membership, role: str) -> Membership:
    """Give a member another role (admin, member or viewer).

    Writes the role and a `role_changed` event (organization row locked). Raises
    PermissionDenied unless `actor` is an owner or admin — and an owner to change an owner's
    role — and TeamError for an unknown role or the last owner.
    """
    if role not in ASSIGNABLE:
        raise TeamError(_("Choose admin, member or viewer (ownership is transferred instead)."))
    team = membership.organization
    with transaction.atomic():
        mine, target = _actor_and_target(team, actor, membership)
        if target.role == Role.OWNER:
            if mine.role != Role.OWNER:
                raise PermissionDenied(_("Only an owner can change an owner's role."))
            if _owner_count(team) == 1:
                raise TeamError(_("A team needs an owner: transfer ownership first."))
        before = target.role
        target.role = role
        target.save(update_fields=["role"])
        _record(team, actor, TeamEvent.Action.ROLE_CHANGED, target.user.email,
                before=before, after=role)
    return target


def transfer_ownership(*, actor, membership: Membership) -> Membership:
    """Make `membership` an owner and the acting owner an admin.

    Writes both roles and an `ownership_transferred` event (organization row locked). Raises
    PermissionDenied unless `actor` is an owner; TeamError when the target is the actor.
    """
    team = membership.organization
    with transaction.atomic():
        _lock(team)
        mine = _actor_membership(team, actor)
        if mine.role != Role.OWNER:
            raise PermissionDenied(_("Only an owner can transfer ownership."))
        target = _target(team, membership)
        if target.pk == mine.pk:
            raise TeamError(_("You already own this team."))
        target.role = Role.OWNER
        target.save(update_fields=["role"])
        mine.role = Role.ADMIN
        mine.save(update_fields=["role"])
        _record(team, actor, TeamEvent.Action.OWNERSHIP_TRANSFERRED, target.user.email)
    return target


def remove_member(*, actor, membership: Membership) -> None:
    """Remove someone from the team (removing yourself is leaving: `leave_organization`).

    Writes: the Membership deleted and a `removed` event (organization row locked). Their
    tickets stay the team's. Raises PermissionDenied unless `actor` is an owner or admin (an
    owner to remove an owner), TeamError for the last owner.
    """
    team = membership.organization
    with transaction.atomic():
        mine, target = _actor_and_target(team, actor, membership)
        if target.pk == mine.pk:
            raise TeamError(_("To leave the team, use Leave team."))
        if target.role == Role.OWNER and mine.role != Role.OWNER:
            raise PermissionDenied(_("Only an owner can remove an owner."))
        if target.role == Role.OWNER and _owner_count(team) == 1:
            raise TeamError(_("A team needs an owner."))
        target.delete()
        _record(team, actor, TeamEvent.Action.REMOVED, target.user.email)


def leave_organization(*, user, organization: Organization, session=None) -> None:
    """Leave a team. Writes: the Membership deleted and a `left` event (organization row
    locked); the session's workspace back to personal. Raises TeamError for the last owner."""
    with transaction.atomic():
        _lock(organization)
        mine = _actor_membership(organization, user, manage=False)
        if mine.role == Role.OWNER and _owner_count(organization) == 1:
            raise TeamError(_("You are the team's only owner: transfer ownership before leaving."))
        mine.delete()
        _record(organization, user, TeamEvent.Action.LEFT, user.email)
    if session is not None and session.get(WORKSPACE_SESSION_KEY) == organization.slug:
        session.pop(WORKSPACE_SESSION_KEY)


def leave_all_teams(*, user) -> int:
    """Take a closing account out of every team it is in (in the caller's transaction).

    Writes, per team (its row locked): the Membership deleted and a `left` event. Raises
    TeamError — the caller's transaction then writes nothing — when `user` is the only owner
    of a team that has other members: someone must own it first. Returns how many it left.
    """
    left = 0
    for membership in Membership.objects.filter(user=user).select_related("organization"):
        team = _lock(membership.organization)
        others = Membership.objects.filter(organization=team).exclude(user=user)
        if (membership.role == Role.OWNER and _owner_count(team) == 1 and others.exists()):
            raise TeamError(_("You are the only owner of %(team)s: make someone else its owner "
                              "on the team's page before deleting your account.")
                            % {"team": team.name})
        membership.delete()
        _record(team, user, TeamEvent.Action.LEFT, user.email)
        left += 1
    return left


def _check_limit(value: int | None, what: str) -> None:
    if value is not None and not 0 <= value <= MAX_LIMIT:
        raise TeamError(_("%(what)s must be between 0 and %(max)s tokens, or no limit.")
                        % {"what": what, "max": f"{MAX_LIMIT:,}"})


def set_member_limits(*, actor, membership: Membership, daily: int | None,
                      monthly: int | None) -> Membership:
    """Set a member's daily and monthly token limits on the pool (None: no limit; 0: may not
    spend). Takes effect on the next generation: the hold transaction reads them.

    Writes the limits and a `limits_changed` event (organization row locked). Raises
    PermissionDenied unless `actor` is an owner or admin, TeamError for a negative or absurd
    limit.
    """
    _check_limit(daily, _("A daily limit"))
    _check_limit(monthly, _("A monthly limit"))
    team = membership.organization
    with transaction.atomic():
        _mine, target = _actor_and_target(team, actor, membership)
        target.daily_limit, target.monthly_limit = daily, monthly
        target.save(update_fields=["daily_limit", "monthly_limit"])
        _record(team, actor, TeamEvent.Action.LIMITS_CHANGED, target.user.email,
                daily=daily, monthly=monthly)
    return target


def set_monthly_budget(*, actor, organization: Organization, budget: int | None) -> None:
    """Set the tokens the whole team may spend per month (None: no budget). Writes the
    budget and a `budget_changed` event. Raises as `set_member_limits`."""
    _check_limit(budget, _("A monthly budget"))
    with transaction.atomic():
        team = _lock(organization)
        _actor_membership(team, actor)
        team.monthly_budget = budget
        team.save(update_fields=["monthly_budget"])
        _record(team, actor, TeamEvent.Action.BUDGET_CHANGED, team.name, budget=budget)


def switch_workspace(*, user, session, slug: str) -> Organization | None:
    """Make team `slug` (or, for "", the personal account) the session's workspace. Writes
    the session only. Raises TeamError when `user` is not in that team."""
    if not slug:
        session.pop(WORKSPACE_SESSION_KEY, None)
        return None
    membership = (Membership.objects.select_related("organization")
                  .filter(user=user, organization__slug=slug).first())
    if membership is None:
        raise TeamError(_("You are not in that team."))
    session[WORKSPACE_SESSION_KEY] = slug
    return membership.organization


def record_ticket_moved(*, actor, organization: Organization, public_id: str) -> None:
    """The audit event of a personal ticket moved into the team (written by the tickets app
    in the move's transaction)."""
    _record(organization, actor, TeamEvent.Action.TICKET_MOVED, public_id)


def record_team_purchase(*, token_account_id: int, buyer, what: str, tokens: int) -> bool:
    """The audit event of tokens bought for a team's pool (written by billing once the
    purchase is credited). Returns False when the account is no team's pool."""
    team = Organization.objects.filter(token_account_id=token_account_id).first()
    if team is None:
        return False
    _record(team, buyer, TeamEvent.Action.BOUGHT, what, tokens=tokens)
    return True


def record_webhook_change(*, actor, organization: Organization, action: str, url: str) -> None:
    """The audit event of a change to the team's webhook (written in the change's transaction)."""
    _record(organization, actor, action, url)
