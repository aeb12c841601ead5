"""Usage page benchmark: one user with 100,000 ledger entries over two years.

    make bench BENCH_ARGS=usage
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/myba_bench .venv/bin/python bench/usage.py

Runs against the PostgreSQL named by DATABASE_URL (a throwaway database: it migrates it if
needed and leaves its rows behind). Seeds, once per database and with bulk SQL, a user whose
account has 100,000 entries over the last two years — a 1,000-token purchase every week, the
rest spends on Standard, Advanced and Improve across 20,000 tickets, each spend with the lot
consumption the ledger keeps — and a second user with ten entries. Then it loads, through
Django's test client signed in as the heavy user, each page LOADS times and prints p50/p95,
p95 as a multiple of the lightest page (the header's balance fragment) measured in the same
run, and the query counts (which must not depend on the history's length: compared with the
light user). Last, it streams the CSV export of all 100,000 rows and reports rows/s and the
peak Python memory (tracemalloc), against an export of 10,000 rows: constant memory means
the same peak. Goals: every page p95 under 150 ms; CSV at least 20,000 rows/s.
BENCH_PROFILE=1 also prints where a 10,000-row export spends its time (cProfile).
"""

import os
import statistics
import sys
import time
import tracemalloc
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-used-for-anything-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("STATIC_MANIFEST", "0")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from tickets.models import Ticket  # noqa: E402
from tokens.models import LedgerEntry, Lot, LotConsumption, TokenAccount  # noqa: E402
from tokens.selectors.usage import HistoryFilter, encode_cursor, iter_movements  # noqa: E402

ENTRIES = 100_000
TICKETS = 20_000
WEEKS = 104
PACK = 1_000
HEAVY, LIGHT = "heavy@bench-usage.local", "light@bench-usage.local"
LOADS = 20
BATCH = 5_000
FEATURES = ("ticket.standard", "ticket.standard", "ticket.standard", "ticket.advanced",
            "ticket.improve.standard")
COSTS = {"ticket.standard": 1, "ticket.advanced": 3, "ticket.improve.standard": 1}


def seed_user(email: str, entries: int, tickets: int) -> User:
    """A user whose account holds `entries` entries spread evenly over WEEKS weeks, oldest
    first: a purchase at the start of every week, spends in between, each consuming the
    week's lot; balances and lots agree with the entries."""
    account = TokenAccount.objects.create(label="bench usage")
    user = User.objects.create(email=email, token_account=account, password="!")
    made = Ticket.objects.bulk_create(
        [Ticket(owner=user, token_account=account, cost=1, nonce=uuid.uuid4(),
                status="succeeded", ticket_type="story", quality="standard",
                description="bench", title=f"Bench ticket {n}") for n in range(tickets)],
        batch_size=BATCH)
    start = timezone.now() - timedelta(weeks=WEEKS)
    step = timedelta(weeks=WEEKS) / entries
    per_week = max(entries // WEEKS, 2)
    rows, lots, consumptions = [], [], []
    balance, lot_index, lot_left = 0, -1, 0
    for n in range(entries):
        if n % per_week == 0 or lot_left < 3:
            balance += PACK
            rows.append(LedgerEntry(account=account, amount=PACK, kind="purchase",
                                    balance_after=balance,
                                    idempotency_key=f"bench-usage:{email}:{n}",
                                    reference=f"cs_bench_{n}", memo="Bench pack"))
            lots.append(len(rows) - 1)
            lot_index, lot_left = len(lots) - 1, PACK
            continue
        feature = FEATURES[n % len(FEATURES)]
        cost = COSTS[feature]
        balance -= cost
        lot_left -= cost
        rows.append(LedgerEntry(account=account, amount=-cost, kind="spend",
                                balance_after=balance, feature_key=feature,
                                idempotency_key=f"bench-usage:{email}:{n}",
                                reference=f"ticket:{made[n % tickets].pk}"))
        consumptions.append((len(rows) - 1, lot_index, cost))
    with transaction.atomic():
        saved = LedgerEntry.objects.bulk_create(rows, batch_size=BATCH)
        # created_at is auto_now_add: date the history afterwards, in insertion (id) order.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE tokens_ledgerentry SET created_at = %s + (id - %s) * %s "
                "WHERE account_id = %s", [start, saved[0].pk, step, account.pk])
        used = [0] * len(lots)
        for _, lot, cost in consumptions:
            used[lot] += cost
        lot_rows = Lot.objects.bulk_create(
            [Lot(entry=saved[index], account=account, source="paid", amount=PACK,
                 remaining=PACK - used[i]) for i, index in enumerate(lots)], batch_size=BATCH)
        LotConsumption.objects.bulk_create(
            [LotConsumption(entry=saved[entry], lot=lot_rows[lot], amount=cost)
             for entry, lot, cost in consumptions], batch_size=BATCH)
        TokenAccount.objects.filter(pk=account.pk).update(balance=balance)
    return user


