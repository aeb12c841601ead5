"""Money is formatted in one place (billing.money) and shown by one template filter."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from billing.money import format_money, major_units


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (2000, "usd", "$20.00"),
        (1999, "USD", "$19.99"),
        (123456789, "usd", "$1,234,567.89"),
        (0, "usd", "$0.00"),
        (-500, "usd", "-$5.00"),
        (2000, "eur", "€20.00"),
        (2000, "chf", "20.00 CHF"),
        (Decimal("40.0"), "usd", "$0.40"),  # a per-token price in cents
        (Decimal("0.5"), "usd", "$0.005"),  # a fraction of a cent keeps its digits
        (Decimal("33.33333"), "usd", "$0.3333"),
        (None, "usd", "—"),
    ],
)
def test_format_money(amount, currency, shown):
    assert format_money(amount, currency) == shown


def test_major_units():
    assert major_units(1999) == Decimal("19.99")


def test_the_money_filter_formats_like_python():
    template = Template('{% load billing_tags %}{{ a|money }} {{ b|money:"gbp" }} {{ c|money }}')
    assert template.render(Context({"a": 2500, "b": 99, "c": None})) == "$25.00 £0.99 —"
