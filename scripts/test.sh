#!/usr/bin/env bash
# `make test`: the whole suite on real PostgreSQL, Redis, a Celery worker and Chromium.
#
# In parallel (pytest-xdist): each worker gets its own test database, cloned from one
# migrated template (tests/parallel.py), and its own Redis database (config/test_settings.py);
# tests marked xdist_group (tests/recovery) all run on one worker. One worker more than there
# are cores, since tests spend part of their time waiting on browsers, servers and threads.
# PYTEST_WORKERS=4 sets the count; PYTEST_ARGS="-n 0" or "-p no:xdist" runs serially.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/services.sh
source scripts/services.sh up
trap 'scripts/services.sh down' EXIT

export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
.venv/bin/ruff check .

workers="${PYTEST_WORKERS:-$(($(nproc) + 1))}"
# At most 15: Redis has 16 databases and each worker takes one of its own.
if [ "$workers" -gt 15 ]; then workers=15; fi
parallel=(-n "$workers" --dist loadgroup)
case " $* " in
    *" -p no:xdist "* | *" -pno:xdist "*) parallel=() ;;
esac
.venv/bin/pytest "${parallel[@]}" "$@"
