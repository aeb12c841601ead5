"""Serve the local fakes of GitHub, GitLab, Jira Cloud and Slack for `make run`.

Each fake listens on 127.0.0.1 (ports from LOCAL_FAKES_PORT: GitHub, GitLab, Jira, Slack in
that order) with its demo destination seeded; `config/settings.py` points the clients at
them when LOCAL_FAKES is on. Nothing leaves this machine.
"""

import importlib
import inspect
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integrations.fakes.base import FakeServer

FAKES = ("github", "gitlab", "jira", "slack")


def fake_class(name: str) -> type[FakeServer]:
    """The FakeServer subclass defined in integrations.fakes.<name>."""
    module = importlib.import_module(f"integrations.fakes.{name}")
    for _, value in inspect.getmembers(module, inspect.isclass):
        if issubclass(value, FakeServer) and value is not FakeServer and (
                value.__module__ == module.__name__):
            return value
    raise CommandError(f"integrations.fakes.{name} defines no FakeServer.")


class Command(BaseCommand):
    help = "Serve the local fakes of GitHub, GitLab, Jira and Slack (for make run)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("The local fakes are for development (DEBUG on) only.")
        servers = []
        for offset, name in enumerate(FAKES):
            server = fake_class(name)(port=settings.LOCAL_FAKES_PORT + offset)
            server.seed_demo()
            servers.append(server.start())
            self.stdout.write(f"Local fake of {name}: {server.url}")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            for server in servers:
                server.stop()
