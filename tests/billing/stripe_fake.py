"""A stand-in for Stripe's HTTP API (api.stripe.com), served through `responses`.

It keeps the objects it was asked to create and answers retrievals with payloads shaped
like Stripe's (checkout.session in payment and setup mode, customer, payment_intent — off-session
ones succeeding, declined, needing authentication, processing or refused — setup_intent,
payment_method, charge, refund, event, account, product, price, coupon), so the real stripe SDK
and dj-stripe run unchanged. Setup intents, payment methods and off-session payment intents start
from Stripe's own examples (stripe_fixtures.json). Every request
is recorded for assertions. Webhook events are built and signed with Stripe's real scheme,
and `Webhooks` posts them to dj-stripe's endpoint as Stripe would.
"""

import copy
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import responses
from django.urls import reverse

API = "https://api.stripe.com"
API_VERSION = "2026-05-27.dahlia"
ACCOUNT_ID = "acct_1MyBATestAccount0"


FIXTURES = json.loads(Path(__file__).with_name("stripe_fixtures.json").read_text())


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _from_fixture(resource: str, **fields) -> dict:
    """Stripe's example `resource` with `fields` set."""
    return {**copy.deepcopy(FIXTURES[resource]), **fields}


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header value Stripe would send for this payload."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(
        secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={signature}"


def _nested(form: dict) -> dict:
    """Decode Stripe's form encoding (`metadata[pack]=x`, `line_items[0][price]=y`)."""
    result: dict = {}
    for key, values in form.items():
        parts = re.findall(r"[^\[\]]+", key)
        node = result
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = values[0] if len(values) == 1 else values
    return result


class StripeRefusal(Exception):
    """A request Stripe answers with 400 invalid_request_error."""


