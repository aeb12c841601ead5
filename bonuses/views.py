from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from bonuses import selectors, services


@login_required
@require_GET
def bonus(request):
    return render(request, "bonuses/bonus.html",
                  {"bonus": selectors.bonus_status(request.user)})


@login_required
@require_POST
def claim(request):
    """Claim today's bonus. htmx swaps the card (and refreshes the header's balance); a plain
    form post comes back to where it was sent from with a message."""
    try:
        made = services.claim_daily_bonus(user=request.user)
    except services.BonusRefused as error:
        made, note = None, error.message
    else:
        note = ngettext("+%(tokens)s token. Day %(streak)s in a row!",
                        "+%(tokens)s tokens. Day %(streak)s in a row!",
                        made.tokens) % {"tokens": made.tokens, "streak": made.streak}
    if request.htmx:
        response = render(request, "bonuses/partials/claim_card.html", {
            "bonus": selectors.bonus_status(request.user), "note": note,
            "claimed": made is not None})
        if made is not None:
            trigger_client_event(response, "tokens-changed")
        return response
    (messages.success if made else messages.error)(request, note)
    back = request.POST.get("next", "")
    return redirect(back if back in (reverse("bonuses:bonus"), reverse("tickets:new"))
                    else "bonuses:bonus")
