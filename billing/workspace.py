"""Whose billing a request acts on: the person's own account, or — in a team's workspace —
the team's pool, which only its owners and admins may buy for or manage."""

from django.core.exceptions import PermissionDenied

from accounts.services import get_or_open_user_account
from accounts.teams.models import Organization
from accounts.teams.selectors import get_workspace
from tokens.models import TokenAccount


def buying_for_team(request) -> Organization | None:
    """The team whose pool this request's purchases and plan are for (None: the person's
    own). Raises PermissionDenied — the 403 page says why — for a member or viewer."""
    workspace = get_workspace(request)
    if not workspace.is_team:
        return None
    if not workspace.can_manage:
        raise PermissionDenied(f"Only {workspace.organization.name}'s owners and admins buy "
                               "tokens and plans for its pool. Switch to your personal "
                               "account in the header to buy for yourself.")
    return workspace.organization


def billing_account(request) -> tuple[TokenAccount, Organization | None]:
    """The account this request's billing pages show and change, and its team if any. Opens
    the person's token account when they have none yet (as buying always did)."""
    team = buying_for_team(request)
    if team is not None:
        return team.token_account, team
    return get_or_open_user_account(user=request.user), None
