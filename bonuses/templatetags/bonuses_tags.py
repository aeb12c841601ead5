from django import template

from bonuses import selectors

register = template.Library()


@register.inclusion_tag("bonuses/partials/claim_card.html", takes_context=True)
def daily_bonus_card(context):
    """The claim card, for a signed-in user who can claim today (else nothing: the generator
    stays uncluttered; /bonus/ shows every state)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    status = selectors.bonus_status(user) if user and user.is_authenticated else None
    return {"bonus": status, "request": request, "user": user,
            "show": status is not None and status.can_claim}
