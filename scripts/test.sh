#!/usr/bin/env bash
# `make test`: the whole suite on real PostgreSQL, Redis, a Celery worker and Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/services.sh
source scripts/services.sh up
trap 'scripts/services.sh down' EXIT

export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
.venv/bin/ruff check .
.venv/bin/pytest "$@"
