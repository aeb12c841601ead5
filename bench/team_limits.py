"""Team limits benchmark: what checking a member's limits in the hold transaction costs, and
the limit under a large fire.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/myba_bench .venv/bin/python bench/team_limits.py

Runs against the PostgreSQL named by DATABASE_URL (a throwaway database: it migrates it if
needed and leaves its rows behind).

1. Throughput: reserve_tokens + capture_hold on one team pool, by members with a daily and
   a monthly limit and the team's monthly budget (three limits counted under the pool's lock)
   versus the same spenders with no limits, at 1 and 16 threads, in alternating slices so
   both see the same machine load; prints operations per second, p50/p99 latency and the
   limited/unlimited ratio — on a fresh pool, then on one with `--history` spends (default
   100,000) earlier this month, which every budget check sums.
2. Fire: `--members` members with a daily limit of `--limit` tokens each send `--tries`
   reservations each from 32 threads; prints how many were accepted against what the limits
   allow (they must be equal) and the pool's held tokens.
"""

import argparse
import itertools
import os
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-used-for-anything-0123456789")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.teams.limits import member_limits  # noqa: E402
from accounts.teams.models import Membership  # noqa: E402
from accounts.teams.services import create_organization  # noqa: E402
from tokens.exceptions import LimitReached  # noqa: E402
from tokens.models import EntryKind, LedgerEntry, SpendTally  # noqa: E402
from tokens.services import capture_hold, grant_tokens, reserve_tokens  # noqa: E402

RUN = uuid.uuid4().hex[:8]
KEYS = itertools.count()


def make_team(name: str, members: int, *, daily: int, funds: int):
    owner = User.objects.create_user(email=f"owner-{name}-{RUN}@bench.invalid")
    team = create_organization(user=owner, name=f"{name} {RUN}")
    grant_tokens(account=team.token_account, amount=funds, kind="adjustment",
                 idempotency_key=f"bench:{RUN}:{name}:funds")
    team.monthly_budget = 1_000_000  # a third limit, never reached
    team.save(update_fields=["monthly_budget"])
    rows = []
    for n in range(members):
        user = User.objects.create_user(email=f"m{n}-{name}-{RUN}@bench.invalid")
        rows.append(Membership.objects.create(
            organization=team, user=user, role="member", daily_limit=daily,
            monthly_limit=1_000_000))
    return team, rows


def op(team, membership, limited: bool) -> None:
    limits = member_limits(membership, now=timezone.now()) if limited else ()
    hold = reserve_tokens(account=team.token_account, amount=1,
                          idempotency_key=f"bench:{RUN}:{next(KEYS)}",
                          spender=f"user:{membership.user_id}", feature_key="ticket.standard",
                          ttl=timedelta(minutes=10), limits=limits)
    capture_hold(hold=hold)


def run_slice(team, members, limited: bool, threads: int, seconds: float):
    latencies: list[list[float]] = [[] for _ in range(threads)]
    barrier = threading.Barrier(threads + 1)
    stop = threading.Event()

    def worker(number: int):
        mine = latencies[number]
        membership = members[number % len(members)]
        try:
            barrier.wait()
            while not stop.is_set():
                started = time.perf_counter()
                op(team, membership, limited)
                mine.append(time.perf_counter() - started)
        finally:
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
    return time.perf_counter() - began, [x for mine in latencies for x in mine]


def seed_history(team, members, entries: int) -> None:
    """`entries` spends this month on the pool, spread over the members (written in bulk,
    not through the services: only their count and shape matter here), then VACUUM ANALYZE
    so the planner and the visibility map see them as a long-running database would."""
    rows = [LedgerEntry(account_id=team.token_account_id, amount=-1, kind=EntryKind.SPEND,
                        balance_after=0, idempotency_key=f"bench:{RUN}:history:{n}",
                        spender=f"user:{members[n % len(members)].user_id}",
                        feature_key="ticket.standard") for n in range(entries)]
    LedgerEntry.objects.bulk_create(rows, batch_size=5000)  # dated now: in every period
    day = timezone.now().astimezone(UTC).date()
    SpendTally.objects.bulk_create(
        [SpendTally(account_id=team.token_account_id, spender=f"user:{m.user_id}", day=day,
                    tokens=entries // len(members)) for m in members],
        update_conflicts=True, unique_fields=["account", "spender", "day"],
        update_fields=["tokens"])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE tokens_ledgerentry")


def throughput(seconds: float, history: int) -> None:
    team, members = make_team(f"limited{history}", 16, daily=1_000_000, funds=10**9)
    if history:
        seed_history(team, members, history)
    print(f"Pool with {history:,} spends earlier this month")
    print(f"{'threads':>7} {'kind':>10} {'ops/s':>8} {'p50 ms':>7} {'p99 ms':>7}")
    for threads in (1, 16):
        totals = {True: [0.0, []], False: [0.0, []]}
        for _ in range(3):
            for limited in (True, False):
                elapsed, latencies = run_slice(team, members, limited, threads, seconds / 3)
                totals[limited][0] += elapsed
                totals[limited][1].extend(latencies)
        rates = {}
        for limited, (elapsed, latencies) in totals.items():
            q = statistics.quantiles(sorted(latencies), n=100)
            rates[limited] = len(latencies) / elapsed
            print(f"{threads:>7} {'limits' if limited else 'no limits':>10} "
                  f"{rates[limited]:>8.0f} {q[49] * 1000:>7.2f} {q[98] * 1000:>7.2f}")
        print(f"{threads:>7} {'ratio':>10} {rates[True] / rates[False]:>8.2f} "
              "(limited / unlimited)")


def fire(members: int, tries: int, limit: int) -> None:
    team, rows = make_team("fire", members, daily=limit, funds=10**6)
    jobs = [(row, n) for row in rows for n in range(tries)]
    results = {"accepted": 0, "refused": 0}
    lock = threading.Lock()
    cursor = iter(jobs)

    def worker():
        try:
            while True:
                with lock:
                    job = next(cursor, None)
                if job is None:
                    return
                try:
                    reserve_tokens(account=team.token_account, amount=1,
                                   idempotency_key=f"bench:{RUN}:{next(KEYS)}",
                                   spender=f"user:{job[0].user_id}",
                                   limits=member_limits(job[0], now=timezone.now()))
                    outcome = "accepted"
                except LimitReached:
                    outcome = "refused"
                with lock:
                    results[outcome] += 1
        finally:
            connection.close()

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(32)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    team.token_account.refresh_from_db()
    allowed = members * min(limit, tries)
    print(f"fire: {len(jobs)} reservations from 32 threads in {elapsed:.1f} s; accepted "
          f"{results['accepted']} (the limits allow {allowed}), refused {results['refused']}, "
          f"pool held {team.token_account.held}"
          + ("" if results["accepted"] == allowed else "  <-- MISMATCH"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--tries", type=int, default=40)
    parser.add_argument("--limit", type=int, default=25)
    parser.add_argument("--history", type=int, default=100_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    throughput(args.seconds, 0)
    throughput(args.seconds, args.history)
    fire(args.members, args.tries, args.limit)


if __name__ == "__main__":
    main()
