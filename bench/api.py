"""API benchmark: key authentication, and the API's list and create against the web submit.

    make bench BENCH_ARGS="api"                        # throwaway services, wrk installed
    .venv/bin/python bench/api.py [--seconds 8] [--checks 3000]

1. Key authentication in this process on PostgreSQL and Redis: `authenticate_api_key` for a
   warm key (the cached entry: SHA-256 and one Redis GET), for a cold one (the cache emptied
   before each check: one indexed row read too), and, as the baseline, what a key checked with
   Django's password hasher (PBKDF2) would cost per request. Prints p50/p95 and the ratio.
2. The production-like stack of bench/web.py (gunicorn, 2 sync workers, DEBUG off, a Celery
   worker, the instant fake OpenRouter), under `wrk`, in the same run: the web generator's
   submit (htmx POST), `POST /api/v1/tickets` and `GET /api/v1/tickets` (20 of 50 tickets),
   each as a ratio to the web submit. `ledger_audit` must stay clean.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.web import (  # noqa: E402
    DESCRIPTION,
    measure,
    seed,
    stack_env,
    submit_headers,
    submit_script,
)
from bench.webstack import WEB_ROLE, Processes, free_port, with_role  # noqa: E402
from tests.tickets.fake_openrouter import FakeOpenRouter  # noqa: E402

CREATE_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"description": "%(description)s", "type": "story"}'
bad = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body)
  if status ~= 202 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("bad") end
  io.write(string.format("bad_responses %%d\\n", total))
end
"""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def time_calls(call, count: int) -> list[float]:
    timings = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def bench_authentication(checks: int) -> None:
    from django.contrib.auth.hashers import check_password, make_password
    from django.core.cache import cache

    from accounts.apikeys.auth import authenticate_api_key
    from accounts.apikeys.services import create_api_key
    from accounts.models import User

    user = User.objects.filter(email__startswith="bench-", email__contains="reader").first()
    secret = create_api_key(actor=user, name="bench", scopes=["tickets:read"]).secret
    prefix = secret.split("_")[2]
    authenticate_api_key(secret, ip="127.0.0.1")
    warm = time_calls(lambda: authenticate_api_key(secret, ip="127.0.0.1"), checks)

    def cold():
        cache.delete(f"apikey:auth:{prefix}")
        authenticate_api_key(secret, ip="127.0.0.1")

    cold_timings = time_calls(cold, max(checks // 5, 50))
    encoded = make_password(secret)
    hashed = time_calls(lambda: check_password(secret, encoded), 20)
    print("\n## Key authentication (in process, PostgreSQL + Redis)\n")
    print("| check | p50 ms | p95 ms | ratio to the password hasher (p95) |")
    print("|---|---|---|---|")
    base = percentile(hashed, 0.95)
    for label, timings in (("warm key (cached entry)", warm), ("cold key (row read)", cold_timings),
                           ("baseline: Django password hasher", hashed)):
        p95 = percentile(timings, 0.95)
        print(f"| {label} | {statistics.median(timings):.3f} | {p95:.3f} | {p95 / base:.4f}× |")


def run_stack(args, env, sessions) -> None:
    from django.core.management import call_command

    from accounts.apikeys.services import create_api_key
    from accounts.models import User

    reader = User.objects.filter(email__startswith="bench-", email__contains="reader").first()
    submitter = User.objects.get(pk=sessions["submitters"][1][0])
    scopes = ["tickets:read", "tickets:write"]
    read_key = create_api_key(actor=reader, name="bench read", scopes=scopes).secret
    write_key = create_api_key(actor=submitter, name="bench write", scopes=scopes).secret
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(CREATE_SCRIPT % {"description": DESCRIPTION})
    processes = Processes(env)
    port = free_port()
    try:
        web = processes.gunicorn("web", "config.wsgi:application", port,
                                 DATABASE_URL=with_role(env["DATABASE_URL"], WEB_ROLE))
        worker = processes.celery("worker", concurrency=args.celery_concurrency)
        base = f"http://127.0.0.1:{port}"
        _, session = sessions["submitters"][0]
        roots = {"web": web, "worker": worker}
        rows = [
            measure("web generator submit (htmx POST)", base + "/tickets/new/",
                    baseline="web", cpu_roots=roots, args=args, statements=None,
                    headers=submit_headers(session), script=submit_script()),
            measure("POST /api/v1/tickets", base + "/api/v1/tickets", baseline="web",
                    cpu_roots=roots, args=args, statements=None, script=script,
                    headers={"Authorization": f"Bearer {write_key}"}),
            measure("GET /api/v1/tickets (20 of 50)", base + "/api/v1/tickets",
                    baseline="web", cpu_roots={"web": web}, args=args, statements=None,
                    headers={"Authorization": f"Bearer {read_key}"}),
        ]
        web_rate = rows[0]["result"].rate
        print(f"\n## API throughput, wrk {args.seconds:g} s × {args.connections} connections, "
              f"gunicorn 2 sync workers, Celery concurrency {args.celery_concurrency}\n")
        print("| request | req/s | ratio to the web submit | p50 ms | p99 ms | CPU ms/request |"
              " refused |")
        print("|---|---|---|---|---|---|---|")
        for row in rows:
            result = row["result"]
            cpu = ", ".join(f"{name} {value:.1f}" for name, value in row["cpu"].items())
            print(f"| {row['label']} | {result.rate:,.0f} | **{result.rate / web_rate:.2f}×** "
                  f"| {result.p50_ms:.1f} | {result.p99_ms:.1f} | {cpu} "
                  f"| {result.non_2xx + result.bad} |")
        time.sleep(2)  # let the worker finish what was queued before the audit
        call_command("ledger_audit")
    finally:
        processes.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--checks", type=int, default=3000)
    parser.add_argument("--celery-concurrency", type=int, default=2)
    args = parser.parse_args()

    fake = FakeOpenRouter().start()
    env = stack_env(fake) | {"API_RATE_LIMIT_KEY": "100000000",
                             "API_RATE_LIMIT_WORKSPACE": "100000000"}
    os.environ.update(env)
    try:
        sessions = seed()
        bench_authentication(args.checks)
        run_stack(args, env, sessions)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
