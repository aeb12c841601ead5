"""Recovery benchmark: how long a batch of generations takes through a worker kill or a
PostgreSQL outage, against the same batch with nothing going wrong, in the same run.

    make bench BENCH_ARGS="recovery --tickets 40 --timing default"
    # or, with DATABASE_URL naming a migrated database to copy the schema from:
    .venv/bin/python bench/recovery.py [--tickets 40] [--provider-seconds 2] [--timing short]

Uses the production-like stack of the recovery tests (tests/recovery/stack.py: its own
PostgreSQL and Redis, gunicorn with DEBUG off, a prefork Celery worker, Celery beat) and the
local fake OpenRouter, answering after `--provider-seconds`. For each scenario it submits
`--tickets` tickets from as many visitors, then:

- clean: nothing happens; the batch's wall time is the baseline;
- worker: SIGKILL the whole worker once generations are running, start a new one;
- pool: SIGKILL one pool process (what the OOM killer does);
- database: stop PostgreSQL for `--outage-seconds` while generations run, counting what the
  pages answer meanwhile.

Prints, per scenario, the batch's wall time and its ratio to the clean batch, the time from
the incident until every ticket was final, outcomes, the most runs any ticket needed, and
(for the outage) the page answers by status. Every scenario must end with each ticket
succeeded or failed-and-released, charged at most once, and `ledger_audit` clean.
`--timing default` keeps the settings' timing contract (lease 30 s, sweep 10 s); `short`
is the tests' (lease 3 s, sweep 1 s).
"""

import argparse
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.recovery.stack import SHORT_TIMING, Stack, submit_as_visitor  # noqa: E402
from tests.tickets.fake_openrouter import FakeOpenRouter, slow  # noqa: E402

FINAL = ("succeeded", "failed")


def source_db() -> dict:
    url = urlparse(os.environ.get("DATABASE_URL", ""))
    if url.scheme not in ("postgres", "postgresql"):
        sys.exit("Set DATABASE_URL to a migrated PostgreSQL database (scripts/bench.sh does).")
    return {"HOST": url.hostname, "PORT": url.port or 5432, "USER": url.username or "postgres",
            "NAME": url.path.lstrip("/")}


def statuses(stack: Stack, ids: list[int]) -> list[str]:
    try:
        return [s for (s,) in stack.rows(
            "SELECT status FROM tickets_ticket WHERE id = ANY(%s)", [ids])]
    except Exception:  # PostgreSQL may still be coming back
        return []


def wait(stack: Stack, ids: list[int], *, running: int = 0, timeout: float = 900) -> float:
    """Wait until `running` tickets run (or, with 0, until all are final); the time it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        current = statuses(stack, ids)
        if running and current.count("running") >= running:
            return time.monotonic() - started
        if not running and len(current) == len(ids) and all(s in FINAL for s in current):
            return time.monotonic() - started
        time.sleep(0.1)
    raise SystemExit(f"timed out: {Counter(statuses(stack, ids))}\n{stack.logs()}")


def check_money(stack: Stack, ids: list[int]) -> tuple[Counter, int]:
    rows = stack.rows(
        "SELECT t.status, h.status, t.runs, (SELECT count(*) FROM tokens_ledgerentry e "
        "WHERE e.reference = 'ticket:' || t.id AND e.kind = 'spend') "
        "FROM tickets_ticket t JOIN tokens_hold h ON h.id = t.hold_id WHERE t.id = ANY(%s)",
        [ids],
    )
    for status, hold, _runs, spends in rows:
        expected = ("captured", 1) if status == "succeeded" else (hold, 0)
        assert (hold, spends) == expected and hold != "pending", (status, hold, spends)
    audit = stack.manage("ledger_audit")
    assert audit.returncode == 0, audit.stdout + audit.stderr
    return Counter(status for status, *_ in rows), max(runs for *_, runs, _ in rows)


def run_scenario(stack: Stack, name: str, args) -> dict:
    with ThreadPoolExecutor(max_workers=8) as pool:
        submitted = time.monotonic()
        ids = list(pool.map(lambda _: submit_as_visitor(stack), range(args.tickets)))
    pages = Counter()
    if name != "clean":
        wait(stack, ids, running=stack.concurrency)
    incident = time.monotonic()
    if name == "worker":
        stack.kill("worker")
        stack.start_worker()
    elif name == "pool":
        os.kill(stack.pool_processes()[0], signal.SIGKILL)
    elif name == "database":
        stack.stop_postgres()
        while time.monotonic() - incident < args.outage_seconds:
            pages[requests.get(stack.url("/tickets/new/"), timeout=10).status_code] += 1
            time.sleep(0.1)
        stack.start_postgres()
    recovered = wait(stack, ids)
    outcomes, most_runs = check_money(stack, ids)
    return {
        "scenario": name,
        "batch": time.monotonic() - submitted,
        "recovered": recovered,
        "outcomes": outcomes,
        "runs": most_runs,
        "pages": pages,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=40)
    parser.add_argument("--provider-seconds", type=float, default=2.0)
    parser.add_argument("--outage-seconds", type=float, default=3.0)
    parser.add_argument("--timing", choices=["short", "default"], default="default")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--scenarios", default="clean,worker,pool,database")
    args = parser.parse_args()

    provider = FakeOpenRouter().start()
    provider.default = slow(args.provider_seconds)
    stack = Stack(
        workdir=Path(tempfile.mkdtemp(prefix="myba-bench-recovery-")),
        source_db=source_db(),
        provider_url=provider.base_url,
        timing=SHORT_TIMING if args.timing == "short" else {},
        concurrency=args.concurrency,
    )
    results = []
    try:
        stack.start_services()
        stack.start_web()
        stack.start_worker()
        stack.start_beat()
        for name in args.scenarios.split(","):
            results.append(run_scenario(stack, name, args))
            print(f"  {name}: done", flush=True)
    finally:
        stack.close()
        provider.stop()

    clean = next((r["batch"] for r in results if r["scenario"] == "clean"), None)
    print(f"\n{args.tickets} tickets, provider {args.provider_seconds}s, worker concurrency "
          f"{args.concurrency}, timing {args.timing}")
    print("| scenario | batch s | ratio to clean | final after incident s | outcomes | "
          "most runs | pages during outage |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        ratio = f"{r['batch'] / clean:.2f}" if clean else "-"
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(r["outcomes"].items()))
        pages = ", ".join(f"{k}: {v}" for k, v in sorted(r["pages"].items())) or "-"
        print(f"| {r['scenario']} | {r['batch']:.1f} | {ratio} | {r['recovered']:.1f} | "
              f"{outcomes} | {r['runs']} | {pages} |")


if __name__ == "__main__":
    main()
