"""Stripe Billing's side of subscriptions for the fake Stripe, driven like a test clock.

`StripeBilling` serves the subscription endpoints our code calls (modify, cancel, refunds,
Customer Portal sessions) and plays what Stripe does as time passes: a subscription Checkout
completes, a period renews, a renewal fails and recovers or gives up, a plan is upgraded or
downgraded, a subscription ends. Each step changes the objects (built from Stripe's
published examples, `stripe_fixtures.json`) and returns the events Stripe would send for
it, as `(type, object)` pairs, for the test to deliver — repeated and reordered at will.
"""

import copy
import secrets
import time

from dateutil.relativedelta import relativedelta

from tests.billing.stripe_fake import FIXTURES, FakeStripe, _id

DAY = 86400


def _months(timestamp: int, months: int) -> int:
    from datetime import UTC, datetime

    moved = datetime.fromtimestamp(timestamp, tz=UTC) + relativedelta(months=months)
    return int(moved.timestamp())


class StripeBilling:
    def __init__(self, fake: FakeStripe):
        self.fake = fake
        # A plan change waiting for the period end (a downgrade): subscription -> price.
        self.scheduled: dict[str, str] = {}
        fake.handlers += [
            ("POST", r"/v1/subscriptions/([^/]+)", self._modify),
            ("DELETE", r"/v1/subscriptions/([^/]+)", self._cancel_now),
            ("POST", r"/v1/refunds", self._refund),
            ("POST", r"/v1/billing_portal/sessions", self._portal),
            ("GET", r"/v1/products/([^/]+)/features", self._no_features),
        ]

    # --- objects ---------------------------------------------------------------------------
    def _price(self, price_id: str) -> dict:
        return self.fake.objects[price_id]

    def _interval_months(self, price_id: str) -> int:
        return 12 if self._price(price_id)["recurring"]["interval"] == "year" else 1

    def subscription(self, *, customer: str, price_id: str, metadata: dict, start: int,
                     trial_days: int = 0) -> dict:
        subscription_id = _id("sub")
        end = start + trial_days * DAY if trial_days else _months(
            start, self._interval_months(price_id))
        item = copy.deepcopy(FIXTURES["subscription"]["items"]["data"][0])
        item.update(id=_id("si"), created=start, subscription=subscription_id,
                    price=copy.deepcopy(self._price(price_id)), plan=None, discounts=[],
                    current_period_start=start, current_period_end=end,
                    billing_thresholds=None, tax_rates=[], metadata={})
        subscription = copy.deepcopy(FIXTURES["subscription"])
        subscription.update(
            id=subscription_id, customer=customer, created=start, start_date=start,
            status="trialing" if trial_days else "active", metadata=metadata,
            billing_cycle_anchor=end if trial_days else start, billing_cycle_anchor_config=None,
            cancel_at=None, canceled_at=None, ended_at=None, cancel_at_period_end=False,
            cancellation_details={"comment": None, "feedback": None, "reason": None},
            trial_start=start if trial_days else None, trial_end=end if trial_days else None,
            latest_invoice=None, next_pending_invoice_item_invoice=None, pause_collection=None,
            pending_setup_intent=None, pending_update=None, schedule=None, test_clock=None,
            default_payment_method=None, discounts=[], on_behalf_of=None, transfer_data=None,
            application=None, application_fee_percent=None, pending_invoice_item_interval=None,
            trial_settings=None, invoice_settings={"account_tax_ids": None,
                                                   "issuer": {"type": "self"}},
            items={"object": "list", "data": [item], "has_more": False, "total_count": 1,
                   "url": f"/v1/subscription_items?subscription={subscription_id}"},
        )
        return self.fake.add(subscription)

    def _line(self, invoice_id: str, subscription: dict, *, price_id: str, amount: int,
              start: int, end: int, proration: bool) -> dict:
        line = copy.deepcopy(FIXTURES["line_item"])
        line.update(
            id=_id("il"), invoice=invoice_id, amount=amount, subtotal=amount, currency="usd",
            description=f"{'Proration' if proration else '1 ×'} {price_id}",
            period={"start": start, "end": end}, discounts=[], discount_amounts=[],
            pretax_credit_amounts=[], taxes=[], metadata={}, subscription=subscription["id"],
            pricing={"type": "price_details", "unit_amount_decimal": str(amount),
                     "price_details": {"price": price_id,
                                       "product": self._price(price_id)["product"]}},
            parent={"type": "subscription_item_details", "invoice_item_details": None,
                    "subscription_item_details": {
                        "invoice_item": None, "proration": proration,
                        "proration_details": {"credited_items": None},
                        "subscription": subscription["id"],
                        "subscription_item": subscription["items"]["data"][0]["id"]}},
        )
        return line

    def invoice(self, subscription: dict, *, reason: str, lines: list[tuple], paid: bool,
                created: int) -> dict:
        """An invoice of `subscription` with `lines` ((price, amount, start, end, proration)
        each), paid (with a PaymentIntent and its charge) or left open after a failure."""
        invoice_id = _id("in")
        data = [self._line(invoice_id, subscription, price_id=p, amount=a, start=s, end=e,
                           proration=r) for p, a, s, e, r in lines]
        total = max(0, sum(line["amount"] for line in data))
        payments = []
        if paid and total:
            intent = self.fake.payment_intent(amount=total, customer=subscription["customer"],
                                              metadata={})
            payments = [{"id": _id("inpay"), "object": "invoice_payment", "amount_paid": total,
                         "invoice": invoice_id, "is_default": True, "status": "paid",
                         "payment": {"type": "payment_intent",
                                     "payment_intent": intent["id"]}}]
        invoice = copy.deepcopy(FIXTURES["invoice"])
        invoice.update(
            id=invoice_id, customer=subscription["customer"], billing_reason=reason,
            created=created, effective_at=created, period_start=created, period_end=created,
            currency="usd", amount_due=total, amount_paid=total if paid else 0,
            amount_remaining=0 if paid else total, subtotal=total, total=total,
            subtotal_excluding_tax=total, total_excluding_tax=total, amount_overpaid=0,
            attempt_count=1, attempted=True, status="paid" if paid else "open",
            number=f"MYBA-{secrets.token_hex(3).upper()}", due_date=None,
            next_payment_attempt=None if paid else created + 3 * DAY,
            hosted_invoice_url=f"https://invoice.stripe.com/i/{invoice_id}",
            invoice_pdf=f"https://pay.stripe.com/invoice/{invoice_id}/pdf",
            from_invoice=None, last_finalization_error=None, latest_revision=None,
            shipping_cost=None, shipping_details=None, webhooks_delivered_at=created,
            automatically_finalizes_at=None, subscription=None, discounts=[],
            status_transitions={"finalized_at": created, "marked_uncollectible_at": None,
                                "paid_at": created if paid else None, "voided_at": None},
            parent={"type": "subscription_details", "quote_details": None,
                    "subscription_details": {"metadata": subscription["metadata"],
                                             "subscription": subscription["id"]}},
            lines={"object": "list", "data": data, "has_more": False,
                   "total_count": len(data), "url": f"/v1/invoices/{invoice_id}/lines"},
            payments={"object": "list", "data": payments, "has_more": False,
                      "url": f"/v1/invoices/{invoice_id}/payments"},
        )
        subscription["latest_invoice"] = invoice_id
        return self.fake.add(invoice)

    @staticmethod
    def item(subscription: dict) -> dict:
        return subscription["items"]["data"][0]

    def _period(self, subscription: dict, start: int, end: int, price_id: str | None = None):
        item = self.item(subscription)
        item.update(current_period_start=start, current_period_end=end)
        if price_id:
            item["price"] = copy.deepcopy(self._price(price_id))

    # --- what Stripe does ------------------------------------------------------------------
    def complete_checkout(self, session_id: str, *, now: int | None = None) -> list[tuple]:
        """The customer pays a subscription Checkout Session (a trial starts if asked)."""
        now = now or int(time.time())
        params = self.fake.session_params[session_id]
        session = self.fake.objects[session_id]
        data = params.get("subscription_data") or {}
        trial = int(data.get("trial_period_days") or 0)
        price_id = params["line_items"]["0"]["price"]
        subscription = self.subscription(customer=session["customer"], price_id=price_id,
                                         metadata=data.get("metadata") or {}, start=now,
                                         trial_days=trial)
        item = self.item(subscription)
        # A promotion code redeemed on Stripe's page discounts the first invoice.
        amount = 0 if trial else session["amount_total"]
        invoice = self.invoice(subscription, reason="subscription_create", paid=True,
                               created=now, lines=[(price_id, amount, now,
                                                    item["current_period_end"], False)])
        session.update(status="complete", subscription=subscription["id"],
                       invoice=invoice["id"],
                       payment_status="no_payment_required" if trial else "paid")
        return [("customer.subscription.created", subscription), ("invoice.paid", invoice),
                ("checkout.session.completed", session)]

    def renew(self, subscription_id: str) -> list[tuple]:
        """The period ends: the renewal (or the trial's first) invoice is paid — or the
        subscription ends, when it was set to cancel at the period end."""
        subscription = self.fake.objects[subscription_id]
        item = self.item(subscription)
        start = item["current_period_end"]
        if subscription["cancel_at_period_end"]:
            subscription.update(status="canceled", ended_at=start, canceled_at=start)
            return [("customer.subscription.deleted", subscription)]
        price_id = self.scheduled.pop(subscription_id, None) or item["price"]["id"]
        end = _months(start, self._interval_months(price_id))
        self._period(subscription, start, end, price_id)
        subscription.update(status="active", trial_end=subscription["trial_end"])
        invoice = self.invoice(subscription, reason="subscription_cycle", paid=True,
                               created=start, lines=[(price_id, self._price(price_id)[
                                   "unit_amount"], start, end, False)])
        return [("customer.subscription.updated", subscription), ("invoice.paid", invoice)]

    def fail_renewal(self, subscription_id: str) -> tuple[dict, list[tuple]]:
        """The renewal's charge is declined: the invoice stays open, the subscription is past
        due. Returns the invoice and the events."""
        subscription = self.fake.objects[subscription_id]
        item = self.item(subscription)
        start = item["current_period_end"]
        price_id = item["price"]["id"]
        end = _months(start, self._interval_months(price_id))
        self._period(subscription, start, end)
        subscription["status"] = "past_due"
        invoice = self.invoice(subscription, reason="subscription_cycle", paid=False,
                               created=start, lines=[(price_id, self._price(price_id)[
                                   "unit_amount"], start, end, False)])
        return invoice, [("invoice.payment_failed", invoice),
                         ("customer.subscription.updated", subscription)]

    def retry_fails(self, invoice_id: str) -> list[tuple]:
        """A Smart Retry is declined again."""
        invoice = self.fake.objects[invoice_id]
        invoice["attempt_count"] += 1
        return [("invoice.payment_failed", invoice)]

    def recover(self, invoice_id: str) -> list[tuple]:
        """A retry (or the customer's new card) pays the open invoice."""
        invoice = self.fake.objects[invoice_id]
        subscription = self.fake.objects[invoice["parent"]["subscription_details"]["subscription"]]
        intent = self.fake.payment_intent(amount=invoice["amount_due"],
                                          customer=invoice["customer"], metadata={})
        invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0,
                       payments={"object": "list", "has_more": False, "data": [{
                           "id": _id("inpay"), "object": "invoice_payment",
                           "amount_paid": invoice["amount_due"], "invoice": invoice_id,
                           "is_default": True, "status": "paid",
                           "payment": {"type": "payment_intent",
                                       "payment_intent": intent["id"]}}]})
        invoice["status_transitions"]["paid_at"] = invoice["created"] + DAY
        subscription["status"] = "active"
        return [("invoice.paid", invoice), ("customer.subscription.updated", subscription)]

    def give_up(self, subscription_id: str) -> list[tuple]:
        """The last retry failed: Stripe cancels the subscription."""
        subscription = self.fake.objects[subscription_id]
        now = self.item(subscription)["current_period_start"] + 15 * DAY
        subscription.update(status="canceled", ended_at=now, canceled_at=now)
        subscription["cancellation_details"]["reason"] = "payment_failed"
        return [("customer.subscription.deleted", subscription)]

    def change_plan(self, subscription_id: str, price_id: str, *, at: int) -> list[tuple]:
        """An upgrade at `at` with proration: the same interval keeps the period and invoices
        the prorated difference; a different interval restarts the period now (the unused
        time is credited against the new full price)."""
        subscription = self.fake.objects[subscription_id]
        item = self.item(subscription)
        old_price = item["price"]["id"]
        start, end = item["current_period_start"], item["current_period_end"]
        fraction = (end - at) / (end - start)
        credit = -round(self._price(old_price)["unit_amount"] * fraction)
        if self._interval_months(price_id) == self._interval_months(old_price):
            charge = round(self._price(price_id)["unit_amount"] * fraction)
            lines = [(old_price, credit, at, end, True), (price_id, charge, at, end, True)]
            self._period(subscription, start, end, price_id)
        else:
            new_end = _months(at, self._interval_months(price_id))
            lines = [(old_price, credit, at, end, True),
                     (price_id, self._price(price_id)["unit_amount"], at, new_end, False)]
            self._period(subscription, at, new_end, price_id)
        invoice = self.invoice(subscription, reason="subscription_update", paid=True,
                               created=at, lines=lines)
        return [("customer.subscription.updated", subscription), ("invoice.paid", invoice)]

    def schedule_downgrade(self, subscription_id: str, price_id: str) -> list[tuple]:
        """A downgrade from the portal takes effect at the period end."""
        self.scheduled[subscription_id] = price_id
        return [("customer.subscription.updated", self.fake.objects[subscription_id])]

    def refund_invoice(self, invoice_id: str, amount: int | None = None) -> list[tuple]:
        invoice = self.fake.objects[invoice_id]
        intent = self.fake.objects[invoice["payments"]["data"][0]["payment"]["payment_intent"]]
        return [("charge.refunded", self.fake.refund(intent["latest_charge"], amount))]

    # --- endpoints -------------------------------------------------------------------------
    def _modify(self, match, params):
        subscription = self.fake.objects.get(match.group(1))
        if subscription is None:
            return self.fake._missing(f"/v1/subscriptions/{match.group(1)}")
        if "cancel_at_period_end" in params:
            subscription["cancel_at_period_end"] = params["cancel_at_period_end"] == "true"
        details = params.get("cancellation_details")
        if isinstance(details, dict):
            subscription["cancellation_details"]["comment"] = details.get("comment") or None
        return subscription

    def _cancel_now(self, match, params):
        subscription = self.fake.objects.get(match.group(1))
        if subscription is None:
            return self.fake._missing(f"/v1/subscriptions/{match.group(1)}")
        now = int(time.time())
        subscription.update(status="canceled", ended_at=now, canceled_at=now)
        return subscription

    def _refund(self, match, params):
        intent = self.fake.objects[params["payment_intent"]]
        charge = self.fake.refund(intent["latest_charge"])
        return charge["refunds"]["data"][0]

    @staticmethod
    def _no_features(match, params):
        return {"object": "list", "data": [], "has_more": False,
                "url": f"/v1/products/{match.group(1)}/features"}

    def _portal(self, match, params):
        session = copy.deepcopy(FIXTURES["billing_portal.session"])
        session.update(id=_id("bps"), customer=params["customer"],
                       return_url=params.get("return_url"), flow=params.get("flow_data"),
                       url=f"https://billing.stripe.com/p/session/{secrets.token_hex(12)}")
        return session
