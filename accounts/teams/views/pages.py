"""Your teams, one team's page, its audit log and its usage, and the workspace switch."""

from datetime import UTC, date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.teams import selectors, services
from accounts.teams.forms import BudgetForm, InviteForm, LimitsForm, RoleForm, SwitchForm, TeamForm
from accounts.teams.roles import Role, can_manage

AUDIT_PAGE_SIZE = 25
USAGE_MONTHS = 12


@login_required
@require_http_methods(["GET", "POST"])
def team_list(request):
    """Your teams and invitations waiting for you; POST creates a team (and switches to it)."""
    form = TeamForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                team = services.create_organization(user=request.user,
                                                    name=form.cleaned_data["name"])
            except services.TeamError as error:
                form.add_error("name", error.message)
            else:
                services.switch_workspace(user=request.user, session=request.session,
                                          slug=team.slug)
                messages.success(request, _("%(team)s is ready. Invite your teammates, then "
                                            "buy tokens for its pool.") % {"team": team.name})
                return redirect("teams:detail", slug=team.slug)
        status = 400
    return render(request, "teams/list.html", {
        "form": form,
        "memberships": selectors.list_memberships(request.user),
        "invitations": selectors.list_invitations_for(request.user),
        "workspace": selectors.get_workspace(request),
    }, status=status)


def detail_context(request, membership, **forms) -> dict:
    """What the team page shows (also re-rendered with a form's errors)."""
    team = membership.organization
    manager = can_manage(membership.role)
    members = list(selectors.list_members(team))
    return {
        "team": team,
        "membership": membership,
        "manager": manager,
        "is_owner": membership.role == Role.OWNER,
        "members": [(m, RoleForm(initial={"role": m.role}, prefix=f"m{m.pk}"),
                     LimitsForm(initial={"daily_limit": m.daily_limit,
                                         "monthly_limit": m.monthly_limit},
                                prefix=f"m{m.pk}")) for m in members],
        "invitations": selectors.list_open_invitations(team) if manager else [],
        "invite_form": forms.get("invite_form") or InviteForm(),
        "budget_form": forms.get("budget_form") or BudgetForm(
            initial={"monthly_budget": team.monthly_budget}),
        "pool": team.token_account,
        "now": timezone.now(),
        "in_workspace": selectors.get_workspace(request).organization == team,
    }


@login_required
@require_GET
def team_detail(request, slug):
    membership = selectors.get_membership_for(request, slug)
    return render(request, "teams/detail.html", detail_context(request, membership))


@login_required
@require_POST
def switch(request):
    """Make a team (or, empty, the personal account) this browser's workspace, then go back
    to the page the switch was made from."""
    form = SwitchForm(request.POST)
    slug = form.cleaned_data["workspace"] if form.is_valid() else ""
    try:
        team = services.switch_workspace(user=request.user, session=request.session, slug=slug)
    except services.TeamError as error:
        messages.error(request, error.message)
        return redirect("teams:list")
    messages.success(request, _("Now working in %(team)s: generating spends its pool.")
                     % {"team": team.name} if team else
                     _("Now working in your personal account."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = "/tickets/"
    return redirect(back)


@login_required
@require_GET
def audit_log(request, slug):
    """The team's audit log, newest first, for its owners and admins."""
    membership = selectors.get_membership_for(request, slug, manage=True)
    page = Paginator(selectors.list_events(membership.organization),
                     AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "teams/audit.html", {"team": membership.organization,
                                                "page": page, "membership": membership})


def _months(today: date) -> list[date]:
    months, month = [], today.replace(day=1)
    for _month in range(USAGE_MONTHS):
        months.append(month)
        month = (month.replace(day=1) - timezone.timedelta(days=1)).replace(day=1)
    return months


@login_required
@require_GET
def team_usage(request, slug):
    """Who spent what from the pool in a calendar month (UTC); any member may look."""
    membership = selectors.get_membership_for(request, slug)
    team = membership.organization
    months = _months(timezone.now().astimezone(UTC).date())
    chosen = next((m for m in months if request.GET.get("month") == f"{m:%Y-%m}"), months[0])
    start = chosen
    end = date(chosen.year + chosen.month // 12, chosen.month % 12 + 1, 1)
    return render(request, "teams/usage.html", {
        "team": team, "membership": membership, "manager": can_manage(membership.role),
        "usage": selectors.team_usage(team, start=start, end=end),
        "months": months, "chosen": chosen, "pool": team.token_account,
    })
