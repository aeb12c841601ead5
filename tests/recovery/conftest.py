"""The live stack for the recovery tests: its own PostgreSQL, Redis, gunicorn, worker, beat.

These tests stop PostgreSQL and kill workers, so they never touch the suite's own services,
and they run one after another on one xdist worker (`xdist_group`), so no other test meets
a half-dead stack.
"""

import pytest

from tests.recovery.stack import Stack
from tests.tickets.fake_openrouter import FakeOpenRouter, slow


@pytest.fixture(scope="session")
def provider():
    """A fake OpenRouter whose every answer takes a moment: generations are in flight."""
    server = FakeOpenRouter().start()
    server.default = slow(1.5)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def live_stack(tmp_path_factory, django_db_setup, provider):
    from django.db import connection

    stack = Stack(
        workdir=tmp_path_factory.mktemp("stack"),
        source_db=connection.settings_dict,
        provider_url=provider.base_url,
    )
    try:
        stack.start_services()
        stack.start_web()
        stack.start_worker()
        stack.start_beat()
        yield stack
    finally:
        stack.close()
