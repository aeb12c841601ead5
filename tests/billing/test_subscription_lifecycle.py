"""Subscriptions through Stripe Billing's event sequences (the fake's test clock, signed webhooks
posted to dj-stripe): each scenario delivers every event 1–3 times as distinct events, shuffled
within each step (Stripe does not order events), with three seeds, and ends with the exact
balance and lots, no ledger drift and no second subscription.

Lots expire by the real sweeper at the clock's time of each step, as they would in production
between a period's end and its renewal invoice.
"""

import random
from datetime import UTC, datetime

import pytest

from billing.models import AllowanceGrant, PlanSubscription, SubscriptionInvoice
from billing.services.subscriptions.allowances import grant_due_allowances
from tests.billing.conftest import Subscriber, without_trial
from tests.helpers import assert_ledger_healthy
from tokens.models import Lot, TokenAccount
from tokens.services import expire_lots, spend_tokens

SEEDS = [11, 23, 42]


def at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


class Clocked(Subscriber):
    """A Subscriber whose steps also run the lot sweeper at the clock's time."""

    def period_start(self) -> int:
        return self.clock.item(self.fake.objects[self.subscription_id])["current_period_start"]

    def period_end(self) -> int:
        return self.clock.item(self.fake.objects[self.subscription_id])["current_period_end"]

    def renew(self) -> PlanSubscription:
        expire_lots(now=at(self.period_end()))
        return self.step(self.clock.renew(self.subscription_id), repeat=3)

    def spend(self, amount: int, key: str) -> None:
        spend_tokens(account=self.account(), amount=amount, idempotency_key=f"test:{key}")

    def account(self) -> TokenAccount:
        return TokenAccount.objects.get(pk=self.user.token_account_id)

    def balance(self) -> int:
        return self.account().balance

    def open_lots(self) -> list[tuple[int, datetime]]:
        return sorted(Lot.objects.filter(account=self.account(), remaining__gt=0)
                      .values_list("remaining", "expires_at"))


@pytest.fixture(params=SEEDS)
def clocked(request, fake_stripe, synced_plans, buyer, webhooks, tasks_inline,
            django_capture_on_commit_callbacks):
    subscriber = Clocked(fake_stripe, synced_plans, buyer, webhooks,
                         rng=random.Random(request.param),
                         on_commit=django_capture_on_commit_callbacks)
    subscriber.start = subscriber.balance() if buyer.token_account_id else 0
    return subscriber


def _one_live(subscriber) -> None:
    assert PlanSubscription.objects.filter(
        token_account_id=subscriber.user.token_account_id, duplicate=False,
        status__in=PlanSubscription.LIVE).count() <= 1
    assert not PlanSubscription.objects.filter(duplicate=True).exists()
    assert_ledger_healthy()


def test_trial_then_conversion_then_three_renewals_with_capped_rollover(clocked):
    row = clocked.subscribe("basic-monthly", repeat=3)
    assert row.status == "trialing"
    start = clocked.start
    assert clocked.balance() == start + 10  # the trial allowance, expiring when the trial ends
    trial_end = clocked.period_end()
    assert (10, at(trial_end)) in clocked.open_lots()

    row = clocked.renew()  # the trial converts: the trial's tokens lapse, month 1 is granted
    assert row.status == "active"
    assert clocked.balance() == start + 50
    clocked.spend(20, "p1")

    clocked.renew()  # 30 unused: 25 carried (the cap), 5 lapse
    assert clocked.balance() == start + 25 + 50
    clocked.spend(70, "p2")  # the carried 25 first (same expiry, older lot), then 45 of 50

    clocked.renew()  # 5 unused: all 5 carried
    assert clocked.balance() == start + 5 + 50
    end = at(clocked.period_end())
    assert sorted(remaining for remaining, expires in clocked.open_lots() if expires == end) \
        == [5, 50]

    clocked.renew()  # nothing spent: 55 unused of which the month's 50 count; 25 carried
    assert clocked.balance() == start + 25 + 50
    assert SubscriptionInvoice.objects.filter(subscription=row).count() == 5
    assert AllowanceGrant.objects.filter(invoice__subscription=row, kind="allowance").count() \
        == 4
    _one_live(clocked)


def test_upgrade_mid_period_grants_the_prorated_difference_once(clocked):
    without_trial(clocked.plans, "basic-monthly")
    clocked.subscribe("basic-monthly", repeat=3)
    start_ts, end_ts = clocked.period_start(), clocked.period_end()
    half = start_ts + (end_ts - start_ts) // 2
    clocked.step(clocked.clock.change_plan(clocked.subscription_id,
                                           clocked.plans["pro-monthly"].stripe_price_id, at=half),
                 repeat=3)
    # (200 - 50) tokens for the half month left, expiring with the month.
    assert clocked.balance() == clocked.start + 50 + 75
    proration = AllowanceGrant.objects.get(kind="proration")
    assert (proration.tokens, proration.expires_at) == (75, at(end_ts))
    row = clocked.renew()  # the next month is the Pro allowance; Pro's cap is 100
    assert row.plan.slug == "pro-monthly"
    assert clocked.balance() == clocked.start + 50 + 200
    _one_live(clocked)


