"""Issue 2: production settings, /health/, request ids and the Celery round-trip."""

import json
import logging
import os
import secrets
import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from tests.core.tasks import record_echo
from tests.helpers import wait_until

ROOT = Path(settings.BASE_DIR)
PRODUCTION_ENV = {
    "PATH": os.environ["PATH"],
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "myba.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://myba.example.com",
    "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
    "MYBA_DATA_DIR": "/tmp/myba-settings-test",
    # Production refuses to start without it (config/encryption.py); a test-only key.
    "MYBA_ENCRYPTION_KEYS": "00M4NgaGJIql7RQjiMdTBVisMtcW7fEy4GHVNv-deDI=",
}


def run_manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )


def read_settings(expression, env):
    """The value of `expression` over `s` (the settings) in a fresh process, as JSON."""
    code = f"import json; from django.conf import settings as s; print(json.dumps({expression}))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_refuses_to_start_without_secret_key():
    result = run_manage("check", env=PRODUCTION_ENV)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_settings_pass_the_deploy_checklist_but_for_preload():
    """The README's production settings: the one warning is HSTS preload, which is opt-in."""
    env = {**PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(50)}
    result = run_manage("check", "--deploy", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified 1 issue" in result.stderr, result.stderr
    assert "(security.W021)" in result.stderr


def test_hsts_preload_is_off_unless_the_deployer_opts_in():
    env = {**PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(50)}
    assert read_settings("s.SECURE_HSTS_PRELOAD", env) is False
    opted_in = {**env, "SECURE_HSTS_PRELOAD": "1"}
    assert read_settings("s.SECURE_HSTS_PRELOAD", opted_in) is True
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=opted_in)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_variables_are_parsed_and_an_empty_one_counts_as_unset():
    env = {
        **PRODUCTION_ENV,
        # A secret is taken verbatim, even when it looks like a reference to another variable.
        "SECRET_KEY": "$PATH-" + secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "a.example, b.example",
        "DB_CONN_MAX_AGE": "",
        "SECURE_SSL_REDIRECT": "",
        "OPENROUTER_READ_TIMEOUT": "12.5",
        "DASHBOARD_CACHE_SECONDS": "0",
    }
    key, hosts, max_age, ssl_redirect, timeout, beat = read_settings(
        "[s.SECRET_KEY, s.ALLOWED_HOSTS, s.DATABASES['default']['CONN_MAX_AGE'], "
        "s.SECURE_SSL_REDIRECT, s.OPENROUTER_READ_TIMEOUT, sorted(s.CELERY_BEAT_SCHEDULE)]",
        env,
    )
    assert key == env["SECRET_KEY"]
    assert hosts == ["a.example", "b.example"]
    assert (max_age, ssl_redirect, timeout) == (600, True, 12.5)
    assert "dashboard-refresh-overview" not in beat
    assert "tickets-sweep-stuck" in beat


def test_make_creates_the_development_secret_key_once_and_settings_read_it(tmp_path):
    data_dir = tmp_path / "data"
    target = f"{data_dir}/secret_key"
    make = ["make", "-s", "-C", str(ROOT), target, f"MYBA_DATA_DIR={data_dir}"]
    for _ in range(2):
        subprocess.run(make, check=True, capture_output=True, timeout=60)
    key = (data_dir / "secret_key").read_text().strip()
    assert len(key) >= 50
    assert (data_dir / "secret_key").stat().st_mode & 0o077 == 0

    env = {**PRODUCTION_ENV, "DEBUG": "1", "MYBA_DATA_DIR": str(data_dir)}
    assert read_settings("s.SECRET_KEY", env) == key


def test_development_without_a_key_says_how_to_get_one(tmp_path):
    env = {**PRODUCTION_ENV, "DEBUG": "1", "MYBA_DATA_DIR": str(tmp_path / "data")}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "`make run` creates it" in result.stderr
    assert not (tmp_path / "data").exists()


# Run in a fresh interpreter: every open for writing and every directory, permission or
# rename change made while Django loads the settings is recorded.
WRITES_PROBE = """
import json, os, sys
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
CHANGES = {"os.mkdir", "os.chmod", "os.rename", "os.replace", "os.remove", "os.symlink",
           "os.truncate", "shutil.copyfile", "shutil.rmtree"}
writes = []
def audit(event, args):
    if event == "open" and isinstance(args[2], int) and args[2] & WRITE_FLAGS:
        writes.append(f"open {args[0]}")
    elif event in CHANGES:
        writes.append(f"{event} {args[0]}")
sys.addaudithook(audit)
from django.conf import settings
settings.SECRET_KEY
print(json.dumps(writes))
"""


