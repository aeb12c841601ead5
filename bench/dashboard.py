"""Staff dashboard benchmark: overview and users page on a large database, at 1x and 10x data.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/myba_bench .venv/bin/python bench/dashboard.py
    ... bench/dashboard.py --scale 1,10     # 1x, then the same database topped up to 10x

Runs against the PostgreSQL named by DATABASE_URL (a throwaway database: it migrates it if
needed and leaves its rows behind). Seeds, once per database and scale, 10,000 users per 1x
with 10 ledger entries and 5 tickets each (plus visitors and a purchase per ten users) spread
over the last 90 days: 1x = 10,000 users / 100,000 entries / 50,000 tickets, 10x = 100,000 /
1,000,000 / 500,000. Rows are written by `INSERT ... SELECT generate_series` with the
rollup triggers off, then the rollups are rebuilt (`dashboard_rollups rebuild`, timed) and
the tables vacuumed and analysed, as autovacuum would.

Then each page is loaded 20 times through Django's test client and p50/p95 response times
and the queries of each load are printed, with p95 as a multiple of the lightest dashboard
page's (measured in the same run). The overview is measured computed (cache emptied before
every load: what "Refresh now" or a custom range costs) from the rollups and, for
comparison, from the raw tables (`DASHBOARD_ROLLUPS` off), and from its snapshot. With
several scales, a last table shows how each page's p95 grows between them. Goal: the
computed overview under 150 ms p95 at 10x.

The seeded rows are written by SQL, not by the ledger's services (a million service calls
would take an hour): balances match the entries, but lot consumptions are not recorded, so
`ledger_audit` on this database reports lot mismatches. Never point it at real data.
"""

import argparse
import os
import statistics
import sys
import time
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
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    override_settings,
    setup_test_environment,
)

from accounts.models import User  # noqa: E402
from admin_dashboard.rollups.services import rebuild_rollups  # noqa: E402
from billing.models import TokenPack  # noqa: E402

USERS_PER_SCALE = 10_000
ENTRIES_PER_USER = 10  # one welcome credit + nine spends
TICKETS_PER_USER = 5
DOMAIN = "bench.myba.local"
LOADS = 20
# The dashboard's lightest page (session, staff check, layout, an empty table): what any
# dashboard page costs before it reads any figures.
BASELINE = "/dashboard/audit/"
WELCOME = ENTRIES_PER_USER + 10
SPENDS = ENTRIES_PER_USER - 1
SPREAD = "now() - random() * interval '90 days'"

