"""Ledger benchmark: reserve + capture through `tokens.services` versus the same SQL by hand.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/myba_bench .venv/bin/python bench/ledger.py

Runs against the PostgreSQL named by DATABASE_URL (a throwaway database: it migrates it if
needed and leaves its accounts and rows behind). For one hot account and for 1,000 accounts,
at 1 and 16 threads, it prints operations per second (one operation = reserve_tokens +
capture_hold, two transactions) and p50/p99 latency, then the same statements issued as raw
SQL through psycopg on the same tables, and the service/raw ratio. In each scenario the
service and the raw SQL each run for `--seconds` (default 5) in alternating slices, so both
see the same machine load; the whole run takes about a minute.
"""

import argparse
import itertools
import os
import random
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-used-for-anything-0123456789")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402

from tokens.models import TokenAccount  # noqa: E402
from tokens.services import capture_hold, grant_tokens, open_account, reserve_tokens  # noqa: E402

FUNDS = 10**12
RUN = uuid.uuid4().hex[:8]
KEYS = itertools.count()  # next() on a count is atomic under the GIL

# The statements the services issue for one reserve + one capture (tokens/services/_core.py),
# written out by hand. Same tables, constraints and indexes; psycopg's default cursor
# (server-side parameters, statements prepared after five uses).
RESERVE_SQL = [
    "UPDATE tokens_tokenaccount SET balance = balance + 0, held = held + %(n)s "
    "WHERE id = %(account)s AND held + %(n)s >= 0 AND balance + 0 >= held + %(n)s "
    "AND closed_at IS NULL RETURNING balance, held",
    "INSERT INTO tokens_hold (account_id, amount, status, idempotency_key, request_hash, "
    "reference, feature_key, spender, expires_at, created_at, reason) VALUES (%(account)s, "
    "%(n)s, 'pending', %(key)s, '', '', '', '', now() + interval '10 minutes', now(), '') "
    "RETURNING id",
]
CAPTURE_SQL = [
    "UPDATE tokens_tokenaccount SET balance = balance - %(n)s, held = held - %(n)s "
    "WHERE id = %(account)s AND held - %(n)s >= 0 AND balance - %(n)s >= held - %(n)s "
    "RETURNING balance, held",
    "UPDATE tokens_hold SET status = 'captured', resolved_at = now(), reason = '' "
    "WHERE id = %(hold)s AND status = 'pending'",
    "INSERT INTO tokens_ledgerentry (account_id, amount, kind, balance_after, idempotency_key, "
    "request_hash, reference, feature_key, spender, memo, actor_id, created_at) VALUES "
    "(%(account)s, -%(n)s, 'spend', %(balance)s, %(key)s || ':capture', '', '', '', '', '', "
    "NULL, now()) RETURNING id",
    "UPDATE tokens_lot SET remaining = remaining - %(n)s WHERE remaining >= %(n)s AND id = ("
    "SELECT id FROM tokens_lot WHERE account_id = %(account)s AND remaining > 0 ORDER BY "
    "expires_at ASC NULLS LAST, "
    "CASE source WHEN 'granted' THEN 0 WHEN 'transferred' THEN 1 ELSE 2 END, id "
    "LIMIT 1) RETURNING id",
    "INSERT INTO tokens_lotconsumption (entry_id, lot_id, amount) "
    "VALUES (%(entry)s, %(lot)s, %(n)s)",
    "INSERT INTO tokens_spendtally (account_id, spender, day, tokens) "
    "VALUES (%(account)s, '', (now() AT TIME ZONE 'UTC')::date, %(n)s) "
    "ON CONFLICT (account_id, spender, day) "
    "DO UPDATE SET tokens = tokens_spendtally.tokens + EXCLUDED.tokens",
]


def service_op(account: TokenAccount, key: str) -> None:
    hold = reserve_tokens(account=account, amount=1, idempotency_key=key)
    capture_hold(hold=hold)


