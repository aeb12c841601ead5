"""Staff dashboard benchmark: overview and users page on a large database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/myba_bench .venv/bin/python bench/dashboard.py

Runs against the PostgreSQL named by DATABASE_URL (a throwaway database: it migrates it if
needed and leaves its rows behind). Seeds, with bulk inserts and once per database, 10,000
users, 100,000 ledger entries and 50,000 tickets (plus visitors and purchases) spread over
the last 90 days, then loads each page 20 times through Django's test client and prints
p50/p95 response times, p95 as a multiple of the lightest dashboard page's (measured in the
same run), and the number of queries per load. The overview is measured twice: computed
(cache emptied before every load: the work a snapshot costs) and from its snapshot (what
staff are served while beat keeps it warm). Goal: p95 under 300 ms with a query count
that does not depend on the data size.

The seeded rows are written by SQL, not by the ledger's services (100,000 service calls
would take minutes): balances match the entries, but lot consumptions are not recorded, so
`ledger_audit` on this database reports lot mismatches. Never point it at real data.
"""

import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-used-for-anything-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DASHBOARD_REQUIRE_MFA", "0")
os.environ.setdefault("STATIC_MANIFEST", "0")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from accounts.models import AnonymousVisitor, User  # noqa: E402
from billing.models import Purchase, TokenPack  # noqa: E402
from tickets.models import Ticket  # noqa: E402
from tokens.models import LedgerEntry, Lot, TokenAccount  # noqa: E402

USERS = 10_000
ENTRIES_PER_USER = 10  # one welcome credit + nine spends
TICKETS_PER_USER = 5
DOMAIN = "bench.myba.local"
LOADS = 20
# The dashboard's lightest page (session, staff check, layout, an empty table): what any
# dashboard page costs before it reads any figures.
BASELINE = "/dashboard/audit/"
BATCH = 5_000


def seed() -> None:
    if User.objects.filter(email__endswith=f"@{DOMAIN}").count() >= USERS:
        print("bench data already seeded")
        return
    started = time.perf_counter()
    pack, _ = TokenPack.objects.get_or_create(
        slug="bench", defaults={"name": "Bench", "tokens": 10, "price_cents": 500}
    )
    welcome = ENTRIES_PER_USER + 10
    spends = ENTRIES_PER_USER - 1
    with transaction.atomic():
        accounts = TokenAccount.objects.bulk_create(
            [TokenAccount(balance=welcome - spends, label="bench") for _ in range(USERS)],
            batch_size=BATCH,
        )
        users = User.objects.bulk_create(
            [User(email=f"u{i}@{DOMAIN}", token_account=account, password="!")
             for i, account in enumerate(accounts)],
            batch_size=BATCH,
        )
        entries = []
        for account in accounts:
            entries.append(LedgerEntry(
                account=account, amount=welcome, kind="welcome", balance_after=welcome,
                idempotency_key=f"bench:{account.pk}:welcome",
            ))
            entries.extend(
                LedgerEntry(
                    account=account, amount=-1, kind="spend", balance_after=welcome - n,
                    idempotency_key=f"bench:{account.pk}:spend:{n}",
                )
                for n in range(1, spends + 1)
            )
        entries = LedgerEntry.objects.bulk_create(entries, batch_size=BATCH)
        Lot.objects.bulk_create(
            [Lot(entry=e, account_id=e.account_id, source="granted", amount=welcome,
                 remaining=welcome - spends) for e in entries if e.kind == "welcome"],
            batch_size=BATCH,
        )
        Ticket.objects.bulk_create(
            [
                Ticket(
                    owner=user, token_account_id=user.token_account_id, cost=1,
                    nonce=uuid.uuid4(), status="failed" if n == 0 else "succeeded",
                    ticket_type=("bug", "feature", "task", "story")[n % 4],
                    quality=("standard", "advanced")[n % 2], description="bench",
                    title="" if n == 0 else "Bench ticket",
                )
                for user in users
                for n in range(TICKETS_PER_USER)
            ],
            batch_size=BATCH,
        )
        welcome_entries = {e.account_id: e for e in entries if e.kind == "welcome"}
        Purchase.objects.bulk_create(
            [
                Purchase(user=user, token_account_id=user.token_account_id, pack=pack,
                         tokens=10, amount_subtotal=500, amount_total=500, currency="usd",
                         status="paid", lot_entry=welcome_entries[user.token_account_id])
                for user in users[::10]
            ],
            batch_size=BATCH,
        )
        AnonymousVisitor.objects.bulk_create(
            [AnonymousVisitor(ip_hash=f"bench{i}") for i in range(USERS)], batch_size=BATCH
        )
        with connection.cursor() as cursor:
            # Spread everything over the last 90 days.
            days = "now() - random() * interval '90 days'"
            cursor.execute(f"UPDATE accounts_user SET date_joined = {days} "
                           "WHERE email LIKE %s", [f"%@{DOMAIN}"])
            cursor.execute(f"UPDATE tokens_ledgerentry SET created_at = {days} "
                           "WHERE idempotency_key LIKE 'bench:%%'")
            cursor.execute(f"UPDATE tickets_ticket SET created_at = {days} "
                           "WHERE description = 'bench'")
            cursor.execute("UPDATE tickets_ticket SET finished_at = created_at "
                           "+ random() * interval '12 seconds' WHERE description = 'bench'")
            cursor.execute(f"UPDATE billing_purchase SET paid_at = {days} "
                           "WHERE pack_id = %s", [pack.pk])
            cursor.execute(f"UPDATE accounts_anonymousvisitor SET created_at = {days} "
                           "WHERE ip_hash LIKE 'bench%%'")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"seeded {USERS:,} users, {len(entries):,} entries, "
          f"{USERS * TICKETS_PER_USER:,} tickets in {time.perf_counter() - started:.1f} s")


