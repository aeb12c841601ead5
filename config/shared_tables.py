"""Small tables every request reads and staff rarely change (prices, token packs), kept in
the shared cache so that a page reads them with one cache round trip instead of a query.

Each table is stored with the version it was read at. A change gives the table a new
version at once (the writing transaction reads its own change) and again when it commits,
so a table another process read before the commit is never served after it, not even one
written back late. Model saves and deletes renew it through signals; so does `migrate`,
which may change rows with plain SQL.
"""

import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_migrate, post_save

SECONDS = 3600  # a backstop only: every change renews the table


class SharedTable:
    def __init__(self, name: str, load: Callable[[], object]):
        self.table_key = f"shared-table:{name}"
        self.version_key = f"shared-table:{name}:version"
        self.load = load

    def get(self):
        found = cache.get_many([self.version_key, self.table_key])
        version = found.get(self.version_key)
        if version is None:
            cache.add(self.version_key, uuid.uuid4().hex, None)
            version = cache.get(self.version_key)
        stored = found.get(self.table_key)
        if stored is not None and stored[0] == version:
            return stored[1]
        table = self.load()
        cache.set(self.table_key, (version, table), SECONDS)
        return table

    def renew(self, **_) -> None:
        cache.set(self.version_key, uuid.uuid4().hex, None)
        transaction.on_commit(lambda: cache.set(self.version_key, uuid.uuid4().hex, None))

    def follow(self, *models: type[Model]) -> None:
        """Renew the table whenever a row of `models` is saved or deleted, and after migrate."""
        uid = self.table_key
        for model in models:
            post_save.connect(self.renew, sender=model, weak=False, dispatch_uid=f"{uid}:save")
            post_delete.connect(self.renew, sender=model, weak=False,
                                dispatch_uid=f"{uid}:delete")
        post_migrate.connect(self.renew, weak=False, dispatch_uid=f"{uid}:migrate")
