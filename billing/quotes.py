"""What a checkout of packs costs and grants: the one place the price, the sale and the bulk
bonus rule meet. Pure functions over a pack, a quantity and the sale on at the time; the
pricing page shows a quote and the checkout charges and records the same quote."""

from dataclasses import dataclass

from billing.models import PackSale, TokenPack

MAX_QUANTITY = 10
# The bulk bonus: a checkout whose packs cost this much or more (smallest unit, before any
# coupon or promotion code) gets BULK_BONUS_PERCENT of its paid tokens on top, as a bonus lot.
# Several packs at once or the biggest pack alone ($60) reach it.
BULK_BONUS_MIN_CENTS = 5000
BULK_BONUS_PERCENT = 10


def bulk_bonus_tokens(*, paid_tokens: int, subtotal_cents: int) -> int:
    """The bulk bonus of a checkout (rounded down)."""
    if subtotal_cents < BULK_BONUS_MIN_CENTS:
        return 0
    return paid_tokens * BULK_BONUS_PERCENT // 100


@dataclass(frozen=True)
class Quote:
    """`quantity` packs at `unit_amount` each (the sale price while a sale is on), the paid
    tokens and the bonus tokens (the sale's bonus per pack plus the bulk bonus)."""

    pack: TokenPack
    quantity: int
    unit_amount: int
    sale: PackSale | None
    tokens: int
    sale_bonus_tokens: int
    bulk_bonus_tokens: int

    @property
    def subtotal(self) -> int:
        return self.unit_amount * self.quantity

    @property
    def bonus_tokens(self) -> int:
        return self.sale_bonus_tokens + self.bulk_bonus_tokens

    @property
    def on_sale_price(self) -> bool:
        return self.unit_amount < self.pack.price_cents


def quote_pack(*, pack: TokenPack, quantity: int = 1, sale: PackSale | None = None) -> Quote:
    """`quantity` (1..MAX_QUANTITY) of `pack`, in `sale` if one is on (the caller asks
    `billing.selectors.get_active_sales` which one is, at the time that counts)."""
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValueError(f"quantity must be 1..{MAX_QUANTITY}")
    unit_amount = pack.price_cents
    if sale is not None and sale.sale_price_cents is not None:
        unit_amount = min(sale.sale_price_cents, pack.price_cents)
    tokens = pack.tokens * quantity
    return Quote(
        pack=pack,
        quantity=quantity,
        unit_amount=unit_amount,
        sale=sale,
        tokens=tokens,
        sale_bonus_tokens=(sale.bonus_tokens if sale is not None else 0) * quantity,
        bulk_bonus_tokens=bulk_bonus_tokens(paid_tokens=tokens,
                                            subtotal_cents=unit_amount * quantity),
    )
