"""The low-balance threshold (issue 14): the ledger says when a write takes an account's
available tokens below its threshold — once per crossing, after the commit, re-armed when the
balance rises above it again — however many spends race."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tests.builders import funded_account, new_key
from tests.helpers import race
from tokens.models import TokenAccount
from tokens.services import (
    expire_lots,
    grant_tokens,
    release_hold,
    reserve_tokens,
    spend_tokens,
)
from tokens.signals import available_fell_below_threshold


@pytest.fixture
def crossings():
    """The signals sent, as (account id, available, threshold)."""
    sent = []

    def receive(sender, *, account_id, available, threshold, **kwargs):
        sent.append((account_id, available, threshold))

    available_fell_below_threshold.connect(receive, weak=False)
    yield sent
    available_fell_below_threshold.disconnect(receive)


def spend(account, amount=1):
    return spend_tokens(account=account, amount=amount, idempotency_key=new_key("spend"),
                        feature_key="ticket.standard")


@pytest.mark.django_db
def test_one_signal_per_crossing_and_re_armed_by_a_rise(
        crossings, django_capture_on_commit_callbacks):
    account = funded_account(5)
    assert account.low_balance_threshold == 3 and not account.is_low
    with django_capture_on_commit_callbacks(execute=True):
        spend(account)  # 4
        spend(account)  # 3: at the threshold is not below it
    assert crossings == []
    with django_capture_on_commit_callbacks(execute=True):
        spend(account)  # 2: crossed
        spend(account)  # 1: still below, no second alert
    assert crossings == [(account.pk, 2, 3)]
    with django_capture_on_commit_callbacks(execute=True):
        grant_tokens(account=account, amount=5, kind="purchase", idempotency_key=new_key("g"))
        hold = reserve_tokens(account=account, amount=4, idempotency_key=new_key("hold"))
    # 6 available, then 2 once 4 are reserved: a reservation crosses too.
    assert crossings == [(account.pk, 2, 3), (account.pk, 2, 3)]
    with django_capture_on_commit_callbacks(execute=True):
        release_hold(hold=hold)
    assert len(crossings) == 2
    account.refresh_from_db()
    assert not account.is_low


@pytest.mark.django_db
def test_nothing_is_said_before_the_commit_or_for_a_rolled_back_spend(
        crossings, django_capture_on_commit_callbacks):
    account = funded_account(3)
    with (django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError),
          transaction.atomic()):
        spend(account)
        raise RuntimeError("the caller failed after the spend")
    assert crossings == []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        spend(account)
    assert crossings == [] and len(callbacks) == 1


@pytest.mark.django_db
def test_a_threshold_of_zero_never_alerts(crossings, django_capture_on_commit_callbacks):
    account = funded_account(2)
    TokenAccount.objects.filter(pk=account.pk).update(low_balance_threshold=0)
    with django_capture_on_commit_callbacks(execute=True):
        spend(account, 2)
    assert crossings == []
    account.refresh_from_db()
    assert account.available == 0 and not account.is_low


@pytest.mark.django_db
def test_expiring_tokens_can_cross_it(crossings, django_capture_on_commit_callbacks):
    account = funded_account(2)
    grant_tokens(account=account, amount=4, kind="promo", idempotency_key=new_key("promo"),
                 expires_at=timezone.now() + timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_lots(now=timezone.now() + timedelta(days=2)) == 1
    assert crossings == [(account.pk, 2, 3)]


@pytest.mark.django_db(transaction=True)
def test_racing_spends_cross_it_exactly_once(crossings):
    account = funded_account(10)
    TokenAccount.objects.filter(pk=account.pk).update(low_balance_threshold=5)
    race(*[lambda: spend(account) for _ in range(10)])
    account.refresh_from_db()
    assert account.balance == 0
    assert crossings == [(account.pk, 4, 5)]
