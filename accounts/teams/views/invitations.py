"""The page an invitation link opens: who invites you where, and the way in.

Signed out, it offers sign-up (the address it was sent to counts as confirmed: the link
came to that inbox) or sign-in, both coming back here; signed in, one button joins.
"""

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.teams import selectors, services


def _problem(invitation) -> str:
    if invitation is None:
        return _("This invitation link is not valid any more: ask for a new one.")
    if invitation.revoked_at is not None:
        return _("This invitation was revoked.")
    if invitation.accepted_at is not None:
        return _("This invitation was already used.")
    if invitation.expires_at <= timezone.now():
        return _("This invitation has expired: ask an admin to resend it.")
    return ""


def _joined(request, membership):
    team = membership.organization
    services.switch_workspace(user=request.user, session=request.session, slug=team.slug)
    messages.success(request, _("Welcome to %(team)s. You are working in its workspace: what "
                                "you generate spends the team's pool.") % {"team": team.name})
    return redirect("teams:detail", slug=team.slug)


@login_required
@require_POST
def join(request, invitation_id):
    """Accept, from the Teams page, an open invitation sent to the signed-in address (it is
    the account's own, confirmed address: the emailed link proves nothing more)."""
    invitation = selectors.list_invitations_for(request.user).filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404("No open invitation for your address.")
    try:
        membership = services.accept_invitation(user=request.user, key=invitation.key)
    except services.TeamError as error:
        messages.error(request, error.message)
        return redirect("teams:list")
    return _joined(request, membership)


@require_http_methods(["GET", "POST"])
def invitation(request, token):
    key = services.read_invitation_token(token) or ""
    invitation = selectors.get_invitation_by_key(key) if key else None
    problem = _problem(invitation)
    user = request.user
    if not problem and request.method == "POST" and user.is_authenticated:
        try:
            membership = services.accept_invitation(user=user, key=key)
        except services.TeamError as error:
            problem = error.message
        else:
            return _joined(request, membership)
    if not problem and not user.is_authenticated:
        # Signing up with the invited address needs no second confirmation email.
        get_adapter(request).stash_verified_email(request, invitation.email)
    status = 200 if not problem else (404 if invitation is None else 400)
    return render(request, "teams/invitation.html", {
        "invitation": None if invitation is None else invitation,
        "problem": problem,
        "wrong_account": (user.is_authenticated and invitation is not None
                          and invitation.email.lower() != user.email.lower()),
        "path": request.path,
    }, status=status)
