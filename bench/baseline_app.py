"""The two baselines `bench/web.py` measures MyBA against, under the same gunicorn.

- `ok`: answers "ok" and does nothing else — what Python, gunicorn and the load generator
  cost per request on this machine (the ceiling for a page);
- `write`: one `UPDATE … ; COMMIT` per request on its own connection (one per worker) — the
  ceiling for a request that must write to PostgreSQL (the submit).
"""

import os
import random

import psycopg

ROWS = 1000
_connection = None


def ok(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def write(environ, start_response):
    global _connection
    if _connection is None:
        _connection = psycopg.connect(os.environ["BASELINE_DATABASE_URL"])
    _connection.execute(
        "UPDATE bench_baseline SET hits = hits + 1 WHERE id = %s", [random.randint(1, ROWS)]
    )
    _connection.commit()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def create_table(connection) -> None:
    """The `write` baseline's table: ROWS counters, so two workers rarely wait on one row."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_baseline (id int PRIMARY KEY, hits bigint NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO bench_baseline SELECT g, 0 FROM generate_series(1, %s) g "
            "ON CONFLICT DO NOTHING", [ROWS])