def seed() -> tuple[User, User]:
    heavy = User.objects.filter(email=HEAVY).first()
    if heavy is None:
        started = time.perf_counter()
        heavy = seed_user(HEAVY, ENTRIES, TICKETS)
        seed_user(LIGHT, 10, 5)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(f"seeded {ENTRIES:,} entries in {time.perf_counter() - started:.1f} s")
    return heavy, User.objects.get(email=LIGHT)


def measure(client: Client, path: str, **headers) -> tuple[float, float, set]:
    client.get(path, **headers)  # warm-up
    timings, queries = [], set()
    for _ in range(LOADS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path, **headers)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        queries.add(len(captured.captured_queries))
    timings.sort()
    return statistics.median(timings), timings[int(round(0.95 * (len(timings) - 1)))], queries


def stream_csv(client: Client, path: str, *, traced: bool) -> tuple[int, float, int]:
    """(rows, seconds, peak traced bytes) of streaming the export at `path`; the memory is
    traced (which slows Python down) only when `traced`, the time only when not."""
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    response = client.get(path)
    lines = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    if traced:
        tracemalloc.stop()
    return lines, seconds, peak


def main() -> None:
    call_command("migrate", verbosity=0)
    heavy, light = seed()
    setup_test_environment()
    account = heavy.token_account
    middle = (LedgerEntry.objects.filter(account=account).order_by("-created_at", "-id")
              .values_list("created_at", "id")[ENTRIES // 2])
    since = (timezone.localdate() - timedelta(days=200)).isoformat()
    pages = [
        ("baseline: /account/balance/", "/account/balance/", {}),
        ("/account/usage/", "/account/usage/", {}),
        ("/account/usage/?bucket=week", "/account/usage/?bucket=week", {}),
        ("/account/usage/?bucket=month", "/account/usage/?bucket=month", {}),
        ("filtered: spent, advanced, 200 days", f"/account/usage/?kind=spent&feature="
         f"ticket.advanced&since={since}", {}),
        ("history page 2,000 (htmx, cursor)",
         f"/account/usage/?cursor={encode_cursor(*middle)}", {"HTTP_HX_REQUEST": "true"}),
    ]
    light_client = Client()
    light_client.force_login(light)
    client = Client()
    client.force_login(heavy)
    print(f"{'page':<40} {'p50':>9} {'p95':>9}  {'p95/baseline':>12}  queries "
          "(the 10-entry user's)")
    baseline = None
    for label, path, headers in pages:
        p50, p95, queries = measure(client, path, **headers)
        baseline = baseline or p95
        light = "" if "cursor" in path else sorted(measure(light_client, path)[2])
        print(f"{label:<40} {p50:7.1f}ms {p95:7.1f}ms  {p95 / baseline:>12.1f}  "
              f"{sorted(queries)} ({light or 'n/a'})")

    everything = "/account/usage/history.csv"
    ten_k = (LedgerEntry.objects.filter(account=account).order_by("-created_at", "-id")
             .values_list("created_at", flat=True)[9_999])
    recent = f"{everything}?since={timezone.localtime(ten_k).date()}"
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        with cProfile.Profile() as profile:
            stream_csv(client, recent, traced=False)
        pstats.Stats(profile).sort_stats("tottime").print_stats(20)
    rows, seconds, _ = stream_csv(client, everything, traced=False)
    print(f"\nCSV export: {rows:,} rows in {seconds:.2f} s = {rows / seconds:,.0f} rows/s")
    small_rows, _, small_peak = stream_csv(client, recent, traced=True)
    _, _, peak = stream_csv(client, everything, traced=True)
    print(f"CSV export, peak Python memory (tracemalloc): {peak / 1e6:.1f} MB for {rows:,} "
          f"rows, {small_peak / 1e6:.1f} MB for {small_rows:,} rows "
          f"(ratio {peak / small_peak:.2f}: constant memory)")
    assert sum(1 for _ in iter_movements(account, filters=HistoryFilter(category="bought"))) \
        == LedgerEntry.objects.filter(account=account, kind="purchase").count()


if __name__ == "__main__":
    main()
