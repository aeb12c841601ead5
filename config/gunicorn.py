"""gunicorn settings for the Procfile's web process (`-c config/gunicorn.py`)."""

import os


def child_exit(server, worker):
    """A worker that exits leaves its Prometheus files behind; marked dead, its gauges stop
    counting (prometheus-client multiprocess mode, when PROMETHEUS_MULTIPROC_DIR is set)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
