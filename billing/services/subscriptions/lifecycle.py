"""Starting, changing, canceling and resuming a plan: Stripe Checkout in subscription mode
and the Customer Portal, or the local test mode without Stripe keys."""

import logging
import secrets
from dataclasses import dataclass

import stripe
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.services import get_or_open_user_account
from accounts.teams.models import Organization
from billing import selectors, stripe_api, subscription_selectors
from billing.models import (
    BillingCustomer,
    PlanSubscription,
    SubscriptionCheckout,
    SubscriptionPlan,
)
from billing.services.checkout import (
    CheckoutUnavailable,
    ensure_customer,
    ensure_team_customer,
)
from billing.services.subscriptions import local
from billing.services.subscriptions.sync import sync_subscription
from tokens.models import TokenAccount

logger = logging.getLogger(__name__)

UNREACHABLE = gettext_lazy(
    "We could not reach our payment provider. Nothing was changed; please try again.")


@dataclass(frozen=True)
class SubscriptionRedirect:
    url: str
    # "checkout" (Stripe Checkout or the local test page), or "portal": the account already
    # has a plan, so the Customer Portal changes it instead of starting a second one.
    kind: str


def _success_url(base_url: str) -> str:
    return base_url + reverse("billing:subscribed") + "?session_id={CHECKOUT_SESSION_ID}"


def start_subscription(*, user, plan: SubscriptionPlan, base_url: str,
                       organization: Organization | None = None) -> SubscriptionRedirect:
    """Send the user to subscribe to `plan`, or to change the plan they already have — for
    their own account, or with `organization` for that team's pool (the caller has checked
    they may; the team is its own Stripe customer, and its allowances credit the pool).

    Writes: the user's token account and Stripe Customer (first time), a
    `SubscriptionCheckout` for the Checkout Session (mode `subscription`; the trial only for
    an account that never had a subscription; card required; promotion codes, billing
    address and tax id collected). An account with a live subscription gets the Customer
    Portal's update flow instead: never a second subscription from here. No lock is held
    while Stripe is called. Raises `CheckoutUnavailable` (nothing changed) when Stripe fails.
    """
    if not plan.active:
        raise CheckoutUnavailable(_("That plan is no longer on sale."))
    account = (organization.token_account if organization is not None
               else get_or_open_user_account(user=user))
    live = subscription_selectors.get_live_subscription(account.pk)
    local_mode = selectors.is_local_checkout_enabled()
    if live is not None:
        if local_mode or live.test_mode:
            message = (_("The team has the %(plan)s plan. Cancel it before choosing another.")
                       if organization else
                       _("You already have the %(plan)s plan. Cancel it before choosing "
                         "another."))
            raise CheckoutUnavailable(message % {"plan": live.plan.name})
        return SubscriptionRedirect(
            url=open_billing_portal(user=user, base_url=base_url, update=live,
                                    account=account), kind="portal")
    trial_days = plan.trial_days if not PlanSubscription.objects.filter(
        token_account=account).exists() else 0
    if local_mode:
        checkout = SubscriptionCheckout.objects.create(
            token_account=account, user=user, plan=plan,
            stripe_checkout_session_id=f"cs_test_local_{secrets.token_hex(12)}")
        return SubscriptionRedirect(url=base_url + reverse(
            "billing:test_subscribe", args=[checkout.stripe_checkout_session_id]),
            kind="checkout")
    if not stripe_api.is_configured() or not plan.stripe_price_id:
        logger.error("Plan %s has no Stripe price: run manage.py sync_stripe_catalog", plan.slug)
        raise CheckoutUnavailable(_("Subscriptions are not available right now."))
    customer_id = (ensure_team_customer(organization=organization, user=user)
                   if organization is not None else ensure_customer(user=user).id)
    metadata = {"plan": plan.slug, "token_account": str(account.pk), "user": str(user.pk),
                "kind": "subscription"}
    if organization is not None:
        metadata["organization"] = organization.slug
    subscription_data = {"metadata": metadata}
    if trial_days:
        subscription_data["trial_period_days"] = trial_days
    try:
        session = stripe.checkout.Session.create(
            api_key=stripe_api.api_key(),
            idempotency_key=f"myba-subscribe-{account.pk}-{plan.slug}-{secrets.token_hex(8)}",
            mode="subscription",
            customer=customer_id,
            line_items=[{"price": plan.stripe_price_id, "quantity": 1}],
            metadata=metadata,
            subscription_data=subscription_data,
            payment_method_collection="always",
            allow_promotion_codes=True,
            billing_address_collection="required",
            tax_id_collection={"enabled": True},
            customer_update={"address": "auto", "name": "auto"},
            success_url=_success_url(base_url),
            cancel_url=base_url + reverse("billing:pricing"),
        )
    except stripe.StripeError as error:
        logger.exception("Stripe refused a subscription checkout for account %s", account.pk)
        raise CheckoutUnavailable(str(UNREACHABLE)) from error
    SubscriptionCheckout.objects.create(token_account=account, user=user, plan=plan,
                                        stripe_checkout_session_id=session["id"])
    return SubscriptionRedirect(url=session["url"], kind="checkout")


def open_billing_portal(*, user, base_url: str, update: PlanSubscription | None = None,
                        account: TokenAccount | None = None) -> str:
    """A Stripe Customer Portal session for the customer paying for `account` (default: the
    user's own; a team's pool has the team's customer): payment methods, invoices, cancel;
    with `update`, straight to changing that subscription's plan. Writes nothing.
    Raises `CheckoutUnavailable` when there is no customer yet or Stripe fails."""
    account = account or get_or_open_user_account(user=user)
    link = BillingCustomer.objects.filter(token_account=account).first()
    if link is None or not stripe_api.is_configured():
        raise CheckoutUnavailable(_("There is nothing to manage yet: you have not paid us."))
    params = {"customer": link.stripe_customer_id,
              "return_url": base_url + reverse("billing:history")}
    if update is not None:
        params["flow_data"] = {"type": "subscription_update",
                               "subscription_update": {"subscription":
                                                       update.stripe_subscription_id}}
    try:
        session = stripe.billing_portal.Session.create(api_key=stripe_api.api_key(), **params)
    except stripe.StripeError as error:
        logger.exception("Stripe refused a portal session for account %s", account.pk)
        raise CheckoutUnavailable(str(UNREACHABLE)) from error
    return session["url"]


def set_cancel_at_period_end(*, account: TokenAccount, cancel: bool,
                             reason: str = "") -> PlanSubscription:
    """Cancel the plan of `account` (a person's, or a team's pool) at the end of its period
    (with an optional reason), or resume it before then. Asks Stripe (outside any
    transaction) and writes the answer through `sync_subscription`; the local test mode
    writes the same change without Stripe.
    Raises `CheckoutUnavailable` when there is no live plan or Stripe fails."""
    live = subscription_selectors.get_live_subscription(account.pk)
    if live is None:
        raise CheckoutUnavailable(_("You have no plan to change."))
    if live.test_mode:
        return local.set_local_cancel(subscription=live, cancel=cancel, reason=reason)
    try:
        updated = stripe.Subscription.modify(
            live.stripe_subscription_id, api_key=stripe_api.api_key(),
            cancel_at_period_end=cancel,
            cancellation_details={"comment": reason[:500] if cancel else ""})
    except stripe.StripeError as error:
        logger.exception("Stripe refused to change subscription %s", live.stripe_subscription_id)
        raise CheckoutUnavailable(str(UNREACHABLE)) from error
    return sync_subscription(subscription=updated) or live