def make_raw_op():
    raw = psycopg.connect(os.environ["DATABASE_URL"])

    def raw_op(account: TokenAccount, key: str) -> None:
        params = {"account": account.pk, "n": 1, "key": key}
        with raw.transaction(), raw.cursor() as cur:
            cur.execute(RESERVE_SQL[0], params)
            cur.execute(RESERVE_SQL[1], params)
            params["hold"] = cur.fetchone()[0]
        with raw.transaction(), raw.cursor() as cur:
            cur.execute(CAPTURE_SQL[0], params)
            params["balance"] = cur.fetchone()[0]
            cur.execute(CAPTURE_SQL[1], params)
            cur.execute(CAPTURE_SQL[2], params)
            params["entry"] = cur.fetchone()[0]
            cur.execute(CAPTURE_SQL[3], params)
            params["lot"] = cur.fetchone()[0]
            cur.execute(CAPTURE_SQL[4], params)
            cur.execute(CAPTURE_SQL[5], params)

    return raw_op, raw


def run_slice(kind: str, accounts: list, threads: int, seconds: float) -> tuple[int, list]:
    """Run `threads` workers for `seconds`; returns (operations, latencies in seconds)."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    barrier = threading.Barrier(threads + 1)
    stop = threading.Event()

    def worker(number: int):
        raw = None
        op = service_op
        if kind == "raw":
            op, raw = make_raw_op()
        rng = random.Random(number)
        mine = latencies[number]
        try:
            barrier.wait()
            while not stop.is_set():
                account = accounts[0] if len(accounts) == 1 else rng.choice(accounts)
                key = f"bench:{RUN}:{next(KEYS)}"
                started = time.perf_counter()
                op(account, key)
                mine.append(time.perf_counter() - started)
        finally:
            if raw is not None:
                raw.close()
            connection.close()

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - began
    return elapsed, [latency for mine in latencies for latency in mine]


def run_scenario(accounts: list, threads: int, seconds: float, slices: int = 3) -> dict:
    """Service and raw SQL in alternating slices, so both see the same machine load."""
    totals = {kind: [0.0, []] for kind in ("service", "raw")}
    for _ in range(slices):
        for kind in ("service", "raw"):
            elapsed, latencies = run_slice(kind, accounts, threads, seconds / slices)
            totals[kind][0] += elapsed
            totals[kind][1].extend(latencies)
    results = {}
    for kind, (elapsed, latencies) in totals.items():
        quantiles = statistics.quantiles(sorted(latencies), n=100)
        results[kind] = {
            "ops": len(latencies) / elapsed,
            "p50": quantiles[49] * 1000,
            "p99": quantiles[98] * 1000,
        }
    return results


def prepare(count: int) -> list[TokenAccount]:
    call_command("migrate", "--noinput", verbosity=0)
    accounts = []
    for number in range(count):
        account = open_account(label=f"bench:{RUN}:{number}")
        grant_tokens(
            account=account,
            amount=FUNDS,
            kind="promo",
            idempotency_key=f"bench:{RUN}:fund:{number}",
        )
        accounts.append(account)
    return accounts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each scenario")
    parser.add_argument("--accounts", type=int, default=1000, help="accounts in the spread case")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/ledger.py needs PostgreSQL: set DATABASE_URL=postgres://...")

    accounts = prepare(args.accounts + 1)
    hot, spread = accounts[:1], accounts[1:]
    print(
        f"reserve+capture, {args.seconds:g}s per scenario, PostgreSQL "
        f"{connection.cursor().connection.info.server_version}"
    )
    header = f"{'scenario':<40}{'service ops/s':>14}{'p50 ms':>8}{'p99 ms':>8}"
    print(f"{header}{'raw ops/s':>11}{'p50 ms':>8}{'p99 ms':>8}{'ratio':>7}")
    for label, pool in (("hot account", hot), (f"spread over {len(spread)} accounts", spread)):
        for threads in (1, 16):
            results = run_scenario(pool, threads, args.seconds)
            service, raw = results["service"], results["raw"]
            print(
                f"{label + f', {threads} thread' + ('s' if threads > 1 else ''):<40}"
                f"{service['ops']:>14,.0f}{service['p50']:>8.2f}{service['p99']:>8.2f}"
                f"{raw['ops']:>11,.0f}{raw['p50']:>8.2f}{raw['p99']:>8.2f}"
                f"{service['ops'] / raw['ops']:>7.2f}",
                flush=True,
            )
    for alias in connections:
        connections[alias].close()


if __name__ == "__main__":
    main()
