"""16 threads, each with its own PostgreSQL connection, hammer a few accounts at once.

Every round all threads wait at a barrier and then fire together; a quarter of the
operations in each round are fired by two threads with the same idempotency key. Afterwards
nothing is negative, every key had at most one effect, the totals add up and the audit
passes.
"""

import random
import threading
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum

from tokens.exceptions import HoldStateError, InsufficientTokens
from tokens.models import Hold, HoldStatus, LedgerEntry, TokenAccount
from tokens.selectors import find_balance_mismatches
from tokens.services import (
    capture_hold,
    grant_tokens,
    open_account,
    release_hold,
    reserve_tokens,
    spend_tokens,
    transfer_tokens,
)

THREADS = 16
ROUNDS = 25
DISTINCT_PER_ROUND = 12  # threads 12..15 repeat the operations of threads 0..3


def plan_rounds(accounts, rng):
    """Operations per round: (kind, key, params). Capture/release target earlier holds."""
    hot = accounts[0]
    reserved_keys: list[str] = []
    rounds = []
    for number in range(ROUNDS):
        ops = []
        for slot in range(DISTINCT_PER_ROUND):
            key = f"conc:{number}:{slot}"
            # Half of all traffic goes to the hot account.
            account = hot if rng.random() < 0.5 else rng.choice(accounts)
            kind = rng.choice(
                ["reserve", "reserve", "capture", "release", "spend", "grant", "transfer"]
            )
            if kind in ("capture", "release") and reserved_keys:
                ops.append((kind, rng.choice(reserved_keys), {}))
                continue
            if kind == "transfer":
                other = rng.choice([a for a in accounts if a.pk != account.pk])
                ops.append((kind, key, {"source": account, "destination": other}))
                continue
            kind = kind if kind in ("spend", "grant", "transfer") else "reserve"
            if kind == "reserve":
                reserved_keys.append(key)
            ops.append((kind, key, {"account": account}))
        rounds.append(ops)
    return rounds


def run(kind, key, params):
    if kind == "reserve":
        return reserve_tokens(account=params["account"], amount=2, idempotency_key=key)
    if kind == "spend":
        return spend_tokens(account=params["account"], amount=1, idempotency_key=key)
    if kind == "grant":
        return grant_tokens(account=params["account"], amount=3, kind="promo", idempotency_key=key)
    if kind == "transfer":
        return transfer_tokens(amount=2, idempotency_key=key, **params)
    hold = Hold.objects.filter(idempotency_key=key).first()
    if hold is None:
        return None  # its reservation was refused
    if kind == "capture":
        return capture_hold(hold=hold)
    return release_hold(hold=hold)


@pytest.mark.django_db(transaction=True)
def test_sixteen_threads_with_duplicate_keys_keep_the_ledger_exact():
    rng = random.Random(20261121)
    accounts = [open_account(label=f"conc-{n}") for n in range(4)]
    for account, amount in zip(accounts, [60, 20, 20, 20], strict=True):
        grant_tokens(
            account=account, amount=amount, kind="welcome", idempotency_key=f"seed:{account.pk}"
        )
    initial_total = 120
    rounds = plan_rounds(accounts, rng)

    barrier = threading.Barrier(THREADS)
    outcomes: dict[tuple[int, int], list] = defaultdict(list)  # (round, slot) -> results
    unexpected: list[BaseException] = []
    lock = threading.Lock()

    def worker(thread_number: int):
        slot = thread_number % DISTINCT_PER_ROUND
        try:
            for number, ops in enumerate(rounds):
                barrier.wait(timeout=60)
                kind, key, params = ops[slot]
                try:
                    result = run(kind, key, params)
                except (InsufficientTokens, HoldStateError) as refused:
                    result = type(refused)
                with lock:
                    outcomes[(number, slot)].append((kind, key, result))
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            unexpected.append(error)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert unexpected == []

    # Every operation fired twice at the same instant had exactly one effect.
    duplicated = 0
    for (_, slot), results in outcomes.items():
        expected_runs = 2 if slot < THREADS - DISTINCT_PER_ROUND else 1
        assert len(results) == expected_runs
        if expected_runs == 2:
            duplicated += 1
        kind, key, _ = results[0]
        effects = {_identity(result) for _, _, result in results if not isinstance(result, type)}
        effects.discard(None)
        if kind in ("reserve", "spend", "grant", "transfer"):
            assert len(effects) <= 1, (key, effects)
            own_rows = LedgerEntry.objects.filter(idempotency_key__startswith=f"{key}:").count()
            own_rows += LedgerEntry.objects.filter(idempotency_key=key).count()
            own_rows += Hold.objects.filter(idempotency_key=key).count()
            assert own_rows == (2 if kind == "transfer" else 1) * len(effects), key
    assert duplicated == ROUNDS * (THREADS - DISTINCT_PER_ROUND)

    # Nothing negative; stored figures agree with the rows; totals conserved.
    for account in TokenAccount.objects.filter(pk__in=[a.pk for a in accounts]):
        assert account.balance >= 0 and 0 <= account.held <= account.balance
        pending = Hold.objects.filter(account=account, status=HoldStatus.PENDING)
        assert account.held == (pending.aggregate(total=Sum("amount"))["total"] or 0)
    granted = LedgerEntry.objects.filter(kind="promo").aggregate(total=Sum("amount"))["total"] or 0
    spent = LedgerEntry.objects.filter(kind="spend").aggregate(total=Sum("amount"))["total"] or 0
    balances = TokenAccount.objects.filter(pk__in=[a.pk for a in accounts]).aggregate(
        total=Sum("balance")
    )["total"]
    assert balances == initial_total + granted + spent
    assert LedgerEntry.objects.filter(kind="spend").count() > 10  # the mix really ran
    assert find_balance_mismatches() == []
    call_command("ledger_audit")  # exits 1 (SystemExit) on any mismatch


def _identity(result):
    if result is None:
        return None
    if isinstance(result, tuple):
        return tuple(entry.pk for entry in result)
    return (type(result).__name__, result.pk)
