"""Health checks for /health/ and the staff dashboard: database, cache and Celery broker."""

import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"ok": False, "detail": f"{type(exc).__name__}: {exc}"[:200]}
    return {"ok": True, "detail": connection.vendor}


def check_cache() -> dict:
    key = f"health:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=5)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except Exception as exc:
        return {"ok": False, "detail": f"{type(exc).__name__}: {exc}"[:200]}
    return {"ok": ok, "detail": "read back" if ok else "value not read back"}


def check_broker() -> dict:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "detail": "no broker configured: tasks run inline"}
    from kombu import Connection

    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=3)
    except Exception as exc:
        return {"ok": False, "detail": f"{type(exc).__name__}: {exc}"[:200]}
    return {"ok": True, "detail": "connected"}


def run_health_checks() -> dict:
    checks = {"database": check_database(), "cache": check_cache(), "broker": check_broker()}
    status = "ok" if all(check["ok"] for check in checks.values()) else "error"
    return {"status": status, "checks": checks, "version": settings.VERSION}
