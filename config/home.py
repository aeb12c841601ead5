"""The home page: the same for every plain visit with the same standing and prices, so it is
served whole to visitors (config/visitor_pages.py)."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from accounts.selectors import get_free_tokens
from config.visitor_pages import render_for_visitors
from tickets.quotes import ticket_prices


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render_for_visitors(request, "home.html",
                               shows=lambda: (get_free_tokens(), sorted(ticket_prices().items())))
