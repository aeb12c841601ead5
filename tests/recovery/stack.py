"""A production-like MyBA on a throwaway PostgreSQL and Redis of its own, to break on purpose.

gunicorn (DEBUG off), a prefork Celery worker and Celery beat run as real processes, exactly
as the Procfile starts them, with the timing contract shortened so that recovery takes
seconds. The fake OpenRouter runs in the test process. Tests then kill the worker or stop
PostgreSQL and watch the tickets through plain SQL and HTTP, as an operator would.

The cluster is copied from the suite's migrated test database (schema and migration
history), so no migration runs here.
"""

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import psycopg
import requests

from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
SERVICES = ROOT / "scripts" / "services.sh"

# Short enough that a test recovers in seconds, and a valid contract (tickets/timing.py).
SHORT_TIMING = {
    "TICKETS_TASK_SOFT_TIME_LIMIT": "20",
    "TICKETS_TASK_TIME_LIMIT": "25",
    "TICKETS_RUN_LEASE_SECONDS": "3",
    "TICKETS_SWEEP_SECONDS": "1",
    "CELERY_VISIBILITY_TIMEOUT": "30",
    "TICKETS_HOLD_TTL_SECONDS": "120",
    "TICKETS_STUCK_AFTER_SECONDS": "150",
}
PRICES = [("ticket.standard", 1, "Standard ticket"), ("ticket.advanced", 3, "Advanced ticket")]
METRICS_TOKEN = "stack-metrics-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bash(script: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", f"source {SERVICES}; {script}"],
        env=env, cwd=ROOT, capture_output=True, text=True, check=False, timeout=120,
    )


