"""The production-like stack `bench/web.py` drives, and how it reads its figures.

- processes: gunicorn (sync workers, `config/gunicorn.py`, DEBUG off) and Celery workers,
  started as the Procfile starts them, each in its own process group;
- CPU: user + system time of a whole process tree, from /proc (the processes' own counters,
  so the load generator's CPU is not counted);
- load: `wrk` (Debian package; `scripts/bench.sh` installs it), its report parsed;
- statements: PostgreSQL's own count (`pg_stat_statements`, which `scripts/services.sh`
  preloads), for the role the web processes connect as — BEGIN and COMMIT included, which
  Django's query capture never sees.
"""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
LOGS = ROOT / ".data" / "bench"
TICK = os.sysconf("SC_CLK_TCK")
WEB_ROLE = "bench_web"  # the web processes' PostgreSQL role: their statements, counted apart


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def with_role(database_url: str, role: str) -> str:
    parts = urlsplit(database_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{role}@{host}"))


class Processes:
    """Started processes by name; all stopped on `close`."""

    def __init__(self, env: dict):
        self.env = env
        self.running: dict[str, subprocess.Popen] = {}
        LOGS.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, argv: list[str], **env) -> subprocess.Popen:
        log = (LOGS / f"{name}.log").open("w")
        process = subprocess.Popen(
            argv, cwd=ROOT, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.running[name] = process
        return process

    def gunicorn(self, name: str, app: str, port: int, *, workers: int = 2, **env) -> int:
        self.start(name, [
            str(BIN / "gunicorn"), "-c", "config/gunicorn.py", app, "--bind",
            f"127.0.0.1:{port}", "--workers", str(workers), "--timeout", "60",
        ], **env)
        wait_http(f"http://127.0.0.1:{port}/health/")
        return self.running[name].pid

    def celery(self, name: str, *, concurrency: int = 4) -> int:
        self.start(name, [
            str(BIN / "celery"), "-A", "config", "worker", "--loglevel", "INFO",
            "--concurrency", str(concurrency), "-n", f"{name}@%h",
        ])
        deadline = time.monotonic() + 60
        while "ready." not in (LOGS / f"{name}.log").read_text(errors="replace"):
            if time.monotonic() > deadline:
                sys.exit(f"celery {name} did not start: see {LOGS / name}.log")
            time.sleep(0.2)
        return self.running[name].pid

    def close(self) -> None:
        for process in self.running.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    sys.exit(f"{url} did not come up (logs in {LOGS})")


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) of `root` and every descendant, living or reaped."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # exited while we looked
        fields = text.rsplit(")", 1)[1].split()
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        # utime, stime, and the reaped children's cutime, cstime
        times[pid] = sum(int(value) for value in fields[11:15]) / TICK
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


@dataclass
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    bad: int  # responses the script's check refused

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _latency(report: str, quantile: str) -> float:
    match = re.search(rf"^\s*{quantile}%\s+([\d.]+)(us|ms|s)\s*$", report, re.M)
    return float(match.group(1)) * _UNIT_MS[match.group(2)] if match else float("nan")


def wrk(url: str, *, seconds: float, connections: int, threads: int = 2,
        script: Path | None = None, headers: dict | None = None) -> WrkResult:
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: scripts/bench.sh installs it (apt-get install wrk)")
    argv = ["wrk", "--latency", "-t", str(threads), "-c", str(connections),
            "-d", f"{seconds:g}s", "--timeout", "30s"]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    if script is not None:
        argv += ["-s", str(script)]
    report = subprocess.run(argv + [url], capture_output=True, text=True, check=True).stdout
    done = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", report)
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0}[done.group(3)]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    bad = re.search(r"^bad_responses (\d+)", report, re.M)
    return WrkResult(
        requests=int(done.group(1)), seconds=float(done.group(2)) * scale,
        p50_ms=_latency(report, "50"), p99_ms=_latency(report, "99"),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0, bad=int(bad.group(1)) if bad else 0,
    )


@dataclass
class Statements:
    per_request: float
    transactions: float  # COMMITs per request
    top: list[tuple[int, str]]  # (calls, statement), most called first


def count_statements(connection, role: str, send, requests_made: int) -> Statements:
    """PostgreSQL's count of the statements `role` ran while `send()` made `requests_made`
    requests (nothing else connects as `role`)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_statements_reset()")
    send()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.calls, s.query FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid"
            " WHERE r.rolname = %s ORDER BY s.calls DESC", [role])
        rows = cursor.fetchall()
    total = sum(calls for calls, _ in rows)
    commits = sum(calls for calls, query in rows if query.strip().upper() == "COMMIT")
    # Savepoint names are unique per use: one line for all of each kind.
    grouped: dict[str, int] = {}
    for calls, query in rows:
        query = re.sub(r'SAVEPOINT "[^"]+"', "SAVEPOINT …", " ".join(query.split()))[:150]
        grouped[query] = grouped.get(query, 0) + calls
    top = sorted(((calls, query) for query, calls in grouped.items()), reverse=True)
    return Statements(total / requests_made, commits / requests_made, top)
