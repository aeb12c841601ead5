#!/usr/bin/env bash
# Restore a dump made by scripts/backup.sh into an EMPTY database, then prove the ledger in
# it: `manage.py ledger_audit` must find every balance equal to its entries (exit 1 if not).
#
#   scripts/restore.sh backups/myba-….dump postgres://…/myba_restored
#
# Refuses a database that already has tables (a restore never mixes with live data). Create
# the target first (`createdb myba_restored`), point DATABASE_URL at it once it passes.
set -euo pipefail
cd "$(dirname "$0")/.."
dump="${1:?usage: scripts/restore.sh <dump file> <target database URL>}"
target="${2:?usage: scripts/restore.sh <dump file> <target database URL>}"
[ -f "$dump" ] || { echo "no such dump: $dump" >&2; exit 2; }
tables="$(psql "$target" -Atc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"
if [ "$tables" != "0" ]; then
    echo "refusing: $target already has $tables tables; restore into an empty database" >&2
    exit 2
fi
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$target" "$dump"
# The audit runs with the restored database and a throwaway secret (it reads, and records
# its result in the restored database only).
DATABASE_URL="$target" SECRET_KEY="${SECRET_KEY:-restore-check-$(date +%s%N)}" \
    MYBA_ENCRYPTION_KEYS="${MYBA_ENCRYPTION_KEYS:-$(head -c 32 /dev/urandom | base64 | tr '+/' '-_')}" \
    DEBUG=0 ALLOWED_HOSTS=localhost .venv/bin/python manage.py ledger_audit
echo "restored $dump into $target; ledger audit clean"