def measure(client: Client, path: str, *, cold: bool = False) -> tuple[float, float, list]:
    """p50 and p95 (ms) of LOADS loads of `path`, and the query counts seen. `cold` empties
    the cache before each load (outside the timing), so the overview is computed every time."""
    client.get(path)  # warm-up: templates, connection, and the snapshot unless cold
    timings, queries = [], set()
    for _ in range(LOADS):
        if cold:
            cache.clear()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        queries.add(len(captured.captured_queries))
    timings.sort()
    p95 = timings[int(round(0.95 * (len(timings) - 1)))]
    return statistics.median(timings), p95, sorted(queries)


def main() -> None:
    call_command("migrate", verbosity=0)
    seed()
    setup_test_environment()
    staff, _ = User.objects.get_or_create(email=f"staff@{DOMAIN}",
                                          defaults={"is_staff": True})
    client = Client()
    client.force_login(staff)
    baseline_p50, baseline_p95, baseline_queries = measure(client, BASELINE)
    print(f"{'page':<46} {'p50':>9} {'p95':>9}  {'p95/baseline':>12}  queries")
    print(f"{'baseline: ' + BASELINE:<46} {baseline_p50:7.1f}ms {baseline_p95:7.1f}ms  "
          f"{1:>12.1f}  {baseline_queries}")
    pages = [
        ("/dashboard/?range=30", "computed", True),
        ("/dashboard/?range=90", "computed", True),
        ("/dashboard/?range=30", "snapshot", False),
        ("/dashboard/?range=90", "snapshot", False),
        ("/dashboard/users/?sort=spend", "", False),
        ("/dashboard/users/?sort=activity", "", False),
        ("/dashboard/users/?sort=balance", "", False),
    ]
    for path, how, cold in pages:
        p50, p95, queries = measure(client, path, cold=cold)
        label = f"{path} ({how})" if how else path
        print(f"{label:<46} {p50:7.1f}ms {p95:7.1f}ms  {p95 / baseline_p95:>12.1f}  {queries}")


if __name__ == "__main__":
    main()
