"""Web benchmark: pages and the ticket submit under `wrk`, each against its baseline.

    make bench BENCH_ARGS="web"                        # throwaway services, wrk installed
    .venv/bin/python bench/web.py [--seconds 10] [--runs 2] [--scale-out]

The production-like stack on PostgreSQL and Redis named by DATABASE_URL / REDIS_URL (a
throwaway database: it is migrated and keeps what it makes): gunicorn with 2 sync workers
and DEBUG off, a Celery worker (concurrency 4, the Procfile's default, unless
`--celery-concurrency`), the local fake OpenRouter answering at once. In the same run, under
the same gunicorn settings, two baselines (`bench/baseline_app.py`): an app answering "ok"
(the ceiling for a page) and one doing `UPDATE … ; COMMIT` per request (the ceiling for a
request that writes). For each request it prints requests/s and the ratio to its baseline,
latency, CPU per request of the web processes (and of the worker and PostgreSQL for the
submit), and PostgreSQL's own count of statements and transactions per request. For the
submit, tickets finished per second end to end against submits per second.

`--scale-out` instead runs two web servers and two Celery workers on the one PostgreSQL and
Redis, as two machines would, submits through both at once, and checks that no ticket ran
twice, no hold was captured twice and `ledger_audit` is clean.
"""

import argparse
import base64
import io
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import baseline_app  # noqa: E402
from bench.webstack import (  # noqa: E402
    WEB_ROLE,
    Processes,
    count_statements,
    free_port,
    tree_cpu,
    with_role,
    wrk,
)
from tests.tickets.fake_openrouter import FakeOpenRouter  # noqa: E402

DESCRIPTION = (
    "As an accountant I want to download every invoice of a month as one PDF so that I can "
    "file them without asking support for copies."
)
CSRF = secrets.token_hex(16)  # a 32-character secret is a valid unmasked token
STATEMENT_SAMPLE = 50  # requests whose statements PostgreSQL counts, after each wrk run

SUBMIT_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local prefix = "%(body)s&nonce="
bad = 0
local threads = {}

function setup(thread) table.insert(threads, thread) end

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%%x+)"), 16) %% 1000003)
end

local function hex4() return string.format("%%04x", math.random(0, 65535)) end

function request()
  local nonce = hex4() .. hex4() .. "-" .. hex4() .. "-4" .. hex4():sub(2) .. "-a"
    .. hex4():sub(2) .. "-" .. hex4() .. hex4() .. hex4()
  return wrk.format(nil, nil, nil, prefix .. nonce)
end

function response(status, headers, body)
  if status ~= 200 or not body:find("ticket-status", 1, true) then bad = bad + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("bad") end
  io.write(string.format("bad_responses %%d\\n", total))
