"""What `make test` needs to run the suite in parallel (pytest-xdist, scripts/test.sh).

Each xdist worker has its own test database (pytest-django names it test_<name>_gw<N>) and
its own Redis database (config/test_settings.py). Two things here:

* Migrations run once, not once per worker. Migrating an empty database takes about 40 s of
  one core (dj-stripe's migrations mostly); workers doing it at the same time on two cores
  each take longer still, and a third worker would wait for a core. So the first worker to
  need a database migrates a template (test_<name>_template, under a lock the others wait
  on), and every worker clones its database from it with `CREATE DATABASE ... TEMPLATE`
  (0.1 s); pytest-django then keeps the clone (its `migrate` finds nothing to do). If the
  template cannot be built, every worker migrates its own database as before.
* `--dist loadgroup` works on pytest 9.2 (see `pytest_collection_modifyitems`).

Serial runs (`-n 0`, `-p no:xdist`) and `--reuse-db`/`--create-db` runs are left exactly as
pytest-django does them.
"""

import fcntl
import os
import subprocess
import sys
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Keep `--dist loadgroup` grouping on pytest 9.2.

    pytest-xdist 3.8 groups tests by appending "@<group>" to the node id of each test marked
    `xdist_group`, but it writes the old `_nodeid` attribute, which pytest 9.2's structured
    node ids no longer read: the group is silently spread over workers (pytest-xdist#1386).
    Tag the id the way pytest 9.2 reads it; a fixed xdist has tagged it already.
    """
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import NodeId

    for item in items:
        groups = {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
        suffix = "@" + "_".join(sorted(groups))
        if groups and not item.nodeid.endswith(suffix) and isinstance(
            getattr(item, "_id", None), NodeId
        ):
            item._id = NodeId.parse(item.nodeid + suffix)


def _maintenance(settings_dict):
    """A connection to the cluster's `postgres` database, for CREATE and DROP DATABASE."""
    import psycopg

    return psycopg.connect(
        host=settings_dict["HOST"] or None, port=settings_dict["PORT"] or None,
        user=settings_dict["USER"] or None, password=settings_dict["PASSWORD"] or None,
        dbname="postgres", autocommit=True,
    )


def _migrate_template(settings_dict, template: str) -> None:
    """Create `template` and migrate it in a process of its own, as a test database is."""
    with _maintenance(settings_dict) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{template}"')
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    url = urlsplit(os.environ["DATABASE_URL"])
    env["DATABASE_URL"] = url._replace(path=f"/{template}").geturl()
    env["DJANGO_SETTINGS_MODULE"] = "config.test_settings"
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--run-syncdb", "--no-input", "-v", "0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    if done.returncode:
        raise subprocess.SubprocessError(done.stdout[-2000:] + done.stderr[-2000:])


def _clone(settings_dict, template: str, name: str) -> None:
    with _maintenance(settings_dict) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


@pytest.fixture(scope="session")
def django_db_keepdb(request, django_db_modify_db_settings, tmp_path_factory):
    """pytest-django's choice, except on an xdist worker: there, the worker's database is
    cloned from the run's migrated template and kept (True) rather than migrated again."""
    keepdb = request.config.getvalue("reuse_db")
    worker = getattr(request.config, "workerinput", None)
    if keepdb or request.config.getvalue("create_db") or worker is None:
        return keepdb
    from django.conf import settings

    settings_dict = settings.DATABASES["default"]
    if settings_dict["ENGINE"] != "django.db.backends.postgresql" or not os.environ.get(
        "DATABASE_URL"
    ):
        return keepdb
    name = settings_dict["TEST"]["NAME"]  # the worker's, suffixed by django_db_modify_db_settings
    template = name.removesuffix(f"_{worker['workerid']}") + "_template"
    shared = tmp_path_factory.getbasetemp().parent  # one directory for this run's workers
    with open(shared / "db-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker holds it while it migrates
        state = shared / "db-template.state"
        if not state.exists():
            try:
                _migrate_template(settings_dict, template)
            except Exception as error:  # any failure: fall back to one migration per worker
                state.write_text("failed")
                warnings.warn(
                    f"no template test database, each worker migrates its own: {error}",
                    pytest.PytestWarning, stacklevel=1,
                )
                return keepdb
            state.write_text("ready")
        if state.read_text() != "ready":
            return keepdb
        try:
            _clone(settings_dict, template, name)
        except Exception as error:  # pytest-django creates and migrates it, as without us
            warnings.warn(f"could not clone {template}: {error}", pytest.PytestWarning,
                          stacklevel=1)
            return keepdb
    request.addfinalizer(lambda: _drop_clone(settings_dict, name))
    return True


def _drop_clone(settings_dict, name: str) -> None:
    """Kept by pytest-django (keepdb), so dropped here at the end of the worker's session."""
    from django.db import connections

    connections.close_all()
    with _maintenance(settings_dict) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
