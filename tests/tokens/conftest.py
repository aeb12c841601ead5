import itertools

import pytest

from tokens.services import grant_tokens, open_account

_keys = itertools.count()


def new_key(prefix: str = "k") -> str:
    """A fresh idempotency key, unique within the test run."""
    return f"test:{prefix}:{next(_keys)}"


@pytest.fixture
def funded(db):
    """funded(amount, **grant kwargs) -> an account credited with `amount` tokens."""

    def make(amount: int = 10, **kwargs):
        account = open_account(label="test")
        if amount:
            kwargs.setdefault("kind", "welcome")
            grant_tokens(account=account, amount=amount, idempotency_key=new_key("g"), **kwargs)
        return account

    return make