end
"""


def stack_env(fake: FakeOpenRouter) -> dict:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get(
        "REDIS_URL"
    ):
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL: source scripts/services.sh up")
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "MYBA_ENCRYPTION_KEYS": os.environ.get("MYBA_ENCRYPTION_KEYS")
        or base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_MANIFEST": "0",
        "WHITENOISE_USE_FINDERS": "1",
        "LOG_LEVEL": "WARNING",
        "CELERY_SKIP_CHECKS": "1",
        # The load generator is one person submitting thousands of times a minute.
        "GENERATE_RATE_LIMIT": "100000000",
        "OPENROUTER_API_KEY": "bench-key",
        "OPENROUTER_BASE_URL": fake.base_url,
        "OPENROUTER_MODEL_STANDARD": "bench/model",
        "OPENROUTER_FALLBACKS_STANDARD": "",
    }


def session_for(user) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def seed() -> dict:
    """A member with 50 finished tickets and plenty of tokens, a submitter, staff with MFA,
    the demo dashboard data; the web role and the baseline's table. Returns their sessions."""
    import django

    django.setup()
    from allauth.mfa.models import Authenticator
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User
    from accounts.services import get_or_open_user_account
    from tickets.services import request_ticket_generation, run_ticket_generation
    from tokens.services import grant_tokens

    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [WEB_ROLE])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {WEB_ROLE} LOGIN SUPERUSER")
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    baseline_app.create_table(connection)
    run = uuid.uuid4().hex[:8]

    def member(name: str, tokens: int):
        user = User.objects.create_user(email=f"bench-{run}-{name}@example.com",
                                        password=secrets.token_urlsafe(16))
        account = get_or_open_user_account(user=user)
        grant_tokens(account=account, amount=tokens, kind="promo",
                     idempotency_key=f"bench:{run}:{name}")
        return user, account

    reader, account = member("reader", 1_000)
    for _ in range(50):
        ticket = request_ticket_generation(
            account=account, owner=reader, ticket_type="story", quality="standard",
            description=DESCRIPTION, nonce=uuid.uuid4())
        run_ticket_generation(ticket_id=ticket.pk)
    submitters = [member(f"submitter-{n}", 10_000_000)[0] for n in range(2)]
    staff = User.objects.create_user(email=f"bench-{run}-staff@example.com",
                                     password=secrets.token_urlsafe(16), is_staff=True)
    Authenticator.objects.create(user=staff, type=Authenticator.Type.TOTP,
                                 data={"secret": "JBSWY3DPEHPK3PXP"})
    return {
        "reader": session_for(reader),
        "staff": session_for(staff),
        "submitters": [(user.pk, session_for(user)) for user in submitters],
    }


def submit_body() -> str:
    from urllib.parse import urlencode

    # The same description every time: without "create anyway" the submitter's own earlier
    # tickets stop every submit at the duplicates step (a read, nothing reserved).
    return urlencode({"description": DESCRIPTION, "ticket_type": "story",
                      "quality": "standard", "duplicate_ok": "on"})


def cookie_headers(session: str | None) -> dict:
    if session is None:
        return {}
    return {"Cookie": f"sessionid={session}; csrftoken={CSRF}"}


def submit_headers(session: str) -> dict:
    return {**cookie_headers(session), "X-CSRFToken": CSRF, "HX-Request": "true"}


def submit_script() -> Path:
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(SUBMIT_SCRIPT % {"body": submit_body()})
    return script


def post_submit(base: str, session: str) -> None:
    response = requests.post(
        base + "/tickets/new/", data=submit_body() + f"&nonce={uuid.uuid4()}",
        headers={**submit_headers(session),
                 "Content-Type": "application/x-www-form-urlencoded"}, timeout=30)
    assert response.status_code == 200 and "ticket-status" in response.text, response.text[:500]


def get_page(base: str, path: str, session: str | None) -> None:
    response = requests.get(base + path, headers=cookie_headers(session), timeout=30,
                            allow_redirects=False)
    assert response.status_code == 200, (path, response.status_code)


def measure(label, url, *, baseline, cpu_roots, args, statements, **wrk_options) -> dict:
    before = {name: tree_cpu(pid) for name, pid in cpu_roots.items()}
    result = wrk(url, seconds=args.seconds, connections=args.connections, **wrk_options)
    cpu = {name: (tree_cpu(pid) - before[name]) * 1000 / max(result.requests, 1)
           for name, pid in cpu_roots.items()}
    return {"label": label, "result": result, "cpu": cpu, "baseline": baseline,
            "statements": statements() if statements else None}


def finished_rate(user_id: int, since) -> tuple[int, int, float, int]:
    """(tickets, succeeded, seconds from the first submit to the last finish, most runs) for
    `user_id`'s tickets created after `since`, once none is queued or running."""
    from django.db.models import Max, Min

    from tickets.models import Ticket

    mine = Ticket.objects.filter(owner_id=user_id, created_at__gte=since)
    deadline = time.monotonic() + 300
    while mine.filter(status__in=["queued", "running"]).exists():
        if time.monotonic() > deadline:
            sys.exit("tickets still queued after 300 s")
        time.sleep(0.2)
    span = mine.aggregate(first=Min("created_at"), last=Max("finished_at"), runs=Max("runs"))
    seconds = (span["last"] - span["first"]).total_seconds() if span["last"] else 0.0
    return mine.count(), mine.filter(status="succeeded").count(), seconds, span["runs"] or 0


