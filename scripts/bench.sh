#!/usr/bin/env bash
# `make bench`: the benchmarks in bench/ (bench/README.md says what each measures), against a
# throwaway PostgreSQL and Redis. Each benchmark gets a fresh copy of one migrated database:
# they leave rows behind (the dashboard's bulk seed even fails `ledger_audit` on purpose), and
# one benchmark's leftovers must not skew the next one's figures.
#
#   scripts/bench.sh                              # every benchmark, in turn
#   scripts/bench.sh web --seconds 5 --runs 2     # one benchmark, with its own arguments
set -euo pipefail
cd "$(dirname "$0")/.."

BENCHES=(ledger web dashboard recovery usage team_limits api splits duplicates pushes a11y)
if [ $# -gt 0 ]; then
    [ -f "bench/$1.py" ] || { echo "usage: $0 [ledger|web|dashboard|recovery|usage|team_limits|api|splits|duplicates|pushes [args...]]" >&2; exit 2; }
    BENCHES=("$1")
    shift
fi

export PG_PORT="${PG_PORT:-54340}" REDIS_PORT="${REDIS_PORT:-63810}" NEED_CHROMIUM=0 NEED_WRK=1
export SERVICES_DIR="${SERVICES_DIR:-/tmp/myba-bench}"
# shellcheck source=scripts/services.sh
source scripts/services.sh up
trap 'scripts/services.sh down' EXIT

# DEBUG is off in the benchmarks: production settings want a key for secrets at rest.
export MYBA_ENCRYPTION_KEYS="${MYBA_ENCRYPTION_KEYS:-$(head -c 32 /dev/urandom | base64 | tr '+/' '-_')}"
# Migrate once (dj-stripe's migrations take the better part of a minute), then copy.
DATABASE_URL="$DATABASE_URL" SECRET_KEY="bench-only-migrate-$(date +%s%N)" \
    .venv/bin/python manage.py migrate --noinput -v 0
for name in "${BENCHES[@]}"; do
    "$(_pg_bin)/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres -T "$PG_DB" "bench_$name"
    echo ">> bench/$name.py"
    DATABASE_URL="postgres://postgres@127.0.0.1:${PG_PORT}/bench_$name" \
        .venv/bin/python "bench/$name.py" "$@"
done