def test_monthly_to_yearly_restarts_the_period_and_grants_month_by_month(clocked):
    without_trial(clocked.plans, "basic-monthly", "basic-yearly")
    clocked.subscribe("basic-monthly", repeat=3)
    clocked.spend(40, "m1")
    start_ts = clocked.period_start()
    change = start_ts + 10 * 86400
    yearly_price = clocked.plans["basic-yearly"].stripe_price_id
    clocked.step(clocked.clock.change_plan(clocked.subscription_id, yearly_price, at=change),
                 repeat=3)
    # The month's 10 unused tokens are carried into the new period, which grants its first
    # month; nothing of the old month stays beside it.
    assert clocked.balance() == clocked.start + 10 + 50
    yearly = SubscriptionInvoice.objects.get(billing_reason="subscription_update")
    assert (yearly.kind, yearly.plan.slug) == ("period", "basic-yearly")
    # Months 2 and 3 come from the beat, once each, however often it runs.
    for days in (31, 31, 62, 62):
        grant_due_allowances(now=at(change + days * 86400 + 60))
    months = sorted(AllowanceGrant.objects.filter(invoice=yearly, kind="allowance")
                    .values_list("month", flat=True))
    assert months == [1, 2, 3]
    _one_live(clocked)


def test_downgrade_takes_effect_at_the_period_end(clocked):
    without_trial(clocked.plans, "pro-monthly")
    clocked.subscribe("pro-monthly", repeat=3)
    clocked.step(clocked.clock.schedule_downgrade(clocked.subscription_id,
                                                  clocked.plans["basic-monthly"].stripe_price_id),
                 repeat=3)
    assert clocked.balance() == clocked.start + 200  # granted tokens stay
    clocked.spend(190, "pro")
    row = clocked.renew()
    assert row.plan.slug == "basic-monthly"
    assert clocked.balance() == clocked.start + 10 + 50  # 10 carried (under Basic's cap of 25)
    _one_live(clocked)


def test_cancel_resume_cancel_then_the_plan_ends_at_the_period_end(clocked, client):
    without_trial(clocked.plans, "basic-monthly")
    clocked.subscribe("basic-monthly", repeat=3)
    client.force_login(clocked.user)
    client.post("/billing/plan/cancel/", {"reason": "Too expensive"})
    row = clocked.step([("customer.subscription.updated",
                         clocked.fake.objects[clocked.subscription_id])], repeat=3)
    assert (row.cancel_at_period_end, row.cancel_reason) == (True, "Too expensive")
    client.post("/billing/plan/resume/")
    assert clocked.row().cancel_at_period_end is False
    client.post("/billing/plan/cancel/", {"reason": ""})
    row = clocked.renew()
    assert row.status == "canceled"
    assert clocked.balance() == clocked.start  # the month's allowance lapsed with the period
    assert SubscriptionInvoice.objects.count() == 1
    _one_live(clocked)


def test_failed_renewal_then_recovery(clocked, mailoutbox):
    without_trial(clocked.plans, "basic-monthly")
    clocked.subscribe("basic-monthly", repeat=3)
    clocked.spend(50, "all")
    expire_lots(now=at(clocked.period_end()))
    invoice, events = clocked.clock.fail_renewal(clocked.subscription_id)
    row = clocked.step(events, repeat=3)
    assert row.status == "past_due"
    assert clocked.balance() == clocked.start  # no allowance for an unpaid period
    row = clocked.step(clocked.clock.retry_fails(invoice["id"]), repeat=2)
    failure_emails = [m for m in mailoutbox if "could not renew" in m.subject]
    assert len(failure_emails) == 1
    assert "/billing/portal/" in failure_emails[0].body
    row = clocked.step(clocked.clock.recover(invoice["id"]), repeat=3)
    assert row.status == "active"
    assert clocked.balance() == clocked.start + 50
    _one_live(clocked)


def test_failed_renewal_then_stripe_gives_up(clocked, mailoutbox):
    without_trial(clocked.plans, "basic-monthly")
    clocked.subscribe("basic-monthly", repeat=3)
    expire_lots(now=at(clocked.period_end()))
    invoice, events = clocked.clock.fail_renewal(clocked.subscription_id)
    clocked.step(events, repeat=3)
    row = clocked.step(clocked.clock.give_up(clocked.subscription_id), repeat=3)
    assert row.status == "canceled"
    assert clocked.balance() == clocked.start
    assert len([m for m in mailoutbox if "has ended" in m.subject]) == 1
    _one_live(clocked)


def test_refund_of_a_period_claws_back_what_is_left(clocked):
    without_trial(clocked.plans, "basic-monthly")
    clocked.subscribe("basic-monthly", repeat=3)
    clocked.renew()
    clocked.spend(30, "p2")  # the 25 carried first, then 5 of the month's 50
    invoice = SubscriptionInvoice.objects.order_by("-period_start").first()
    clocked.step(clocked.clock.refund_invoice(invoice.stripe_invoice_id), repeat=3)
    grant = AllowanceGrant.objects.get(invoice=invoice, kind="allowance")
    assert (grant.tokens_clawed_back, grant.clawback_shortfall, grant.needs_review) == \
        (45, 5, True)
    assert clocked.balance() == clocked.start  # the carried-over lot was from a paid month
    invoice.refresh_from_db()
    assert invoice.amount_refunded == invoice.amount_paid
    _one_live(clocked)
