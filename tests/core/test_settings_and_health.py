"""Issue 2: production settings, /health/, request ids and the Celery round-trip."""

import json
import logging
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from tests.core.tasks import record_echo

ROOT = Path(settings.BASE_DIR)
PRODUCTION_ENV = {
    "PATH": os.environ["PATH"],
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "myba.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://myba.example.com",
    "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
    "MYBA_DATA_DIR": "/tmp/myba-settings-test",
}


def run_manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_secret_key():
    result = run_manage("check", env=PRODUCTION_ENV)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_settings_pass_the_deploy_checklist():
    env = {**PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(50)}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_generates_and_keeps_a_secret_key(tmp_path):
    env = {**PRODUCTION_ENV, "DEBUG": "1", "MYBA_DATA_DIR": str(tmp_path)}
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = run_manage("shell", "-c", code, env=env)
    second = run_manage("shell", "-c", code, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == second.stdout.strip()
    assert len(first.stdout.strip()) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


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


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server this test may kill, so the shared one keeps serving the suite."""
    port = _free_port()
    proc = subprocess.Popen(
        [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1",
         "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
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
    deadline = time.monotonic() + 20
    while cache.get(key) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cache.get(key) == {"value": "pong", "request_id": "req-from-web"}
