"""Batches: CSV files to upload and the batch a user made from one."""

import pytest

from accounts.services import get_or_open_user_account
from tests.builders import funded_user
from tickets.batches.services import create_batch

HEADER = "description,type,quality,product_area,context,labels\n"


def describe(number: int) -> str:
    return f"Customers need report number {number} exported as PDF for their accountants."


def csv_of(count: int, *, quality: str = "standard", ticket_type: str = "story") -> bytes:
    """A valid CSV of `count` rows."""
    lines = [f'"{describe(n)}",{ticket_type},{quality},Billing,Django,billing;export\n'
             for n in range(1, count + 1)]
    return (HEADER + "".join(lines)).encode()


def make_batch(user, data: bytes, *, filename: str = "ideas.csv"):
    """A draft batch `user` uploaded to their personal account, as the upload view makes it."""
    return create_batch(owner=user, organization=None,
                        token_account=get_or_open_user_account(user=user),
                        spender=f"user:{user.pk}", filename=filename, data=data)


@pytest.fixture
def rich_user(prices):
    """A user whose own account holds 1,000 tokens."""
    return funded_user(1000, email="rich@example.com")
