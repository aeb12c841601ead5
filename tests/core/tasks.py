"""A task that exists only for the suite: it proves the worker and the broker round-trip."""

from django.core.cache import cache

from config.celery import app


@app.task(name="tests.core.record_echo")
def record_echo(key: str, value: str) -> None:
    from config.logging import request_id_var

    cache.set(key, {"value": value, "request_id": request_id_var.get()}, timeout=60)
