"""Generation benchmark: the full stack, end to end, with a provider that answers at once.

    PG_PORT=55404 REDIS_PORT=63804 source scripts/services.sh up   # DATABASE_URL, REDIS_URL
    .venv/bin/python bench/generate.py [--users 16] [--seconds 20]

Starts the local fake OpenRouter (tests/tickets/fake_openrouter.py, answering immediately),
gunicorn (DEBUG off) and a Celery worker against the PostgreSQL and Redis named by
DATABASE_URL / REDIS_URL (a throwaway database: it is migrated and keeps the rows it makes).
`--users` signed-in users each submit the generator form over and over (htmx POST, as the
page does) for `--seconds`. Prints the submit request's p50/p99 latency and requests/s, and
tickets completed per second end to end (submit -> worker -> provider -> stored + captured),
then checks every submitted ticket finished and `ledger_audit` passes.
"""

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.tickets.fake_openrouter import FakeOpenRouter  # noqa: E402

DESCRIPTION = (
    "Customers need to download their invoices as PDF so that their accountant can file "
    "them without asking support for copies."
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_MANIFEST": "0",
        "WHITENOISE_USE_FINDERS": "1",
        "LOG_LEVEL": "WARNING",
        "CELERY_SKIP_CHECKS": "1",
        "OPENROUTER_API_KEY": "bench-key",
        "OPENROUTER_BASE_URL": fake.base_url,
        "OPENROUTER_MODEL_STANDARD": "bench/model",
        "OPENROUTER_FALLBACKS_STANDARD": "",
    }


def setup_users(count: int) -> list[dict]:
    """Users with plenty of tokens and a signed-in session each (written via the services)."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from accounts.models import User
    from accounts.services import get_or_open_user_account
    from tokens.services import grant_tokens

    call_command("migrate", verbosity=0)
    run = uuid.uuid4().hex[:8]
    users = []
    for number in range(count):
        user = User.objects.create_user(
            email=f"bench-{run}-{number}@example.com", password=secrets.token_urlsafe(16)
        )
        account = get_or_open_user_account(user=user)
        grant_tokens(
            account=account, amount=100_000, kind="promo", idempotency_key=f"bench:{run}:{number}"
        )
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        users.append({"id": user.pk, "session": session.session_key})
    return users


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    sys.exit(f"{url} did not come up")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def user_loop(base: str, user: dict, stop: float, latencies: list, errors: list) -> None:
    session = requests.Session()
    csrf = secrets.token_hex(16)  # a 32-character secret is a valid unmasked token
    session.cookies.set("sessionid", user["session"], domain="127.0.0.1")
    session.cookies.set("csrftoken", csrf, domain="127.0.0.1")
    headers = {"X-CSRFToken": csrf, "HX-Request": "true", "Referer": base + "/tickets/new/"}
    while time.monotonic() < stop:
        data = {
            "description": DESCRIPTION,
            "ticket_type": "story",
            "quality": "standard",
            "nonce": str(uuid.uuid4()),
        }
        started = time.perf_counter()
        response = session.post(base + "/tickets/new/", data=data, headers=headers, timeout=30)
        elapsed = time.perf_counter() - started
        if response.status_code != 200 or "ticket-status" not in response.text:
            errors.append(response.status_code)
        else:
            latencies.append(elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--celery-concurrency", type=int, default=4)
    args = parser.parse_args()

    fake = FakeOpenRouter().start()
    env = stack_env(fake)
    os.environ.update(env)  # this process sets up users with the stack's settings
    users = setup_users(args.users)
    user_ids = [user["id"] for user in users]

    from django.core.management import call_command

    from tickets.models import Ticket

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    logs = ROOT / ".data" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    web = start(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.web_workers),
        ],
        env,
        logs / "gunicorn.log",
    )
    worker = start(
        [
            str(ROOT / ".venv/bin/celery"),
            "-A",
            "config",
            "worker",
            "--loglevel",
            "WARNING",
            "--concurrency",
            str(args.celery_concurrency),
        ],
        env,
        logs / "celery.log",
    )
    try:
        wait_for(base + "/health/")
        time.sleep(3)  # let the worker connect to the broker
        latencies: list[float] = []
        errors: list[int] = []
        began = time.monotonic()
        stop = began + args.seconds
        threads = [
            threading.Thread(target=user_loop, args=(base, user, stop, latencies, errors))
            for user in users
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        submitted_in = time.monotonic() - began
        mine = Ticket.objects.filter(owner_id__in=user_ids)
        deadline = time.monotonic() + 120
        while mine.filter(status__in=["queued", "running"]).exists():
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        finished_in = time.monotonic() - began
        succeeded = mine.filter(status="succeeded").count()
        total = mine.count()
        print(
            f"users={args.users} seconds={args.seconds:g} gunicorn workers={args.web_workers} "
            f"celery concurrency={args.celery_concurrency}"
        )
        if latencies:
            print(
                f"submit: {len(latencies)} ok, {len(errors)} errors, "
                f"{len(latencies) / submitted_in:.1f} req/s, "
                f"p50 {percentile(latencies, 0.50) * 1000:.1f} ms, "
                f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, "
                f"mean {statistics.mean(latencies) * 1000:.1f} ms"
            )
        print(
            f"end to end: {succeeded}/{total} tickets succeeded in {finished_in:.1f} s "
            f"= {succeeded / finished_in:.1f} tickets/s "
            f"(provider calls: {len(fake.requests)})"
        )
        call_command("ledger_audit")
    finally:
        for process in (web, worker):
            os.killpg(process.pid, 15)
        for process in (web, worker):
            process.wait(timeout=30)
        fake.stop()


if __name__ == "__main__":
    main()
