"""Plan pages: subscribe, the page after Checkout, the Customer Portal, cancel and resume,
and the local test mode's subscription actions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing import selectors, services, subscription_selectors
from billing.forms import CancelPlanForm, SuccessQueryForm, TestSubscriptionActionForm
from billing.http import see_other
from billing.models import SubscriptionCheckout
from billing.services.subscriptions import lifecycle, local
from billing.workspace import billing_account, buying_for_team


def _base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def plan_context(account) -> dict:
    """The billing page's plan section for `account` (the person's or a team's pool): the
    live plan, its allowance, paid invoices."""
    live = subscription_selectors.get_live_subscription(account.pk)
    return {
        "plan_subscription": live,
        "allowance": subscription_selectors.get_current_allowance(live) if live else None,
        "subscription_invoices": subscription_selectors.list_subscription_invoices(
            account.pk)[:24],
        "cancel_form": CancelPlanForm(),
        "can_manage_billing": subscription_selectors.has_billing_customer(account.pk),
    }


def pricing_context(user, workspace) -> dict:
    """The pricing page's plans: the offers, the live plan of the account the page buys for
    (the person's, or in a team's workspace the pool), whether a trial is on offer (an
    account that never had a plan)."""
    live = None
    trial = True
    account_id = (workspace.organization.token_account_id if workspace.is_team
                  else user.token_account_id if user.is_authenticated else None)
    if account_id:
        live = subscription_selectors.get_live_subscription(account_id)
        trial = not subscription_selectors.has_had_subscription(account_id)
    return {"plans": subscription_selectors.list_plan_offers(), "plan_subscription": live,
            "trial_available": trial}


@require_POST
@login_required
def subscribe(request, slug):
    plan = subscription_selectors.get_active_plan(slug)
    if plan is None:
        messages.error(request, _("That plan is not on sale. Please choose one of these."))
        return redirect("billing:pricing")
    team = buying_for_team(request)
    try:
        result = lifecycle.start_subscription(user=request.user, plan=plan,
                                              base_url=_base_url(request), organization=team)
    except services.CheckoutUnavailable as error:
        messages.error(request, error.message)
        return redirect("billing:pricing")
    return see_other(result.url)


@require_GET
@login_required
def subscribed(request):
    """After Stripe's redirect: the plan once its first invoice is recorded; until then the
    page polls (htmx) for it."""
    form = SuccessQueryForm(request.GET)
    form.is_valid()
    account, team = billing_account(request)
    live = subscription_selectors.get_live_subscription(account.pk)
    polls = form.cleaned_data.get("poll") or 0
    context = {"plan_subscription": live, "session_id": form.cleaned_data.get("session_id", ""),
               "poll": polls + 1, "poll_seconds": 2 if polls < 10 else 10,
               "balance": selectors.get_account_balance(account.pk), "team": team}
    if request.htmx:
        return render(request, "billing/subscribed.html#status", context)
    return render(request, "billing/subscribed.html", context)


@require_GET
@login_required
def portal(request):
    """To Stripe's Customer Portal (payment methods, invoices, plan changes, cancel)."""
    try:
        url = lifecycle.open_billing_portal(user=request.user, base_url=_base_url(request),
                                            account=billing_account(request)[0])
    except services.CheckoutUnavailable as error:
        messages.error(request, error.message)
        return redirect("billing:history")
    return see_other(url)


@require_POST
@login_required
def cancel_plan(request):
    form = CancelPlanForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Your plan was not changed: %(errors)s") % {
            "errors": " ".join(e for errors in form.errors.values() for e in errors)})
        return redirect("billing:history")
    try:
        row = lifecycle.set_cancel_at_period_end(account=billing_account(request)[0],
                                                 cancel=True,
                                                 reason=form.cleaned_data["reason"])
    except services.CheckoutUnavailable as error:
        messages.error(request, error.message)
    else:
        day = formats.date_format(timezone.localtime(row.current_period_end), "DATE_FORMAT")
        messages.success(request, _("Your %(plan)s plan ends on %(day)s. Its tokens stay until "
                                    "then, and you can resume it before that day.")
                         % {"plan": row.plan.name, "day": day})
    return redirect("billing:history")


@require_POST
@login_required
def resume_plan(request):
    try:
        row = lifecycle.set_cancel_at_period_end(account=billing_account(request)[0],
                                                 cancel=False)
    except services.CheckoutUnavailable as error:
        messages.error(request, error.message)
    else:
        messages.success(request,
                         _("Your %(plan)s plan renews as usual.") % {"plan": row.plan.name})
    return redirect("billing:history")


def _local_only():
    if not selectors.is_local_checkout_enabled():
        raise Http404("The local test mode exists only in development without Stripe keys.")


@require_http_methods(["GET", "POST"])
@login_required
def test_subscribe(request, session_id):
    _local_only()
    checkout = SubscriptionCheckout.objects.select_related("plan").filter(
        stripe_checkout_session_id=session_id, user=request.user).first()
    if checkout is None:
        raise Http404("No such checkout.")
    if request.method == "POST":
        if local.complete_local_subscription(checkout=checkout) is None:
            messages.info(request, _("That checkout was already completed or replaced."))
        return redirect(reverse("billing:subscribed") + f"?session_id={session_id}")
    if checkout.status != SubscriptionCheckout.Status.OPEN:
        messages.info(request, _("That checkout was already completed or replaced."))
        return redirect("billing:history")
    account = checkout.token_account
    return render(request, "billing/test_subscribe.html", {
        "checkout": checkout,
        "trial": checkout.plan.trial_days and not subscription_selectors.has_had_subscription(
            account.pk)})


LOCAL_ACTIONS = {
    "renew": (local.advance_local_period, gettext_lazy("The next period started.")),
    "fail": (local.fail_local_renewal,
             gettext_lazy("The renewal failed: the plan is past due.")),
    "recover": (local.recover_local_renewal, gettext_lazy("The failed renewal was paid.")),
    "give_up": (local.end_local_after_failures,
                gettext_lazy("Every retry failed: the plan was canceled.")),
}


@require_POST
@login_required
def test_subscription_action(request):
    _local_only()
    form = TestSubscriptionActionForm(request.POST)
    account, _team = billing_account(request)
    live = subscription_selectors.get_live_subscription(account.pk)
    if not form.is_valid() or live is None:
        messages.error(request, _("Choose a test action for a test plan."))
        return redirect("billing:history")
    action, done = LOCAL_ACTIONS[form.cleaned_data["action"]]
    try:
        action(subscription=live)
    except local.LocalActionRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Test mode: %(done)s") % {"done": done})
    return redirect("billing:history")
