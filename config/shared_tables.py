"""Small tables every request reads and staff rarely change (prices, token packs), kept in
the shared cache so that a page reads them with one cache round trip instead of a query;
and rows of rarely changed tables that every signed-in page reads by key (`SharedRows`: a
user's teams, their second factors), kept in each process under their table's version.

Each table is stored with the version it was read at. A change gives the table a new
version at once (the writing transaction reads its own change) and again when it commits,
so a table another process read before the commit is never served after it, not even one
written back late. Model saves and deletes renew it through signals; so does `migrate`,
which may change rows with plain SQL.

Inside a request, the versions of every table are read together, once, at the first table
the request asks for; a table whose version this process has already seen is served from
the process's memory. A page that shows prices, packs, sales and plans costs one round
trip, not four, and unpickles nothing. The request sees the tables as they were at that
first read (a change committed during the request shows from the next one). A Celery task
is one request in this sense; elsewhere (commands, the shell) every read asks the cache.

A table read by the transaction that changed it, before that transaction commits, is read
from the database and never kept: the transaction may still roll back, and the table it saw
must not outlive it.
"""

import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import connection, transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_migrate, post_save

SECONDS = 3600  # a backstop only: every change renews the table

_TABLES: list["SharedTable"] = []
# The current request's versions, by version key (None outside a request; empty until read).
_request_versions: ContextVar[dict | None] = ContextVar("shared_table_versions", default=None)
# The tables this thread changed inside a transaction, each with the on-commit callbacks of
# those changes. Django drops a callback when its transaction or savepoint rolls back and
# runs it at the commit, so a change is uncommitted exactly while its callback still waits in
# `connection.run_on_commit`.
_changes_in_transaction: ContextVar[dict | None] = ContextVar("shared_table_changes",
                                                              default=None)


def _changes() -> dict:
    changes = _changes_in_transaction.get()
    if changes is None:
        changes = {}
        _changes_in_transaction.set(changes)
    return changes


def start_request(**_) -> None:
    """A request (or a Celery task, config/celery.py) begins: read every version once."""
    _request_versions.set({})


def finish_request(**_) -> None:
    _request_versions.set(None)


request_started.connect(start_request, dispatch_uid="shared-tables:start")
request_finished.connect(finish_request, dispatch_uid="shared-tables:finish")


def get_with_versions(key: str):
    """`cache.get(key)` for a value a page reads beside the tables (a network's count of free
    grants): the request's first read fetches it together with every table's version, in one
    round trip. Outside a request, or after the versions were read, it costs its own."""
    versions = _request_versions.get()
    if versions is None or versions:
        return cache.get(key)
    found = cache.get_many([key, *(table.version_key for table in _TABLES)])
    value = found.pop(key, None)
    versions.update(found)
    return value


class _Versioned:
    """A table's version, renewed by every change to it (see the module's docstring)."""

    def __init__(self, name: str):
        self.version_key = f"shared-table:{name}:version"
        _TABLES.append(self)

    def version(self) -> str:
        versions = _request_versions.get()
        if versions is None:
            return cache.get(self.version_key) or self._new_version()
        if self.version_key not in versions:
            versions.update(cache.get_many([table.version_key for table in _TABLES]))
        if versions.get(self.version_key) is None:
            versions[self.version_key] = self._new_version()
        return versions[self.version_key]

    def _new_version(self) -> str:
        """The version of a table the cache has lost (or never had)."""
        cache.add(self.version_key, uuid.uuid4().hex, None)
        return cache.get(self.version_key)

    def renew(self, **_) -> None:
        self._forget()
        cache.set(self.version_key, uuid.uuid4().hex, None)

        def renew_after_commit() -> None:  # one object per change: see _changes_in_transaction
            self._renew_after_commit()

        if connection.in_atomic_block:
            _changes()[self.version_key] = (*self._open_changes(), renew_after_commit)
        transaction.on_commit(renew_after_commit)

    def _open_changes(self) -> tuple:
        """The on-commit callbacks of this thread's uncommitted changes to the table (those
        of changes that committed or rolled back are let go, so the list never grows)."""
        changes = _changes()
        callbacks = changes.pop(self.version_key, ())
        if not callbacks:
            return ()
        waiting = {id(func) for _, func, _ in connection.run_on_commit}
        open_changes = tuple(func for func in callbacks if id(func) in waiting)
        if open_changes:
            changes[self.version_key] = open_changes
        return open_changes

    def _renew_after_commit(self) -> None:
        self._forget()
        cache.set(self.version_key, uuid.uuid4().hex, None)

    def _forget(self) -> None:
        versions = _request_versions.get()
        if versions:
            versions.pop(self.version_key, None)

    def follow(self, *models: type[Model]) -> None:
        """Renew the table whenever a row of `models` is saved or deleted, and after migrate."""
        uid = self.version_key
        for model in models:
            post_save.connect(self.renew, sender=model, weak=False, dispatch_uid=f"{uid}:save")
            post_delete.connect(self.renew, sender=model, weak=False,
                                dispatch_uid=f"{uid}:delete")
        post_migrate.connect(self.renew, weak=False, dispatch_uid=f"{uid}:migrate")


class SharedTable(_Versioned):
    """A whole small table (prices, packs), stored in the cache with its version."""

    def __init__(self, name: str, load: Callable[[], object]):
        super().__init__(name)
        self.table_key = f"shared-table:{name}"
        self.load = load
        # (version, table) last read by this process; callers treat tables as read-only.
        self._seen: tuple[str, object] | None = None

    def get(self):
        if self._open_changes():
            return self.load()
        version = self.version()
        seen = self._seen
        if seen is not None and seen[0] == version:
            return seen[1]
        stored = cache.get(self.table_key)
        if stored is None or stored[0] != version:
            stored = (version, self.load())
            cache.set(self.table_key, stored, SECONDS)
        self._seen = stored
        return stored[1]


class SharedRows(_Versioned):
    """Rows of a rarely changed table that signed-in pages read by key (a user's teams, their
    second factors). Each process keeps the rows it has read under the table's version, so a
    request pays a dictionary lookup, not a query; any change to the table renews the version
    and every process reads its rows again. Rows read inside a transaction are not kept: it
    may still roll back a change it made (and renewed the version for)."""

    def __init__(self, name: str, load_row: Callable[[object], object], *, most: int = 10_000):
        super().__init__(name)
        self.load_row = load_row
        self.most = most  # rows kept per process; past it they are all read again
        self._rows: dict[object, tuple[str, object]] = {}

    def get(self, key):
        if connection.in_atomic_block:
            return self.load_row(key)
        version = self.version()
        kept = self._rows.get(key)
        if kept is not None and kept[0] == version:
            return kept[1]
        row = self.load_row(key)
        if len(self._rows) >= self.most:
            self._rows.clear()
        self._rows[key] = (version, row)
        return row
