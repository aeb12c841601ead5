"""The Celery app: the worker and beat read the same Django settings as the web process."""

import os

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("myba")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Packages inside an app keep their tasks in their own module, which the line above (one
# `tasks` module per installed app) does not find.
app.autodiscover_tasks(["accounts.teams", "accounts.webhooks", "integrations.slack",
                        "tickets.batches"])


@before_task_publish.connect
def _carry_request_id(headers=None, **_):
    """Tasks inherit the id of the request that enqueued them, so one id follows the work."""
    from config.logging import request_id_var

    if headers is not None and "request_id" not in headers:
        headers["request_id"] = request_id_var.get()


@task_prerun.connect
def _drop_stale_connections(task=None, **_):
    """What Django does before each request: a connection past CONN_MAX_AGE, or left broken
    by an error, is closed, and the next query checks it is alive (CONN_HEALTH_CHECKS). Not
    for a task run eagerly: it is inside its caller's work, on its caller's connection."""
    from django.db import close_old_connections

    if not getattr(task.request, "is_eager", False):
        close_old_connections()


@task_prerun.connect
def _start_shared_tables(task=None, **_):
    """A task reads the shared tables' versions once, like a request
    (config/shared_tables.py); an eager one is part of its caller's request."""
    from config import shared_tables

    if not getattr(task.request, "is_eager", False):
        shared_tables.start_request()


@task_postrun.connect
def _finish_shared_tables(task=None, **_):
    from config import shared_tables

    if not getattr(task.request, "is_eager", False):
        shared_tables.finish_request()


@task_prerun.connect
def _adopt_request_id(task=None, **_):
    from config.logging import request_id_var

    task.request.request_id_token = request_id_var.set(
        getattr(task.request, "request_id", None) or f"task-{task.request.id}"
    )


@task_postrun.connect
def _drop_request_id(task=None, **_):
    from config.logging import request_id_var

    token = getattr(task.request, "request_id_token", None)
    if token is not None:
        request_id_var.reset(token)
