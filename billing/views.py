"""Billing pages: pricing, checkout, success/cancel, local test checkout, purchase history."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from accounts.selectors import get_header_balance
from accounts.teams.selectors import get_workspace
from billing import plan_views, selectors, services
from billing.forms import (
    AutoTopUpForm,
    CheckoutForm,
    PromotionCodeEntryForm,
    SuccessQueryForm,
)
from billing.http import see_other
from billing.models import Purchase
from billing.quotes import BULK_BONUS_MIN_CENTS, BULK_BONUS_PERCENT, MAX_QUANTITY
from billing.services import auto_top_up
from billing.services.local import LocalCheckoutDisabled
from billing.workspace import billing_account, buying_for_team
from config.visitor_pages import render_for_visitors
from tokens.selectors import active_prices

logger = logging.getLogger(__name__)

# The success page polls every POLL_SECONDS; after LATE_AFTER_POLLS it says the webhook is late
# and keeps polling, more slowly, until the tokens arrive.
POLL_SECONDS = 2
LATE_AFTER_POLLS = 10
LATE_POLL_SECONDS = 10


@require_GET
def pricing(request):
    # Where the browser stands first (the header and a visitor's page key read it): a new
    # visitor's network count then comes with the tables' versions, in one round trip.
    get_header_balance(request)
    user = request.user
    workspace = get_workspace(request)
    discount = (user.is_authenticated and not workspace.is_team
                and selectors.is_first_purchase_discount_available(user))
    percent = selectors.discount_percent()
    context = {
        "packs": selectors.list_pack_offers(now=timezone.now(),
                                            discount_percent=percent if discount else 0),
        "quantities": range(1, MAX_QUANTITY + 1),
        "bulk_bonus": {"min_cents": BULK_BONUS_MIN_CENTS, "percent": BULK_BONUS_PERCENT},
        "discount_available": discount,
        "discount_percent": percent,
        "balance": (workspace.organization.token_account.available if workspace.is_team
                    else selectors.get_user_balance(user) if user.is_authenticated else None),
        "test_mode": selectors.is_local_checkout_enabled(),
        "workspace": workspace,
        **plan_views.pricing_context(user, workspace),
    }
    # Everything a visitor's page shows: the context, and the price table behind its tiers.
    return render_for_visitors(request, "billing/pricing.html", context, shows=lambda: (
        sorted((name, value) for name, value in context.items() if name != "workspace"),
        active_prices()))


@require_POST
@login_required
def checkout(request, slug):
    pack = selectors.get_active_pack(slug)
    if pack is None:
        messages.error(request, _("That pack is not on sale. Please choose one of these."))
        return redirect("billing:pricing")
    form = CheckoutForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["quantity"]))
        return redirect("billing:pricing")
    team = buying_for_team(request)
    try:
        result = services.create_checkout_session(
            user=request.user, pack=pack, base_url=request.build_absolute_uri("/").rstrip("/"),
            quantity=form.cleaned_data["quantity"], organization=team,
        )
    except services.CheckoutUnavailable as error:
        messages.error(request, error.message)
        return redirect("billing:pricing")
    return see_other(result.url)


@require_http_methods(["GET", "POST"])
@login_required
def test_checkout(request, public_id):
    if not selectors.is_local_checkout_enabled():
        raise Http404("The local test checkout exists only in development without Stripe keys.")
    purchase = selectors.get_user_purchase(request.user, public_id)
    if purchase is None or not purchase.test_mode:
        raise Http404("No such checkout.")
    if purchase.status == Purchase.Status.EXPIRED:
        messages.info(request,
                      _("That checkout was replaced by a newer one. Please start again."))
        return redirect("billing:pricing")
    code_form = PromotionCodeEntryForm(request.POST if "apply_code" in request.POST else None)
    if code_form.is_bound and purchase.status == Purchase.Status.OPEN:
        return _apply_test_code(request, purchase, code_form)
    if request.method == "POST" and purchase.status == Purchase.Status.OPEN:
        try:
            services.complete_local_checkout(purchase=purchase)
        except LocalCheckoutDisabled as error:
            raise Http404 from error
        except services.PromotionRefused as error:
            messages.error(request, error.message)
            return redirect("billing:test_checkout", purchase.public_id)
    if request.method == "POST" or purchase.status != Purchase.Status.OPEN:
        url = reverse("billing:success") + f"?session_id={purchase.stripe_checkout_session_id}"
        return redirect(url)
    return render(request, "billing/test_checkout.html",
                  {"purchase": purchase, "code_form": code_form})


def _apply_test_code(request, purchase, code_form):
    """Apply (or remove) a promotion code on the local test checkout; a refused code
    re-renders the page with the reason and changes nothing."""
    try:
        if not code_form.is_valid():
            raise services.PromotionRefused(_("That code is not valid."))
        purchase = services.apply_local_promotion_code(
            purchase=purchase, code=code_form.cleaned_data["code"], now=timezone.now())
    except services.PromotionRefused as error:
        code_form.add_error("code", error.message)
        return render(request, "billing/test_checkout.html",
                      {"purchase": purchase, "code_form": code_form}, status=400)
    if purchase.promotion_code_id:
        messages.success(request,
                         _("Code %(code)s applied.") % {"code": purchase.promotion_code.code})
    return redirect("billing:test_checkout", purchase.public_id)


@require_GET
@login_required
def success(request):
    """The page after Stripe's redirect; with htmx it is the status fragment that polls."""
    form = SuccessQueryForm(request.GET)
    form.is_valid()  # each valid value is used; a malformed id finds no purchase
    session_id = form.cleaned_data.get("session_id", "")
    purchase = selectors.get_purchase_by_session(request.user, session_id)
    polls = form.cleaned_data.get("poll") or 0
    context = {
        "purchase": purchase,
        "session_id": session_id,
        "poll": polls + 1,
        "late": polls >= LATE_AFTER_POLLS,
        "poll_seconds": LATE_POLL_SECONDS if polls >= LATE_AFTER_POLLS else POLL_SECONDS,
        "balance": selectors.get_user_balance(request.user),
        # A team's purchase credited its pool: the page names the team and the pool's balance.
        "team": getattr(purchase.token_account, "organization", None) if purchase else None,
    }
    if context["team"] is not None:
        context["balance"] = selectors.get_account_balance(purchase.token_account_id)
    if request.htmx:
        response = render(request, "billing/success.html#status", context)
        if purchase is not None and purchase.is_credited:
            trigger_client_event(response, "tokens-changed")
        return response
    return render(request, "billing/success.html", context)