class Stack:
    def __init__(
        self,
        *,
        workdir: Path,
        source_db: dict,
        provider_url: str,
        timing: dict = SHORT_TIMING,
        concurrency: int = 2,
    ):
        """`source_db`: Django-style settings (HOST, PORT, USER, NAME) of a migrated database
        to copy the schema from; `timing`: the timing contract's settings (`{}` keeps the
        defaults); `concurrency`: the worker's pool size."""
        self.timing = timing
        self.concurrency = concurrency
        self.workdir = workdir
        self.pg_port, self.redis_port, self.web_port = free_port(), free_port(), free_port()
        # Outside pytest's private (0700) temp tree: the cluster runs as the postgres user.
        self.services_dir = Path(f"/tmp/myba-recovery-{self.pg_port}")
        self.source_db = source_db
        self.provider_url = provider_url
        self.processes: dict[str, subprocess.Popen] = {}
        self.database_url = f"postgres://postgres@127.0.0.1:{self.pg_port}/myba"
        # prometheus-client's multiprocess mode: every web process's histograms, one scrape.
        self.metrics_dir = workdir / "prometheus"
        self.metrics_dir.mkdir()

    # --- services ----------------------------------------------------------------------

    def _service_env(self) -> dict:
        return {
            **os.environ,
            "PG_PORT": str(self.pg_port),
            "REDIS_PORT": str(self.redis_port),
            "SERVICES_DIR": str(self.services_dir),
            "NEED_CHROMIUM": "0",
        }

    def start_services(self) -> None:
        done = _bash("services_up", self._service_env())
        assert done.returncode == 0, done.stdout + done.stderr
        self._copy_schema()

    def _copy_schema(self) -> None:
        """The suite's migrated schema and migration history; the seeded prices."""
        source = self.source_db
        pg_bin = _bash("_pg_bin", self._service_env()).stdout.strip()
        dump = subprocess.run(
            [f"{pg_bin}/pg_dump", "-h", source["HOST"] or "127.0.0.1", "-p", str(source["PORT"]),
             "-U", source["USER"], "--no-owner", "--schema-only", source["NAME"]],
            capture_output=True, check=True, timeout=60,
        ).stdout
        history = subprocess.run(
            [f"{pg_bin}/pg_dump", "-h", source["HOST"] or "127.0.0.1", "-p", str(source["PORT"]),
             "-U", source["USER"], "--no-owner", "--data-only", "-t", "django_migrations",
             source["NAME"]],
            capture_output=True, check=True, timeout=60,
        ).stdout
        subprocess.run(
            [f"{pg_bin}/psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
             str(self.pg_port), "-U", "postgres", "myba"],
            input=dump + history, capture_output=True, check=True, timeout=60,
        )
        with self.connect() as db:
            for key, tokens, label in PRICES:
                db.execute(
                    "INSERT INTO tokens_price (feature_key, tokens, label, active, updated_at) "
                    "VALUES (%s, %s, %s, true, now()) ON CONFLICT (feature_key) DO NOTHING",
                    [key, tokens, label],
                )

    def stop_postgres(self) -> None:
        done = _bash('_as_pg "$(_pg_bin)/pg_ctl" -D "$SERVICES_DIR/pg/data" -m fast -w stop',
                     self._service_env())
        assert done.returncode == 0, done.stdout + done.stderr

    def start_postgres(self) -> None:
        done = _bash(
            '_as_pg "$(_pg_bin)/pg_ctl" -D "$SERVICES_DIR/pg/data" -l "$SERVICES_DIR/pg/server.log"'
            " -w -t 60 start",
            self._service_env(),
        )
        assert done.returncode == 0, done.stdout + done.stderr

    # --- processes ---------------------------------------------------------------------

    def env(self) -> dict:
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO"))},
            **self.timing,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "DEBUG": "0",
            "SECRET_KEY": "recovery-test-secret-key-0123456789-abcdefghijklmnop",
            "MYBA_ENCRYPTION_KEYS": "00M4NgaGJIql7RQjiMdTBVisMtcW7fEy4GHVNv-deDI=",  # test-only
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "STATIC_MANIFEST": "0",
            "WHITENOISE_USE_FINDERS": "1",
            "MYBA_DATA_DIR": str(self.workdir / "data"),
            "VISITOR_GRANTS_PER_NETWORK_PER_DAY": "10000",
            "GENERATE_RATE_LIMIT": "100000",  # one visitor submits the whole load
            "OPENROUTER_API_KEY": "test-key",
            "OPENROUTER_BASE_URL": self.provider_url,
            "OPENROUTER_MODEL_STANDARD": "openai/gpt-oss-20b",
            "OPENROUTER_FALLBACKS_STANDARD": "fallback/model-b",
            "OPENROUTER_READ_TIMEOUT": "15",
            "OPENROUTER_BACKOFF_SECONDS": "0.05",
            "OPENROUTER_RETRY_AFTER_MAX": "0.2",
            "LOG_LEVEL": "WARNING",
            "METRICS_TOKEN": METRICS_TOKEN,
            "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir),
        }

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the stack
        process = subprocess.Popen(
            argv, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a kill takes its children too
        )
        process.log = log
        self.processes[name] = process
        return process

    def start_web(self, name: str = "web") -> int:
        """A gunicorn server (2 sync workers); returns its port. The first is `web_port`, the
        one `url()` names; another (`name`) is a second machine's web process."""
        port = self.web_port if name == "web" else free_port()
        self._spawn(name, [
            str(BIN / "gunicorn"), "-c", "config/gunicorn.py", "config.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "30",
        ])
        self.wait_http("/health/", port=port)
        return port

    def start_worker(self, name: str = "worker") -> subprocess.Popen:
        return self._spawn(name, [
            str(BIN / "celery"), "-A", "config", "worker", "--pool", "prefork",
            "--concurrency", str(self.concurrency), "--loglevel", "INFO",
            "-n", f"{name}-{time.time_ns()}@%h",
        ])

    def start_beat(self) -> None:
        self._spawn("beat", [
            str(BIN / "celery"), "-A", "config", "beat", "--loglevel", "INFO",
            "--schedule", str(self.workdir / "beat-schedule"),
        ])

    def kill(self, name: str) -> None:
        """SIGKILL a process and its children, as the OOM killer or a lost machine would."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        process.log.close()

    def pool_processes(self, name: str = "worker") -> list[int]:
        """The prefork pool's child processes of a running worker."""
        pid = self.processes[name].pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(child) for child in children]

    def close(self) -> None:
        for name in list(self.processes):
            process = self.processes.pop(name)
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)
            process.log.close()
        _bash("services_down", self._service_env())

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.workdir.glob("*.log"))
        )

    # --- looking at it -----------------------------------------------------------------

    def url(self, path: str, port: int | None = None) -> str:
        return f"http://127.0.0.1:{port or self.web_port}{path}"

    def wait_http(self, path: str, timeout: float = 30, port: int | None = None) -> None:
        def answers() -> bool:
            try:
                return requests.get(self.url(path, port), timeout=2).status_code < 500
            except requests.RequestException:  # not listening yet, or too busy to answer
                return False

        wait_until(answers, timeout, interval=0.2,
                   message=lambda: f"{path} never answered\n{self.logs()}")

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.pg_port, user="postgres", dbname="myba", autocommit=True
        )

    def rows(self, sql: str, params=()) -> list[tuple]:
        with self.connect() as db:
            return db.execute(sql, params).fetchall()

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=self.env(),
            capture_output=True, text=True, timeout=120, check=False,
        )


def submit_as_visitor(stack: Stack, port: int | None = None) -> int:
    """A new visitor opens the generator on the web server at `port` (the first one by
    default) and submits it; returns the ticket id."""
    session = requests.Session()
    page = session.get(stack.url("/tickets/new/", port), timeout=10)
    page.raise_for_status()
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text).group(1)
    response = session.post(
        stack.url("/tickets/new/", port),
        data={
            "description": "Customers need to download their invoices as PDF so that their "
                           "accountant can file them without asking support for copies.",
            "ticket_type": "story",
            "quality": "standard",
            "nonce": nonce,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": stack.url("/tickets/new/", port)},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[-2000:]
    public_id = re.search(r"/tickets/(\w+)/", response.headers["Location"]).group(1)
    return stack.rows("SELECT id FROM tickets_ticket WHERE public_id = %s", [public_id])[0][0]
