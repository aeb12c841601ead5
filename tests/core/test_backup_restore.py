"""Backups (issue 22, operations): scripts/backup.sh dumps the live database in one
consistent snapshot; scripts/restore.sh restores it into an empty database and proves the
ledger there with `ledger_audit` — and refuses a database that already has data."""

import os
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.builders import funded_user, new_key
from tokens.models import LedgerEntry
from tokens.services import reserve_tokens, spend_tokens

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


def url(name: str) -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{name}"


@pytest.fixture
def empty_database():
    name = f"myba_restore_{uuid.uuid4().hex[:10]}"
    admin = url("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url(name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(*args, env=None):
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=env)


def test_a_backup_restores_into_an_empty_database_with_a_clean_ledger(tmp_path,
                                                                      empty_database):
    user = funded_user(10)
    for _ in range(3):
        spend_tokens(account=user.token_account, amount=2, idempotency_key=new_key("spend"),
                     feature_key="ticket.standard")
    reserve_tokens(account=user.token_account, amount=1, idempotency_key=new_key("hold"))
    env = {**os.environ, "DATABASE_URL": url(connection.settings_dict["NAME"])}
    backup = run("scripts/backup.sh", str(tmp_path / "myba.dump"), env=env)
    assert backup.returncode == 0, backup.stderr
    dump = Path(backup.stdout.strip())
    assert dump.is_file() and dump.read_bytes().startswith(b"PGDMP")
    assert not list(tmp_path.glob("*.partial"))

    restore = run("scripts/restore.sh", str(dump), empty_database, env=dict(os.environ))
    assert restore.returncode == 0, restore.stderr
    assert "ledger_audit: OK" in restore.stdout and "no mismatches" in restore.stdout
    with psycopg.connect(empty_database) as conn:
        entries = conn.execute("SELECT count(*), sum(amount) FROM tokens_ledgerentry").fetchone()
        balance, held = conn.execute(
            "SELECT balance, held FROM tokens_tokenaccount WHERE id = %s",
            [user.token_account_id]).fetchone()
    assert entries == (LedgerEntry.objects.count(),
                       sum(LedgerEntry.objects.values_list("amount", flat=True)))
    assert (balance, held) == (4, 1)

    # A second restore into the same (no longer empty) database is refused.
    again = run("scripts/restore.sh", str(dump), empty_database, env=dict(os.environ))
    assert again.returncode == 2 and "refusing" in again.stderr