# Users n0..n1-1 (numbered from 0 over every scale); ids continue each table's sequence.
SEED_SQL = [
    f"""INSERT INTO tokens_tokenaccount (id, balance, held, label, created_at,
                                         low_balance_threshold)
        SELECT %(a0)s + i, {WELCOME - SPENDS}, 0, 'bench', now(), 0
        FROM generate_series(0, %(n)s - 1) AS i""",
    f"""INSERT INTO accounts_user (id, password, is_superuser, first_name, last_name, is_staff,
                                   is_active, date_joined, email, token_account_id)
        SELECT %(u0)s + i, '!', false, '', '', false, true, {SPREAD},
               'u' || (%(n0)s + i) || '@{DOMAIN}', %(a0)s + i
        FROM generate_series(0, %(n)s - 1) AS i""",
    f"""INSERT INTO tokens_ledgerentry (id, amount, kind, balance_after, idempotency_key,
                                        request_hash, reference, memo, created_at, account_id,
                                        feature_key, spender)
        SELECT %(e0)s + i * {ENTRIES_PER_USER} + k,
               CASE WHEN k = 0 THEN {WELCOME} ELSE -1 END,
               CASE WHEN k = 0 THEN 'welcome' ELSE 'spend' END,
               {WELCOME} - k,
               'bench:' || (%(a0)s + i) || CASE WHEN k = 0 THEN ':welcome' ELSE ':spend:' || k END,
               '', '', '', {SPREAD}, %(a0)s + i,
               CASE WHEN k = 0 THEN '' ELSE 'ticket.standard' END,
               CASE WHEN k = 0 THEN '' ELSE 'user:' || (%(u0)s + i) END
        FROM generate_series(0, %(n)s - 1) AS i, generate_series(0, {SPENDS}) AS k""",
    f"""INSERT INTO tokens_lot (id, source, amount, remaining, created_at, entry_id, account_id)
        SELECT %(l0)s + i, 'granted', {WELCOME}, {WELCOME - SPENDS}, now(),
               %(e0)s + i * {ENTRIES_PER_USER}, %(a0)s + i
        FROM generate_series(0, %(n)s - 1) AS i""",
    f"""INSERT INTO tickets_ticket (id, cost, nonce, status, error_code, error_message,
            ticket_type, quality, description, product_area, tech_stack, title, summary,
            user_story, acceptance_criteria, priority, labels, technical_notes,
            steps_to_reproduce, expected_behaviour, actual_behaviour, generator, model_name,
            rating_comment, created_at, updated_at, token_account_id, dispatched_at, runs,
            public_id, prompt_version, clarifications, version, owner_id, finished_at)
        SELECT id, 1, gen_random_uuid(), CASE WHEN k = 0 THEN 'failed' ELSE 'succeeded' END,
               '', '', (ARRAY['bug', 'feature', 'task', 'story'])[k %% 4 + 1],
               (ARRAY['standard', 'advanced'])[k %% 2 + 1], 'bench', '', '',
               CASE WHEN k = 0 THEN '' ELSE 'Bench ticket' END, '', '', '[]', '', '[]', '',
               '[]', '', '', 'offline', '', '', created, now(), %(a0)s + i, created, 1,
               'z' || lpad(to_hex(id), 9, '0'), '', '[]', 0, %(u0)s + i,
               created + random() * interval '12 seconds'
        FROM (SELECT %(t0)s + i * {TICKETS_PER_USER} + k AS id, i, k, {SPREAD} AS created
              FROM generate_series(0, %(n)s - 1) AS i,
                   generate_series(0, {TICKETS_PER_USER - 1}) AS k) AS t""",
    f"""INSERT INTO billing_purchase (id, public_id, tokens, amount_subtotal, amount_total,
            currency, discount_percent, first_purchase_discount, status, test_mode,
            stripe_checkout_session_id, checkout_url, stripe_customer_id,
            stripe_payment_intent_id, stripe_charge_id, receipt_url, amount_refunded,
            tokens_clawed_back, clawback_shortfall, needs_review, created_at, updated_at,
            token_account_id, user_id, pack_id, automatic, lot_entry_id, paid_at)
        SELECT %(p0)s + i / 10, gen_random_uuid(), 10, 500, 500, 'usd', 0, false, 'paid', true,
               '', '', '', '', '', '', 0, 0, 0, false, now(), now(), %(a0)s + i, %(u0)s + i,
               %(pack)s, false, %(e0)s + i * {ENTRIES_PER_USER}, {SPREAD}
        FROM generate_series(0, %(n)s - 1, 10) AS i""",
    f"""INSERT INTO accounts_anonymousvisitor (id, public_id, ip_hash, created_at)
        SELECT %(v0)s + i, gen_random_uuid(), 'bench' || (%(n0)s + i), {SPREAD}
        FROM generate_series(0, %(n)s - 1) AS i""",
]
ID_BASES = {
    "a0": "tokens_tokenaccount",
    "u0": "accounts_user",
    "e0": "tokens_ledgerentry",
    "l0": "tokens_lot",
    "t0": "tickets_ticket",
    "p0": "billing_purchase",
    "v0": "accounts_anonymousvisitor",
}


