"""Quotes: the price table read once, and the rule for when the generator asks first."""

import pytest
from django.test import RequestFactory

from tests.builders import funded_user, set_price
from tickets.quotes import GenerationQuote, quote_generation, ticket_price, ticket_prices
from tokens.exceptions import UnknownPrice

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("cost", "balance", "not_enough", "confirm"),
    [
        (1, 5, False, False),  # one token, more left: straight on
        (1, 1, False, True),  # the last token
        (3, 5, False, True),  # more than one token
        (3, 3, False, True),
        (3, 2, True, True),
        (1, 0, True, False),
    ],
)
def test_when_the_generator_asks_first(cost, balance, not_enough, confirm):
    quote = GenerationQuote(prices={"standard": cost}, balance=balance, quality="standard")
    assert (quote.cost, quote.not_enough, quote.needs_confirmation) == (
        cost, not_enough, confirm
    )


def test_a_quality_without_a_price_cannot_be_bought():
    quote = GenerationQuote(prices={"standard": 1}, balance=5, quality="advanced")
    assert quote.cost is None
    assert not quote.not_enough and not quote.needs_confirmation


def test_prices_are_read_in_one_query_and_inactive_ones_are_left_out(
    prices, django_assert_num_queries
):
    with django_assert_num_queries(1):
        assert ticket_prices() == {"standard": 1, "advanced": 3}
    set_price("ticket.advanced", active=False)
    assert ticket_prices() == {"standard": 1}
    assert ticket_price("standard") == 1
    with pytest.raises(UnknownPrice):
        ticket_price("advanced")


def test_a_quote_for_a_request_uses_the_balance_it_shows(prices):
    request = RequestFactory().get("/")
    request.user = funded_user(4)
    quote = quote_generation(request, quality="advanced")
    assert (quote.prices, quote.balance, quote.cost) == ({"standard": 1, "advanced": 3}, 4, 3)
