from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from accounts.selectors import get_header_balance
from gifts import selectors, services
from gifts.forms import GiftForm


def _page(request, form: GiftForm, *, status: int = 200):
    return render(request, "gifts/gifts.html", {
        "form": form, "refusal": selectors.sending_refusal(request.user, now=timezone.now()),
        "sent": selectors.list_sent(request.user)[:50],
        "received": selectors.list_received(request.user)[:50],
        "balance": get_header_balance(request), "return_days": settings.GIFT_RETURN_DAYS,
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def gifts(request):
    """The gift form and both sides' history; a refused or invalid gift re-renders the form
    with the reason and moves nothing."""
    if request.method == "GET":
        return _page(request, GiftForm())
    form = GiftForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            gift = services.send_gift(sender=request.user, email=data["email"],
                                      tokens=data["tokens"], message=data["message"],
                                      request_key=data["nonce"])
        except services.GiftRefused as error:
            form.add_error(None, error.message)
        else:
            if gift.status == gift.Status.DELIVERED:
                text = ngettext("%(count)s token delivered to %(email)s.",
                                "%(count)s tokens delivered to %(email)s.", gift.tokens)
            else:
                text = ngettext("%(count)s token on its way to %(email)s.",
                                "%(count)s tokens on its way to %(email)s.", gift.tokens)
            messages.success(request, text % {"count": gift.tokens,
                                              "email": gift.recipient_email})
            return redirect("gifts:gifts")
    return _page(request, form, status=400)
