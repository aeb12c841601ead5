from django import template

from integrations.selectors import list_push_targets, ticket_push_summary, workspace_for

register = template.Library()


@register.inclusion_tag("integrations/partials/ticket_pushes.html", takes_context=True)
def ticket_pushes(context, ticket):
    """The ticket page's "Send to a tracker" card."""
    user = context["request"].user
    if not user.is_authenticated:
        return {"hidden": True}
    return {"ticket": ticket, "request": context["request"], **ticket_push_summary(user, ticket)}


@register.simple_tag(takes_context=True)
def push_targets(context):
    """The working connections of the current workspace (the library's "Send selected to")."""
    request = context["request"]
    if not request.user.is_authenticated:
        return []
    return list_push_targets(**workspace_for(request, manage=False))