class FakeStripe:
    def __init__(self):
        self.objects: dict[str, dict] = {}
        self.calls: list[tuple[str, str, dict]] = []
        self.raw_requests: list = []
        # The product each checkout session sells (Stripe keeps it in the line items).
        self.session_products: dict[str, str] = {}
        self._lock = threading.Lock()
        # Paths (prefixes) that answer 500 until removed: Stripe having a bad minute.
        self.failing: set[str] = set()
        # Seconds every answer takes: a slow Stripe, so concurrent callers overlap.
        self.latency = 0.0
        # Payment methods whose off-session charges are declined (insufficient funds), need
        # the customer to authenticate (3-D Secure), stay processing (settled by a webhook
        # later), or were detached from the customer (Stripe refuses the request).
        self.declining: set[str] = set()
        self.requiring_authentication: set[str] = set()
        self.processing: set[str] = set()
        self.detached: set[str] = set()
        # Stripe answers a repeated Idempotency-Key with the first answer.
        self.idempotent: dict[str, tuple] = {}
        self._in_flight: set[str] = set()
        self._idempotency_lock = threading.Lock()
        # Extra endpoints (method, path pattern, handler(match, params) -> object or a full
        # (status, headers, body) answer) that an extension such as StripeBilling serves.
        self.handlers: list[tuple[str, str, object]] = []
        # What each Checkout Session was created with (subscription_data, ...).
        self.session_params: dict[str, dict] = {}
        self.account = {
            "id": ACCOUNT_ID,
            "object": "account",
            "business_profile": {"name": "MyBA test", "url": "https://myba.example"},
            "business_type": "company",
            "charges_enabled": True,
            "country": "US",
            "created": 1700000000,
            "default_currency": "usd",
            "details_submitted": True,
            "email": "billing@myba.example",
            "metadata": {},
            "payouts_enabled": True,
            "settings": {
                "branding": {"icon": None, "logo": None, "primary_color": None},
                "dashboard": {"display_name": "MyBA", "timezone": "Etc/UTC"},
            },
            "type": "standard",
        }

    # --- wiring ---------------------------------------------------------------------------
    def install(self, mock: responses.RequestsMock) -> None:
        mock.add_callback(responses.GET, re.compile(rf"{API}/.*"), callback=self._get)
        mock.add_callback(responses.POST, re.compile(rf"{API}/.*"), callback=self._post)
        mock.add_callback(responses.DELETE, re.compile(rf"{API}/.*"), callback=self._post)

    def posts(self, path_prefix: str) -> list[dict]:
        return [
            params
            for method, path, params in self.calls
            if method == "POST" and path.startswith(path_prefix)
        ]

    # --- object builders ------------------------------------------------------------------
    def add(self, obj: dict) -> dict:
        with self._lock:
            self.objects[obj["id"]] = obj
        return obj

    def customer(self, *, email: str, metadata: dict | None = None, id: str | None = None):
        return self.add(
            {
                "id": id or _id("cus"),
                "object": "customer",
                "address": None,
                "balance": 0,
                "created": int(time.time()),
                "currency": None,
                "default_source": None,
                "delinquent": False,
                "description": None,
                "discount": None,
                "email": email,
                "invoice_prefix": secrets.token_hex(4).upper(),
                "invoice_settings": {
                    "custom_fields": None,
                    "default_payment_method": None,
                    "footer": None,
                    "rendering_options": None,
                },
                "livemode": False,
                "metadata": metadata or {},
                "name": None,
                "phone": None,
                "preferred_locales": [],
                "shipping": None,
                "tax_exempt": "none",
                "test_clock": None,
            }
        )

    def payment_intent(self, *, amount: int, customer: str, metadata: dict, currency="usd"):
        intent_id = _id("pi")
        charge = self.charge(
            amount=amount, customer=customer, payment_intent=intent_id, currency=currency
        )
        return self.add(
            {
                "id": intent_id,
                "object": "payment_intent",
                "amount": amount,
                "amount_capturable": 0,
                "amount_received": amount,
                "capture_method": "automatic_async",
                "client_secret": f"{intent_id}_secret_{secrets.token_hex(8)}",
                "confirmation_method": "automatic",
                "created": int(time.time()),
                "currency": currency,
                "customer": customer,
                "description": None,
                "last_payment_error": None,
                "latest_charge": charge["id"],
                "livemode": False,
                "metadata": metadata,
                "next_action": None,
                "on_behalf_of": None,
                "payment_method": None,
                "payment_method_types": ["card"],
                "receipt_email": None,
                "setup_future_usage": None,
                "shipping": None,
                "statement_descriptor": None,
                "status": "succeeded",
                "transfer_data": None,
                "transfer_group": None,
            }
        )

    def charge(self, *, amount, customer, payment_intent, currency="usd"):
        charge_id = _id("ch")
        return self.add(
            {
                "id": charge_id,
                "object": "charge",
                "amount": amount,
                "amount_captured": amount,
                "amount_refunded": 0,
                "balance_transaction": None,
                "billing_details": {"address": None, "email": None, "name": None, "phone": None},
                "captured": True,
                "created": int(time.time()),
                "currency": currency,
                "customer": customer,
                "description": None,
                "disputed": False,
                "failure_code": None,
                "failure_message": None,
                "fraud_details": {},
                "invoice": None,
                "livemode": False,
                "metadata": {},
                "outcome": {
                    "network_status": "approved_by_network",
                    "risk_level": "normal",
                    "seller_message": "Payment complete.",
                    "type": "authorized",
                },
                "paid": True,
                "payment_intent": payment_intent,
                "payment_method": None,
                "payment_method_details": {"type": "card"},
                "receipt_email": None,
                "receipt_number": None,
                "receipt_url": f"https://pay.stripe.com/receipts/payment/{secrets.token_hex(16)}",
                "refunded": False,
                "refunds": {
                    "object": "list",
                    "data": [],
                    "has_more": False,
                    "total_count": 0,
                    "url": f"/v1/charges/{charge_id}/refunds",
                },
                "source": None,
                "statement_descriptor": None,
                "status": "succeeded",
                "transfer_group": None,
            }
        )

    def refund(self, charge_id: str, amount: int | None = None) -> dict:
        """Refund (part of) a charge, as the Stripe dashboard would; returns the charge."""
        charge = self.objects[charge_id]
        amount = charge["amount"] - charge["amount_refunded"] if amount is None else amount
        refund = self.add(
            {
                "id": _id("re"),
                "object": "refund",
                "amount": amount,
                "charge": charge_id,
                "created": int(time.time()),
                "currency": charge["currency"],
                "metadata": {},
                "payment_intent": charge["payment_intent"],
                "reason": "requested_by_customer",
                "status": "succeeded",
            }
        )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        charge["refunds"]["data"].insert(0, refund)
        charge["refunds"]["total_count"] += 1
        return charge

    def complete_session(self, session_id: str, *, payment_status: str = "paid",
                         promotion_code: str | None = None) -> dict:
        """What happens on Stripe's page when the customer pays (having typed
        `promotion_code`, a code's id, if the session allows codes: Stripe checks it is
        active, unexpired, under its cap and for this session's product)."""
        session = self.objects[session_id]
        if promotion_code is not None:
            self.redeem(session, self.objects[promotion_code])
        intent = self.payment_intent(
            amount=session["amount_total"],
            customer=session["customer"],
            metadata=session["metadata"],
            currency=session["currency"],
        )
        session.update(
            status="complete", payment_status=payment_status, payment_intent=intent["id"]
        )
        if (self.session_params.get(session_id, {}).get("invoice_creation") or {}).get(
                "enabled") == "true":
            invoice = self.invoice(customer=session["customer"], amount=session["amount_total"])
            invoice.update(hosted_invoice_url=f"https://invoice.stripe.com/i/{invoice['id']}",
                           invoice_pdf=f"https://pay.stripe.com/invoice/{invoice['id']}/pdf",
                           billing_reason="manual", metadata=session["metadata"])
            session["invoice"] = invoice["id"]
        return session

    def redeem(self, session: dict, promotion: dict) -> None:
        assert session["allow_promotion_codes"], "this session does not take promotion codes"
        coupon = self.objects[promotion["promotion"]["coupon"]]
        assert promotion["active"], "Stripe refuses an inactive code"
        assert promotion["expires_at"] is None or promotion["expires_at"] > time.time()
        assert promotion["max_redemptions"] is None or \
            promotion["times_redeemed"] < promotion["max_redemptions"]
        products = (coupon.get("applies_to") or {}).get("products")
        assert products is None or self.session_products[session["id"]] in products, \
            "not for this product"
        discount = self.coupon_discount(coupon, session["amount_subtotal"])
        session.update(
            discounts=[{"coupon": coupon["id"], "promotion_code": promotion["id"]}],
            amount_total=session["amount_subtotal"] - discount,
            total_details={**session["total_details"], "amount_discount": discount},
        )
        promotion["times_redeemed"] += 1
        coupon["times_redeemed"] += 1

    @staticmethod
    def coupon_discount(coupon: dict, amount: int) -> int:
        if coupon.get("percent_off"):
            return round(amount * float(coupon["percent_off"]) / 100)
        return min(int(coupon["amount_off"]), amount)

    def complete_setup(self, session_id: str, *, brand: str = "visa",
                       last4: str = "4242") -> dict:
        """What happens on Stripe's page when the customer saves a card (setup mode): a
        payment method attached to the customer and a succeeded SetupIntent for off-session
        use."""
        session = self.objects[session_id]
        now = int(time.time())
        card = {**FIXTURES["payment_method"]["card"], "brand": brand, "display_brand": brand,
                "last4": last4, "exp_month": 12, "exp_year": 2030}
        method = self.add(_from_fixture(
            "payment_method", id=_id("pm"), customer=session["customer"], created=now,
            metadata={}, card=card))
        intent_id = _id("seti")
        intent = self.add(_from_fixture(
            "setup_intent", id=intent_id, client_secret=f"{intent_id}_secret_x",
            status="succeeded", customer=session["customer"], payment_method=method["id"],
            usage="off_session", created=now, last_setup_error=None, next_action=None,
            metadata={}))
        session.update(status="complete", setup_intent=intent["id"])
        return session

    def off_session_payment(self, params: dict):
        """POST /v1/payment_intents with off_session and confirm: a charge, a 402 card error
        (declined, or authentication required) with the failed intent, a `processing`
        intent, or a 400 for a detached card."""
        method = params.get("payment_method")
        if method in self.detached:
            return self._json({"error": {
                "type": "invalid_request_error", "code": "resource_missing",
                "param": "payment_method",
                "message": f"No such PaymentMethod: '{method}'"}}, status=400)
        if method in self.declining or method in self.requiring_authentication:
            declined = method in self.declining
            error = {"type": "card_error",
                     "code": "card_declined" if declined else "authentication_required",
                     "decline_code": "insufficient_funds" if declined
                     else "authentication_required",
                     "message": "Your card has insufficient funds." if declined else
                     "Your card was declined. This transaction requires authentication."}
            intent = self.failed_payment_intent(params, error)
            return self._json({"error": {**error, "payment_intent": intent}}, status=402)
        intent = self.payment_intent(amount=int(params["amount"]), customer=params["customer"],
                                     metadata=params.get("metadata", {}),
                                     currency=params.get("currency", "usd"))
        intent["payment_method"] = method
        if method in self.processing:
            intent.update(status="processing", amount_received=0)
        return self._json(intent)

    def failed_payment_intent(self, params: dict, error: dict) -> dict:
        """The off-session intent Stripe keeps after a failed confirmation (what the
        `payment_intent.payment_failed` event carries)."""
        intent_id = _id("pi")
        return self.add(_from_fixture(
            "payment_intent", id=intent_id, client_secret=f"{intent_id}_secret_x",
            amount=int(params["amount"]), amount_received=0, currency=params["currency"],
            customer=params["customer"], payment_method=params["payment_method"],
            metadata=params.get("metadata", {}), status="requires_payment_method",
            created=int(time.time()), canceled_at=None, next_action=None, latest_charge=None,
            transfer_data=None, shipping=None, processing=None, managed_payments=None,
            automatic_payment_methods=None, payment_method_configuration_details=None,
            description=params.get("description"),
            last_payment_error={**error, "payment_method": {"id": params["payment_method"],
                                                           "object": "payment_method"}}))

    def settle(self, intent_id: str, *, succeeded: bool = True) -> dict:
        """A `processing` intent settles (what its webhook then reports)."""
        intent = self.objects[intent_id]
        if succeeded:
            intent.update(status="succeeded", amount_received=intent["amount"])
        else:
            intent.update(status="requires_payment_method", amount_received=0,
                          last_payment_error={"type": "card_error", "code": "card_declined",
                                              "message": "Your card was declined."})
        return intent

    def session(self, params: dict) -> dict:
        if params["mode"] == "setup":
            params = {**params, "line_items": {"0": {"price": ""}}}
        item = params["line_items"]["0"]
        if "price_data" in item:  # an ad-hoc price on an existing product
            price = {"unit_amount": int(item["price_data"]["unit_amount"]),
                     "currency": item["price_data"]["currency"],
                     "product": item["price_data"]["product"]}
            if price["product"] not in self.objects:
                raise StripeRefusal(f"No such product: '{price['product']}'")
        else:
            price = self.objects.get(item["price"], {})
        if params.get("discounts") and params.get("allow_promotion_codes"):
            raise StripeRefusal("You may only specify one of these parameters: "
                                "allow_promotion_codes, discounts.")
        subtotal = price.get("unit_amount", 0) * int(item.get("quantity", 1))
        discount = 0
        discounts = []
        if params.get("discounts"):
            coupon_id = params["discounts"]["0"]["coupon"]
            discount = self.coupon_discount(self.objects[coupon_id], subtotal)
            discounts = [{"coupon": coupon_id, "promotion_code": None}]
        session_id = f"cs_test_{secrets.token_hex(24)}"
        self.session_params[session_id] = params
        self.session_products[session_id] = price.get("product")
        return self.add(
            {
                "id": session_id,
                "object": "checkout.session",
                "after_expiration": None,
                "allow_promotion_codes": params.get("allow_promotion_codes") == "true" or None,
                "amount_subtotal": subtotal,
                "amount_total": subtotal - discount,
                "billing_address_collection": None,
                "cancel_url": params["cancel_url"],
                "client_reference_id": params.get("client_reference_id"),
                "created": int(time.time()),
                "currency": price.get("currency", "usd"),
                "customer": params.get("customer"),
                "customer_details": None,
                "customer_email": None,
                "discounts": discounts,
                "expires_at": int(params.get("expires_at", time.time() + 86400)),
                "invoice": None,
                "livemode": False,
                "locale": None,
                "metadata": params.get("metadata", {}),
                "mode": params["mode"],
                "payment_intent": None,
                "payment_link": None,
                "payment_method_types": ["card"],
                "payment_status": "unpaid",
                "setup_intent": None,
                "status": "open",
                "submit_type": None,
                "subscription": None,
                "success_url": params["success_url"],
                "total_details": {
                    "amount_discount": discount,
                    "amount_shipping": 0,
                    "amount_tax": 0,
                },
                "ui_mode": "hosted",
                "url": f"https://checkout.stripe.com/c/pay/{session_id}#fidkdWxOYHwnPyd1blpxYHZxWjA0",
            }
        )

    def coupon(self, params: dict) -> dict:
        products = (params.get("applies_to") or {}).get("products")
        if isinstance(products, dict):
            products = list(products.values())
        elif isinstance(products, str):
            products = [products]
        return _from_fixture(
            "coupon", id=params.get("id") or secrets.token_hex(4).upper(),
            duration=params["duration"], duration_in_months=None, redeem_by=None,
            percent_off=float(params["percent_off"]) if params.get("percent_off") else None,
            amount_off=int(params["amount_off"]) if params.get("amount_off") else None,
            currency=params.get("currency"), name=params.get("name"),
            metadata=params.get("metadata", {}), created=int(time.time()),
            applies_to={"products": products} if products else None)

    def promotion_code(self, params: dict):
        """POST /v1/promotion_codes: Stripe refuses a code already active."""
        code = params["code"]
        if any(o.get("object") == "promotion_code" and o["active"] and
               o["code"].upper() == code.upper() for o in list(self.objects.values())):
            return self._json({"error": {
                "type": "invalid_request_error", "code": "resource_already_exists",
                "message": "An active promotion code with `code: " + code + "` already exists.",
                "param": "code"}}, status=400)
        restrictions = params.get("restrictions", {})
        return self._json(self.add(_from_fixture(
            "promotion_code", id=_id("promo"), code=code, active=True, created=int(time.time()),
            expires_at=int(params["expires_at"]) if params.get("expires_at") else None,
            max_redemptions=int(params["max_redemptions"]) if params.get("max_redemptions")
            else None,
            metadata=params.get("metadata", {}),
            promotion={"type": "coupon", "coupon": params["promotion"]["coupon"]},
            restrictions={"first_time_transaction":
                          restrictions.get("first_time_transaction") == "true",
                          "minimum_amount": None, "minimum_amount_currency": None})))

    def invoice(self, *, customer: str, amount: int = 1500) -> dict:
        """An invoice from some other product on the same Stripe account."""
        invoice_id = _id("in")
        return self.add(
            {
                "id": invoice_id,
                "object": "invoice",
                "account_country": "US",
                "account_name": "MyBA test",
                "amount_due": amount,
                "amount_paid": amount,
                "amount_remaining": 0,
                "attempt_count": 1,
                "attempted": True,
                "auto_advance": False,
                "billing_reason": "manual",
                "collection_method": "charge_automatically",
                "created": int(time.time()),
                "currency": "usd",
                "customer": customer,
                "customer_email": None,
                "default_payment_method": None,
                "description": None,
                "discounts": [],
                "due_date": None,
                "ending_balance": 0,
                "hosted_invoice_url": None,
                "invoice_pdf": None,
                "lines": {
                    "object": "list",
                    "data": [],
                    "has_more": False,
                    "total_count": 0,
                    "url": f"/v1/invoices/{invoice_id}/lines",
                },
                "livemode": False,
                "metadata": {},
                "number": "MYBA-0001",
                "paid": True,
                "period_end": int(time.time()),
                "period_start": int(time.time()),
                "status": "paid",
                "subtotal": amount,
                "total": amount,
            }
        )

    def event(self, type_: str, obj: dict, *, created: int | None = None) -> dict:
        """A Stripe event wrapping a snapshot of `obj`."""
        return {
            "id": f"evt_{secrets.token_hex(12)}",
            "object": "event",
            "api_version": API_VERSION,
            "created": created or int(time.time()),
            "data": {"object": json.loads(json.dumps(obj))},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type_,
        }

    # --- HTTP handlers --------------------------------------------------------------------
    def _record(self, request) -> tuple[str, dict]:
        url = urlparse(request.url)
        if request.method == "GET":
            params = _nested(parse_qs(url.query))
        else:
            body = request.body or ""
            if isinstance(body, bytes):
                body = body.decode()
            params = _nested(parse_qs(body))
        with self._lock:
            self.calls.append((request.method, url.path, params))
            self.raw_requests.append(request)
        return url.path, params

    @staticmethod
    def _json(obj, status=200):
        return (
            status,
            {"Content-Type": "application/json", "Request-Id": _id("req")},
            json.dumps(obj),
        )

    def _missing(self, path):
        return self._json(
            {
                "error": {
                    "code": "resource_missing",
                    "type": "invalid_request_error",
                    "message": f"No such object: '{path.rsplit('/', 1)[-1]}'",
                }
            },
            status=404,
        )

    def _failure(self, path):
        if any(path.startswith(prefix) for prefix in self.failing):
            return self._json({"error": {"type": "api_error", "message": "Try again."}}, 500)
        return None

    def _idempotent(self, key: str, answer):
        """Stripe's idempotency keys: a repeated key gets the first answer again, and a
        request whose key is still being processed gets 409 `idempotency_error`."""
        with self._idempotency_lock:
            if key and key in self.idempotent:
                return self.idempotent[key]
            if key and key in self._in_flight:
                return self._json({"error": {
                    "type": "idempotency_error",
                    "message": "There is currently another in-progress request using this "
                               "Idempotent Key (that probably means you submitted twice, and "
                               "the other request is still going through)."}}, status=409)
            self._in_flight.add(key)
        try:
            time.sleep(self.latency)
            result = answer()
        finally:
            with self._idempotency_lock:
                self._in_flight.discard(key)
        with self._idempotency_lock:
            self.idempotent[key] = result
        return result

    def _handled(self, request, path: str, params: dict):
        for method, pattern, handler in self.handlers:
            match = re.fullmatch(pattern, path)
            if method == request.method and match:
                answer = handler(match, params)
                return answer if isinstance(answer, tuple) else self._json(answer)
        return None

    def _get(self, request):
        path, params = self._record(request)
        time.sleep(self.latency)
        if failure := self._failure(path):
            return failure
        if (answer := self._handled(request, path, params)) is not None:
            return answer
        if path == "/v1/account":
            return self._json(self.account)
        if path == "/v1/prices":
            keys = params.get("lookup_keys", {})
            keys = set(keys.values()) if isinstance(keys, dict) else {keys}
            found = [
                o
                for o in self.objects.values()
                if o.get("object") == "price" and o.get("lookup_key") in keys and o.get("active")
            ]
            return self._json(
                {"object": "list", "data": found, "has_more": False, "url": "/v1/prices"}
            )
        match = re.fullmatch(r"/v1/(?:[a-z_]+/)*[a-z_]+/([A-Za-z0-9_\-]+)", path)
        if match and match.group(1) in self.objects:
            found = self.objects[match.group(1)]
            if "payment_method" in str(params.get("expand", "")) and \
                    found.get("payment_method") in self.objects:
                found = {**found, "payment_method": self.objects[found["payment_method"]]}
            return self._json(found)
        line_items = re.fullmatch(r"/v1/checkout/sessions/([^/]+)/line_items", path)
        if line_items:
            return self._json({"object": "list", "data": [], "has_more": False, "url": path})
        return self._missing(path)

    def _post(self, request):
        path, params = self._record(request)
        if failure := self._failure(path):
            return failure
        if (answer := self._handled(request, path, params)) is not None:
            return answer
        if path == "/v1/customers":
            return self._json(
                self.customer(email=params.get("email"), metadata=params.get("metadata"))
            )
        if path == "/v1/checkout/sessions":
            try:
                return self._json(self.session(params))
            except StripeRefusal as refusal:
                return self._json({"error": {"type": "invalid_request_error",
                                             "message": str(refusal)}}, status=400)
        if path == "/v1/payment_intents":
            return self._idempotent(request.headers.get("Idempotency-Key", ""),
                                    lambda: self.off_session_payment(params))
        expire = re.fullmatch(r"/v1/checkout/sessions/([^/]+)/expire", path)
        if expire:
            session = self.objects[expire.group(1)]
            if session["status"] != "open":
                return self._json(
                    {
                        "error": {
                            "type": "invalid_request_error",
                            "message": "Only open Checkout Sessions can be expired.",
                        }
                    },
                    status=400,
                )
            session["status"] = "expired"
            return self._json(session)
        if path == "/v1/products":
            return self._json(
                self.add(
                    {
                        "id": params.get("id") or _id("prod"),
                        "object": "product",
                        "active": params.get("active", "true") == "true",
                        "name": params["name"],
                        "metadata": params.get("metadata", {}),
                        "livemode": False,
                        "created": int(time.time()),
                    }
                )
            )
        if path == "/v1/prices":
            return self._json(
                self.add(
                    {
                        "id": _id("price"),
                        "object": "price",
                        "active": True,
                        "currency": params["currency"],
                        "unit_amount": int(params["unit_amount"]),
                        "product": params["product"],
                        "lookup_key": params.get("lookup_key"),
                        "metadata": params.get("metadata", {}),
                        "type": "recurring" if params.get("recurring") else "one_time",
                        "recurring": {
                            "interval": params["recurring"]["interval"], "interval_count": 1,
                            "meter": None, "trial_period_days": None,
                            "usage_type": "licensed",
                        } if params.get("recurring") else None,
                        "billing_scheme": "per_unit",
                        "nickname": None,
                        "tiers_mode": None,
                        "transform_quantity": None,
                        "tax_behavior": "unspecified",
                        "unit_amount_decimal": params["unit_amount"],
                        "livemode": False,
                        "created": int(time.time()),
                    }
                )
            )
        if path == "/v1/coupons":
            return self._idempotent(request.headers.get("Idempotency-Key", ""),
                                    lambda: self._json(self.add(self.coupon(params))))
        if path == "/v1/promotion_codes":
            return self._idempotent(request.headers.get("Idempotency-Key", ""),
                                    lambda: self.promotion_code(params))
        update = re.fullmatch(r"/v1/(products|prices|promotion_codes)/([^/]+)", path)
        if update and update.group(2) in self.objects:
            obj = self.objects[update.group(2)]
            for key, value in params.items():
                obj[key] = {"true": True, "false": False}.get(value, value)
            return self._json(obj)
        return self._missing(path)


class Webhooks:
    """Posts signed events to dj-stripe's real webhook endpoint."""

    def __init__(self, client, endpoint):
        self.client = client
        self.endpoint = endpoint

    @property
    def url(self):
        return reverse("djstripe:djstripe_webhook_by_uuid", args=[self.endpoint.djstripe_uuid])

    def post(
        self,
        event: dict,
        *,
        secret: str | None = None,
        timestamp: int | None = None,
        headers: dict | None = None,
    ):
        payload = json.dumps(event)
        signature = sign(payload, secret or self.endpoint.secret, timestamp)
        return self.client.post(
            self.url,
            data=payload,
            content_type="application/json",
            headers={"Stripe-Signature": signature, **(headers or {})},
        )