def print_table(rows: list[dict], baselines: dict) -> None:
    print("| request | req/s | baseline req/s | ratio | p50 ms | p99 ms | CPU ms/request "
          "| statements | transactions |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        result, base = row["result"], baselines[row["baseline"]]["result"]
        cpu = ", ".join(f"{name} {value:.1f}" for name, value in row["cpu"].items())
        stmts = row["statements"]
        print(f"| {row['label']} | {result.rate:,.0f} | {base.rate:,.0f} "
              f"| **{result.rate / base.rate:.3f}×** | {result.p50_ms:.1f} | {result.p99_ms:.1f} "
              f"| {cpu} | {stmts.per_request:.1f} | {stmts.transactions:.1f} |"
              if stmts else
              f"| {row['label']} | {result.rate:,.0f} | - | 1 | {result.p50_ms:.1f} "
              f"| {result.p99_ms:.1f} | {cpu} | - | - |")
        if result.non_2xx or result.bad:
            print(f"|   ↳ {result.non_2xx} non-2xx, {result.bad} refused by the check | | | | | "
                  "| | | |")


def run_pages(args, env, sessions) -> None:
    from django.db import connection
    from django.utils import timezone

    processes = Processes(env)
    web_env = {"DATABASE_URL": with_role(env["DATABASE_URL"], WEB_ROLE)}
    ports = {name: free_port() for name in ("web", "ok", "write")}
    try:
        web = processes.gunicorn("web", "config.wsgi:application", ports["web"], **web_env)
        processes.gunicorn("ok", "bench.baseline_app:ok", ports["ok"])
        processes.gunicorn("write", "bench.baseline_app:write", ports["write"],
                           BASELINE_DATABASE_URL=env["DATABASE_URL"])
        worker = processes.celery("worker", concurrency=args.celery_concurrency)
        postgres = postmaster_pid(connection)
        base = f"http://127.0.0.1:{ports['web']}"
        for run in range(1, args.runs + 1):
            baselines = {
                name: measure(f"baseline: {name}", f"http://127.0.0.1:{ports[name]}/",
                              baseline=name, cpu_roots={}, args=args, statements=None)
                for name in ("ok", "write")
            }
            rows = []
            for label, path, who in (
                ("home (visitor)", "/", None),
                ("pricing (visitor)", "/pricing/", None),
                ("/tickets/ (20 of 50 tickets)", "/tickets/", "reader"),
                ("/dashboard/ (snapshot)", "/dashboard/", "staff"),
            ):
                session = sessions.get(who)
                get_page(base, path, session)  # warms the dashboard's snapshot too

                def sample(path=path, session=session):
                    for _ in range(STATEMENT_SAMPLE):
                        get_page(base, path, session)

                rows.append(measure(
                    label, base + path, baseline="ok", cpu_roots={"web": web}, args=args,
                    headers=cookie_headers(session),
                    statements=lambda sample=sample: count_statements(
                        connection, WEB_ROLE, sample, STATEMENT_SAMPLE)))
            user_id, session = sessions["submitters"][0]
            since = timezone.now()

            def sample_submits(session=session):
                for _ in range(STATEMENT_SAMPLE):
                    post_submit(base, session)

            submit = measure(
                "ticket submit (htmx POST)", base + "/tickets/new/", baseline="write",
                cpu_roots={"web": web, "worker": worker, "postgres": postgres}, args=args,
                headers=submit_headers(session), script=submit_script(), statements=None)
            tickets, succeeded, seconds, most_runs = finished_rate(user_id, since)
            submit["statements"] = count_statements(
                connection, WEB_ROLE, sample_submits, STATEMENT_SAMPLE)
            rows.append(submit)
            print(f"\n## run {run} of {args.runs}, wrk {args.seconds:g} s × "
                  f"{args.connections} connections, gunicorn 2 sync workers, Celery "
                  f"concurrency {args.celery_concurrency}\n")
            print_table(rows, baselines)
            print(f"\nbaselines: ok {baselines['ok']['result'].rate:,.0f} req/s, "
                  f"write {baselines['write']['result'].rate:,.0f} req/s")
            submitted_rate = submit["result"].rate
            print(f"end to end: {tickets} tickets submitted, {succeeded} succeeded; finished "
                  f"{succeeded / seconds:.1f}/s vs submitted {submitted_rate:.1f}/s = "
                  f"{succeeded / seconds / submitted_rate:.2f}× (most runs of a ticket: "
                  f"{most_runs})")
            if args.verbose:
                for row in rows:
                    print(f"\n{row['label']}: statements per {STATEMENT_SAMPLE} requests")
                    for calls, query in row["statements"].top:
                        print(f"  {calls:5d}  {query}")
        from django.core.management import call_command

        call_command("ledger_audit")
    finally:
        processes.close()


def postmaster_pid(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])