@require_GET
def cancel(request):
    return render(request, "billing/cancel.html")


def _history_page(request, *, top_up_form: AutoTopUpForm | None = None, status: int = 200):
    """The purchase history with its automatic top-up section (`top_up_form` bound to bad
    input re-renders it with its errors)."""
    account, team = billing_account(request)
    purchases = selectors.list_purchases(request.user, account=account if team else None)
    page = Paginator(purchases, 25).get_page(request.GET.get("page"))
    # Automatic top-up is the person's own: a team's pool is bought for by hand.
    top_up = None if team else selectors.get_auto_top_up_status(request.user,
                                                                now=timezone.now())
    if top_up_form is None and top_up is not None:
        top_up_form = AutoTopUpForm(initial={"pack": top_up.settings.pack_id})
    return render(request, "billing/history.html", {
        "page": page, "purchases": page.object_list, "top_up": top_up,
        "top_up_form": top_up_form, "test_mode": selectors.is_local_checkout_enabled(),
        "team": team, **plan_views.plan_context(account),
    }, status=status)


@require_GET
@login_required
def history(request):
    if request.GET.get("card") == "saved":
        messages.success(request,
                         _("Your card is saved. It can take a few seconds to show here."))
    return _history_page(request)


@require_POST
@login_required
def update_auto_top_up(request):
    """Turn automatic top-up on (with a pack) or off; bad input re-renders the page with its
    errors and changes nothing."""
    form = AutoTopUpForm(request.POST)
    if form.is_valid():
        try:
            change = auto_top_up.configure_auto_top_up(
                user=request.user, enabled=form.cleaned_data["enabled"],
                pack=form.cleaned_data["pack"])
        except auto_top_up.AutoTopUpUnavailable as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _top_up_saved_message(change))
            return redirect("billing:history")
    messages.error(request, _("Automatic top-up was not changed: %(errors)s") % {
        "errors": " ".join(e for errors in form.errors.values() for e in errors)})
    return _history_page(request, top_up_form=form, status=400)


def _top_up_saved_message(change: auto_top_up.AutoTopUpChange) -> str:
    top_up = change.top_up
    if not top_up.enabled:
        return _("Automatic top-up is off.")
    message = _("Automatic top-up is on: we buy the %(pack)s pack when you run low, "
                "at most once a day.") % {"pack": top_up.pack.name}
    if change.buying_now:
        message += " " + _("You are below your alert level now, so we are buying it now.")
    return message


@require_POST
@login_required
def save_card(request):
    """Save a card for automatic top-up: Stripe's page in setup mode, or a test card when
    the local test checkout is on (nothing is ever charged to it)."""
    if selectors.is_local_checkout_enabled():
        auto_top_up.save_card(user=request.user, payment_method_id=auto_top_up.TEST_CARD,
                              card_label=_("Test card (nothing is charged)"), test_mode=True)
        messages.success(request, _("A test card is saved: top-ups are simulated."))
        return redirect("billing:history")
    try:
        url = auto_top_up.open_card_setup(
            user=request.user, base_url=request.build_absolute_uri("/").rstrip("/"))
    except services.CheckoutUnavailable as error:
        messages.error(request, error.message)
        return redirect("billing:history")
    return see_other(url)


@require_GET
@login_required
def receipt(request, public_id):
    purchase = selectors.get_user_purchase(request.user, public_id)
    if purchase is None or not purchase.is_credited:
        raise Http404("No such receipt.")
    return render(request, "billing/receipt.html", {"purchase": purchase})
