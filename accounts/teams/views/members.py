"""The team page's changes: invitations, roles, limits, removal, ownership, budget, leaving.

Each POST answers with a redirect to the team page and a message; a form that does not
validate, or a rule the service refuses (TeamError), re-renders the page with the message
and a 400, having changed nothing; a role that may not act gets the 403 page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.teams import selectors, services
from accounts.teams.forms import BudgetForm, InviteForm, LimitsForm, RoleForm
from accounts.teams.models import Invitation, Membership
from accounts.teams.roles import Role
from accounts.teams.views.pages import detail_context


def _refused(request, membership, message: str, **forms):
    messages.error(request, message)
    return render(request, "teams/detail.html", detail_context(request, membership, **forms),
                  status=400)


def _back(membership):
    return redirect("teams:detail", slug=membership.organization.slug)


def _apply(request, mine, change, success: str):
    """Make `change` (a service call); on TeamError re-render the page with the reason,
    else redirect back to it with `success`."""
    try:
        change()
    except services.TeamError as error:
        return _refused(request, mine, error.message)
    messages.success(request, success)
    return _back(mine)


def _member(mine, member_id) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user", "organization"),
                             pk=member_id, organization=mine.organization)


def _invitation(mine, invitation_id) -> Invitation:
    return get_object_or_404(selectors.list_open_invitations(mine.organization)
                             .select_related("organization"), pk=invitation_id)


@login_required
@require_POST
def invite(request, slug):
    mine = selectors.get_membership_for(request, slug, manage=True)
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _refused(request, mine, _("The invitation was not sent: check the form."),
                        invite_form=form)
    try:
        invitation = services.invite_member(actor=request.user, organization=mine.organization,
                                            **form.cleaned_data)
    except services.TeamError as error:
        return _refused(request, mine, error.message, invite_form=form)
    messages.success(request, _("Invitation sent to %(email)s. The link works for %(days)s days.")
                     % {"email": invitation.email, "days": services.INVITATION_DAYS})
    return _back(mine)


@login_required
@require_POST
def resend(request, slug, invitation_id):
    mine = selectors.get_membership_for(request, slug, manage=True)
    invitation = _invitation(mine, invitation_id)
    return _apply(request, mine,
                  lambda: services.resend_invitation(actor=request.user, invitation=invitation),
                  _("Invitation sent again to %(email)s; the earlier link no longer works.")
                  % {"email": invitation.email})


@login_required
@require_POST
def revoke(request, slug, invitation_id):
    mine = selectors.get_membership_for(request, slug, manage=True)
    invitation = _invitation(mine, invitation_id)
    return _apply(request, mine,
                  lambda: services.revoke_invitation(actor=request.user, invitation=invitation),
                  _("The invitation to %(email)s was revoked.") % {"email": invitation.email})


@login_required
@require_POST
def change_role(request, slug, member_id):
    mine = selectors.get_membership_for(request, slug, manage=True)
    member = _member(mine, member_id)
    form = RoleForm(request.POST, prefix=f"m{member.pk}")
    if not form.is_valid():
        return _refused(request, mine, _("Choose admin, member or viewer."))
    role = form.cleaned_data["role"]
    return _apply(request, mine,
                  lambda: services.change_member_role(actor=request.user, membership=member,
                                                      role=role),
                  _("%(email)s is now %(role)s.") % {"email": member.user.email,
                                                      "role": str(Role(role).label).lower()})


@login_required
@require_POST
def set_limits(request, slug, member_id):
    mine = selectors.get_membership_for(request, slug, manage=True)
    member = _member(mine, member_id)
    form = LimitsForm(request.POST, prefix=f"m{member.pk}")
    if not form.is_valid():
        errors = "; ".join(e for field in form.errors.values() for e in field)
        return _refused(request, mine, _("The limits of %(email)s were not changed: %(errors)s")
                        % {"email": member.user.email, "errors": errors})
    return _apply(request, mine,
                  lambda: services.set_member_limits(
                      actor=request.user, membership=member,
                      daily=form.cleaned_data["daily_limit"],
                      monthly=form.cleaned_data["monthly_limit"]),
                  _("The limits of %(email)s are saved; they apply to their next generation.")
                  % {"email": member.user.email})


@login_required
@require_POST
def remove(request, slug, member_id):
    mine = selectors.get_membership_for(request, slug, manage=True)
    member = _member(mine, member_id)
    return _apply(request, mine,
                  lambda: services.remove_member(actor=request.user, membership=member),
                  _("%(email)s was removed from the team. The tickets they made stay the "
                    "team's.") % {"email": member.user.email})


@login_required
@require_POST
def transfer(request, slug, member_id):
    mine = selectors.get_membership_for(request, slug, manage=True)
    member = _member(mine, member_id)
    return _apply(request, mine,
                  lambda: services.transfer_ownership(actor=request.user, membership=member),
                  _("%(email)s owns the team now; you are an admin.")
                  % {"email": member.user.email})


@login_required
@require_POST
def set_budget(request, slug):
    mine = selectors.get_membership_for(request, slug, manage=True)
    form = BudgetForm(request.POST)
    if not form.is_valid():
        return _refused(request, mine, _("The budget was not changed: check the form."),
                        budget_form=form)
    try:
        services.set_monthly_budget(actor=request.user, organization=mine.organization,
                                    budget=form.cleaned_data["monthly_budget"])
    except services.TeamError as error:
        return _refused(request, mine, error.message, budget_form=form)
    budget = form.cleaned_data["monthly_budget"]
    messages.success(request, _("The team has no monthly budget now.") if budget is None else
                     ngettext("The team may spend %(count)s token per month (UTC).",
                              "The team may spend %(count)s tokens per month (UTC).",
                              budget) % {"count": budget})
    return _back(mine)


@login_required
@require_POST
def leave(request, slug):
    mine = selectors.get_membership_for(request, slug)
    team = mine.organization
    try:
        services.leave_organization(user=request.user, organization=team,
                                    session=request.session)
    except services.TeamError as error:
        return _refused(request, mine, error.message)
    messages.success(request, _("You left %(team)s. Its tickets stay with the team.")
                     % {"team": team.name})
    return redirect("teams:list")