def run_scale_out(args, env, sessions) -> None:
    """Two web servers and two workers on one PostgreSQL and Redis, submitting through both."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from tickets.models import Ticket

    processes = Processes(env)
    ports = [free_port(), free_port()]
    try:
        for number, port in enumerate(ports, 1):
            processes.gunicorn(f"web{number}", "config.wsgi:application", port)
            processes.celery(f"worker{number}", concurrency=args.celery_concurrency)
        since = timezone.now()
        # Both submitters on both servers: each account's submits race across processes.
        jobs = [(port, session) for port in ports for _, session in sessions["submitters"]]
        with ThreadPoolExecutor(len(jobs)) as pool:
            results = list(pool.map(lambda job: wrk(
                f"http://127.0.0.1:{job[0]}/tickets/new/", seconds=args.seconds,
                connections=max(2, args.connections // 2), threads=1,
                headers=submit_headers(job[1]), script=submit_script()), jobs))
        user_ids = [user_id for user_id, _ in sessions["submitters"]]
        outcomes = [finished_rate(user_id, since) for user_id in user_ids]
        mine = Ticket.objects.filter(owner_id__in=user_ids, created_at__gte=since)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM tokens_ledgerentry e JOIN tickets_ticket t "
                "ON e.reference = 'ticket:' || t.id WHERE e.kind = 'spend' AND t.id = ANY(%s)",
                [list(mine.values_list("id", flat=True))])
            spends = cursor.fetchone()[0]
        worked = {name: (Path(".data/bench") / f"{name}.log").read_text().count(" succeeded in ")
                  for name in ("worker1", "worker2")}
        total = sum(r.requests for r in results)
        print(f"scale-out: 2 web servers × 2 sync workers, 2 Celery workers × "
              f"{args.celery_concurrency}, "
              f"{len(jobs)} wrk clients for {args.seconds:g} s")
        print(f"submits: {total} answered ({total / args.seconds:.1f}/s), "
              f"{sum(r.non_2xx + r.bad for r in results)} refused; p50 "
              f"{statistics.median(r.p50_ms for r in results):.1f} ms")
        print(f"tickets: {sum(o[0] for o in outcomes)} created, "
              f"{sum(o[1] for o in outcomes)} succeeded; spends {spends}; most runs of a "
              f"ticket {max(o[3] for o in outcomes)}; tasks per worker {worked}")
        call_command("ledger_audit")
    finally:
        processes.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--celery-concurrency", type=int, default=4,
                        help="pool size of each worker (the Procfile's default: 4)")
    parser.add_argument("--scale-out", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="list the submit's statements")
    args = parser.parse_args()

    fake = FakeOpenRouter().start()
    env = stack_env(fake)
    os.environ.update(env)  # this process seeds with the stack's settings
    try:
        sessions = seed()
        (run_scale_out if args.scale_out else run_pages)(args, env, sessions)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
