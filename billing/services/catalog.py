"""Keep Stripe's Products, Prices and the first-purchase coupon in step with our packs and
plans."""

import logging
from dataclasses import dataclass, field

import stripe

from billing import stripe_api
from billing.models import SubscriptionPlan, TokenPack

logger = logging.getLogger(__name__)


@dataclass
class CatalogSyncReport:
    """What `sync_stripe_catalog` changed; empty lists mean Stripe was already in step."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def _is_missing(error: stripe.InvalidRequestError) -> bool:
    return error.http_status == 404 or getattr(error, "code", "") == "resource_missing"


def _product_name(item: TokenPack | SubscriptionPlan) -> str:
    if isinstance(item, SubscriptionPlan):
        return f"{item.name} plan — {item.tokens_per_month} MyBA tokens a month"
    return f"{item.name} — {item.tokens} MyBA tokens"


def _price_details(item: TokenPack | SubscriptionPlan) -> dict:
    """What a Price carries besides its amount: a plan's is recurring, and its metadata names
    the plan (a new amount makes a new Price, and webhooks still find the plan)."""
    if isinstance(item, SubscriptionPlan):
        return {"recurring": {"interval": item.interval},
                "metadata": {"plan": item.slug, "tokens_per_month": str(item.tokens_per_month)}}
    return {"metadata": {"pack": item.slug, "tokens": str(item.tokens)}}


def _sync_product(pack: TokenPack | SubscriptionPlan, report: CatalogSyncReport,
                  key: str) -> str:
    product_id = pack.stripe_product_key
    wanted = {"name": _product_name(pack), "active": pack.active}
    try:
        product = stripe.Product.retrieve(product_id, api_key=key)
    except stripe.InvalidRequestError as error:
        if not _is_missing(error):
            raise
        stripe.Product.create(
            api_key=key,
            idempotency_key=f"myba-product-{product_id}",
            id=product_id,
            metadata=_price_details(pack)["metadata"],
            **wanted,
        )
        report.created.append(f"product {product_id}")
        return product_id
    if product["name"] != wanted["name"] or product["active"] != wanted["active"]:
        stripe.Product.modify(product_id, api_key=key, **wanted)
        report.updated.append(f"product {product_id}")
    else:
        report.unchanged.append(f"product {product_id}")
    return product_id


def _sync_price(pack: TokenPack | SubscriptionPlan, product_id: str, report: CatalogSyncReport,
                key: str) -> str:
    """Find the active Price by lookup key; prices are immutable, so a new amount is a new
    Price that takes over the lookup key (the old one is archived)."""
    found = stripe.Price.list(api_key=key, lookup_keys=[pack.lookup_key], active=True, limit=1)
    current = found["data"][0] if found["data"] else None
    if (
        current is not None
        and current["unit_amount"] == pack.price_cents
        and current["currency"] == pack.currency
        and current["product"] == product_id
        and (current.get("recurring") or {}).get("interval")
        == _price_details(pack).get("recurring", {}).get("interval")
    ):
        report.unchanged.append(f"price {current['id']}")
        return current["id"]
    price = stripe.Price.create(
        api_key=key,
        idempotency_key=f"myba-price-{pack.lookup_key}-{pack.price_cents}"
                        f"{'-' + pack.interval if isinstance(pack, SubscriptionPlan) else ''}",
        product=product_id,
        unit_amount=pack.price_cents,
        currency=pack.currency,
        lookup_key=pack.lookup_key,
        transfer_lookup_key=True,
        **_price_details(pack),
    )
    report.created.append(f"price {price['id']}")
    if current is not None:
        stripe.Price.modify(current["id"], api_key=key, active=False)
        report.updated.append(f"price {current['id']} archived")
    return price["id"]


def _sync_coupon(report: CatalogSyncReport, key: str) -> None:
    coupon_id = stripe_api.first_purchase_coupon_id()
    try:
        stripe.Coupon.retrieve(coupon_id, api_key=key)
    except stripe.InvalidRequestError as error:
        if not _is_missing(error):
            raise
        stripe.Coupon.create(
            api_key=key,
            idempotency_key=f"myba-coupon-{coupon_id}",
            id=coupon_id,
            percent_off=stripe_api.discount_percent(),
            duration="once",
            name=f"First purchase {stripe_api.discount_percent()}% off",
        )
        report.created.append(f"coupon {coupon_id}")
        return
    report.unchanged.append(f"coupon {coupon_id}")


def sync_stripe_catalog() -> CatalogSyncReport:
    """Create or update one Stripe Product and Price per pack and per plan (a recurring Price,
    monthly or yearly), and the first-purchase coupon.

    Writes: `stripe_product_id` / `stripe_price_id` of packs and plans (no lock: staff-run
    command).
    Guarantees: idempotent — a second run only reads from Stripe and changes nothing.
    Products use our own ids (`myba-pack-<slug>`) and Prices a lookup key, so nothing is
    duplicated even when the local database is new.
    """
    key = stripe_api.api_key()
    report = CatalogSyncReport()
    items = [*TokenPack.objects.order_by("sort_order", "pk"),
             *SubscriptionPlan.objects.order_by("sort_order", "pk")]
    for pack in items:
        product_id = _sync_product(pack, report, key)
        price_id = pack.stripe_price_id
        if pack.active:
            price_id = _sync_price(pack, product_id, report, key)
        if (pack.stripe_product_id, pack.stripe_price_id) != (product_id, price_id):
            pack.stripe_product_id, pack.stripe_price_id = product_id, price_id
            pack.save(update_fields=["stripe_product_id", "stripe_price_id"])
    _sync_coupon(report, key)
    logger.info("Stripe catalog synced: %s", report)
    return report