def seed(scale: int) -> None:
    """Top the bench rows up to `scale` x 10,000 users (and their entries and tickets), then
    rebuild the rollups and vacuum."""
    target = scale * USERS_PER_SCALE
    have = User.objects.filter(email__startswith="u", email__endswith=f"@{DOMAIN}").count()
    if have >= target:
        print(f"bench data already seeded for {scale}x")
        return
    started = time.perf_counter()
    pack, _ = TokenPack.objects.get_or_create(
        slug="bench", defaults={"name": "Bench", "tokens": 10, "price_cents": 500}
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # Rows are written in bulk without the rollup triggers, then the rollups rebuilt.
        cursor.execute("SET LOCAL session_replication_role = replica")
        params = {"n0": have, "n": target - have, "pack": pack.pk}
        for key, table in ID_BASES.items():
            cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")  # noqa: S608
            params[key] = cursor.fetchone()[0]
        for statement in SEED_SQL:
            cursor.execute(statement, params)
        for table in ID_BASES.values():
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"  # noqa: S608
            )
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    rebuild_rollups()
    rebuilt = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"seeded {target - have:,} users, {(target - have) * ENTRIES_PER_USER:,} entries, "
        f"{(target - have) * TICKETS_PER_USER:,} tickets in {seeded:.1f} s; rollups rebuilt "
        f"in {rebuilt:.1f} s; VACUUM ANALYZE {time.perf_counter() - started:.1f} s"
    )


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


PAGES = [
    ("overview, 30 days, computed", "/dashboard/?range=30", True, True),
    ("overview, 90 days, computed", "/dashboard/?range=90", True, True),
    ("overview, 30 days, computed from raw tables", "/dashboard/?range=30", True, False),
    ("overview, 90 days, computed from raw tables", "/dashboard/?range=90", True, False),
    ("overview, 30 days, snapshot", "/dashboard/?range=30", False, True),
    ("overview, 90 days, snapshot", "/dashboard/?range=90", False, True),
    ("users, by spend", "/dashboard/users/?sort=spend", False, True),
    ("users, by last activity", "/dashboard/users/?sort=activity", False, True),
    ("users, by balance", "/dashboard/users/?sort=balance", False, True),
    ("funnel, 30 days", "/dashboard/funnel/?range=30", False, True),
]


def run_scale(client: Client, scale: int) -> dict:
    seed(scale)
    results = {}
    baseline_p50, baseline_p95, baseline_queries = measure(client, BASELINE)
    results["baseline: audit log"] = (baseline_p50, baseline_p95, baseline_queries)
    print(f"\n{scale}x: {scale * USERS_PER_SCALE:,} users")
    print(f"{'page':<46} {'p50':>9} {'p95':>9}  {'p95/baseline':>12}  queries")
    print(
        f"{'baseline: audit log':<46} {baseline_p50:7.1f}ms {baseline_p95:7.1f}ms  "
        f"{1:>12.1f}  {baseline_queries}"
    )
    for label, path, cold, rollups in PAGES:
        with override_settings(DASHBOARD_ROLLUPS=rollups):
            p50, p95, queries = measure(client, path, cold=cold)
        results[label] = (p50, p95, queries)
        print(f"{label:<46} {p50:7.1f}ms {p95:7.1f}ms  {p95 / baseline_p95:>12.1f}  {queries}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="1", help="comma-separated data scales, e.g. 1,10")
    scales = sorted(int(scale) for scale in parser.parse_args().scale.split(","))
    call_command("migrate", verbosity=0)
    setup_test_environment()
    staff, _ = User.objects.get_or_create(email=f"staff@{DOMAIN}", defaults={"is_staff": True})
    client = Client()
    client.force_login(staff)
    runs = {scale: run_scale(client, scale) for scale in scales}
    if len(scales) > 1:
        low, high = scales[0], scales[-1]
        print(f"\np95 growth from {low}x to {high}x data")
        for label, (_, p95, _) in runs[high].items():
            print(
                f"{label:<46} {runs[low][label][1]:7.1f}ms -> {p95:7.1f}ms  "
                f"x{p95 / runs[low][label][1]:.2f}"
            )


if __name__ == "__main__":
    main()
