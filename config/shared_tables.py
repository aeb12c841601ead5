"""Small tables every request reads and staff rarely change (prices, token packs), kept in
the shared cache so that a page reads them with one cache round trip instead of a query.

Each table is stored with the version it was read at. A change gives the table a new
version at once (the writing transaction reads its own change) and again when it commits,
so a table another process read before the commit is never served after it, not even one
written back late. Model saves and deletes renew it through signals; so does `migrate`,
which may change rows with plain SQL.

Inside a request, the versions of every table are read together, once, at the first table
the request asks for; a table whose version this process has already seen is served from
the process's memory. A page that shows prices, packs, sales and plans costs one round
trip, not four, and unpickles nothing. The request sees the tables as they were at that
first read (a change committed during the request shows from the next one); outside a
request (tasks, commands) every read asks the cache.
"""

import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_migrate, post_save

SECONDS = 3600  # a backstop only: every change renews the table

_TABLES: list["SharedTable"] = []
# The current request's versions, by version key (None outside a request; empty until read).
_request_versions: ContextVar[dict | None] = ContextVar("shared_table_versions", default=None)


def _start_request(**_) -> None:
    _request_versions.set({})


def _finish_request(**_) -> None:
    _request_versions.set(None)


request_started.connect(_start_request, dispatch_uid="shared-tables:start")
request_finished.connect(_finish_request, dispatch_uid="shared-tables:finish")


class SharedTable:
    def __init__(self, name: str, load: Callable[[], object]):
        self.table_key = f"shared-table:{name}"
        self.version_key = f"shared-table:{name}:version"
        self.load = load
        # (version, table) last read by this process; callers treat tables as read-only.
        self._seen: tuple[str, object] | None = None
        _TABLES.append(self)

    def get(self):
        versions = _request_versions.get()
        if versions is None:
            found = cache.get_many([self.version_key, self.table_key])
            return self._table(found.get(self.version_key), found.get(self.table_key))
        if self.version_key not in versions:
            versions.update(cache.get_many([table.version_key for table in _TABLES]))
        version = versions.get(self.version_key)
        seen = self._seen
        if version is not None and seen is not None and seen[0] == version:
            return seen[1]
        table = self._table(version, cache.get(self.table_key))
        versions[self.version_key] = self._seen[0]
        return table

    def _table(self, version: str | None, stored: tuple | None):
        if version is None:
            cache.add(self.version_key, uuid.uuid4().hex, None)
            version = cache.get(self.version_key)
        if stored is None or stored[0] != version:
            stored = (version, self.load())
            cache.set(self.table_key, stored, SECONDS)
        self._seen = stored
        return stored[1]

    def renew(self, **_) -> None:
        self._forget()
        cache.set(self.version_key, uuid.uuid4().hex, None)
        transaction.on_commit(self._renew_after_commit)

    def _renew_after_commit(self) -> None:
        self._forget()
        cache.set(self.version_key, uuid.uuid4().hex, None)

    def _forget(self) -> None:
        versions = _request_versions.get()
        if versions:
            versions.pop(self.version_key, None)

    def follow(self, *models: type[Model]) -> None:
        """Renew the table whenever a row of `models` is saved or deleted, and after migrate."""
        uid = self.table_key
        for model in models:
            post_save.connect(self.renew, sender=model, weak=False, dispatch_uid=f"{uid}:save")
            post_delete.connect(self.renew, sender=model, weak=False,
                                dispatch_uid=f"{uid}:delete")
        post_migrate.connect(self.renew, weak=False, dispatch_uid=f"{uid}:migrate")