@pytest.mark.parametrize(
    "mode",
    ["production", "development with a key made by make run", "development with SECRET_KEY"],
)
def test_importing_settings_writes_nothing(tmp_path, mode):
    data_dir = tmp_path / "data"
    env = {**PRODUCTION_ENV, "MYBA_DATA_DIR": str(data_dir), "PYTHONDONTWRITEBYTECODE": "1"}
    if mode == "production":
        env["SECRET_KEY"] = secrets.token_urlsafe(50)
    elif mode == "development with SECRET_KEY":
        env.update(DEBUG="1", SECRET_KEY=secrets.token_urlsafe(50))
    else:
        env.update(DEBUG="1", DATABASE_URL="")  # the zero-setup run: SQLite in the data dir
        data_dir.mkdir()
        (data_dir / "secret_key").write_text(secrets.token_urlsafe(50))
    before = sorted(tmp_path.rglob("*"))

    result = subprocess.run(
        [sys.executable, "-c", WRITES_PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
    assert sorted(tmp_path.rglob("*")) == before


@pytest.mark.django_db
def test_health_reports_all_checks_ok(client):
    response = client.get("/health/")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["version"] == settings.VERSION


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _accepts(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server this test may kill, so the shared one keeps serving the suite."""
    port = _free_port()
    proc = subprocess.Popen(
        [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1",
         "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    wait_until(lambda: _accepts(port), 10, message=f"redis-server never listened on {port}")
    yield proc, f"redis://127.0.0.1:{port}/0"
    proc.kill()
    proc.wait()


@pytest.mark.django_db
def test_health_answers_503_when_redis_goes_down(client, own_redis):
    proc, url = own_redis
    caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": url,
                          "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
    with override_settings(CACHES=caches, CELERY_BROKER_URL=url, CELERY_TASK_ALWAYS_EAGER=False):
        assert client.get("/health/").status_code == 200
        proc.kill()
        proc.wait()
        response = client.get("/health/")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "error"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["cache"]["ok"] is False
    assert body["checks"]["broker"]["ok"] is False


@pytest.mark.django_db
def test_health_in_zero_setup_mode_says_tasks_run_inline(client):
    locmem = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(CACHES=locmem, CELERY_TASK_ALWAYS_EAGER=True):
        body = client.get("/health/").json()
    assert body["status"] == "ok"
    assert "inline" in body["checks"]["broker"]["detail"]


@pytest.mark.django_db
def test_request_id_is_echoed_or_generated(client):
    echoed = client.get("/health/", headers={"X-Request-ID": "abc-123"})
    assert echoed["X-Request-ID"] == "abc-123"
    generated = client.get("/health/", headers={"X-Request-ID": "bad id with spaces"})
    assert generated["X-Request-ID"] != "bad id with spaces"
    assert len(generated["X-Request-ID"]) == 32


def test_log_lines_are_json_with_the_request_id():
    from config.logging import JsonFormatter, RequestIdFilter, request_id_var

    token = request_id_var.set("req-42")
    try:
        record = logging.LogRecord("myba", logging.INFO, __file__, 1, "hello %s", ("world",), None)
        RequestIdFilter().filter(record)
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["message"] == "hello world"
    assert line["request_id"] == "req-42"
    assert line["level"] == "INFO"


@pytest.mark.django_db(transaction=True)
def test_celery_task_round_trips_through_the_real_broker(celery_worker):
    from config.logging import request_id_var

    assert settings.CELERY_BROKER_URL.startswith("redis://")
    key = f"echo:{uuid.uuid4().hex}"
    token = request_id_var.set("req-from-web")
    try:
        record_echo.delay(key, "pong")
    finally:
        request_id_var.reset(token)
    # The worker thread writes the cache and nothing reports back (tasks keep no results).
    echoed = wait_until(lambda: cache.get(key), 20, message="the worker never ran the task")
    assert echoed == {"value": "pong", "request_id": "req-from-web"}
