from django import template

from accounts.teams.selectors import get_workspace, list_team_choices

register = template.Library()


@register.inclusion_tag("teams/partials/workspace_switcher.html", takes_context=True)
def workspace_switcher(context):
    """The header's workspace choice (personal, or a team the user is in); nothing for
    people in no team."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"teams": list_team_choices(user), "workspace": get_workspace(request),
            "next": request.get_full_path(), "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("teams/partials/workspace_notice.html", takes_context=True)
def workspace_notice(context, page: str):
    """On a personal page (usage, …) while working in a team: where the team's is."""
    request = context.get("request")
    if request is None or not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"team": get_workspace(request).organization, "page": page}
