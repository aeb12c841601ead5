#!/usr/bin/env bash
# `make stack`: a production-like run on this machine — PostgreSQL, Redis, gunicorn,
# a Celery worker and Celery beat, with DEBUG off. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

export PG_PORT="${PG_PORT:-54330}" REDIS_PORT="${REDIS_PORT:-63800}" NEED_CHROMIUM=0
export SERVICES_DIR="${SERVICES_DIR:-/tmp/myba-stack}"
# shellcheck source=scripts/services.sh
source scripts/services.sh up
trap 'scripts/services.sh down' EXIT

export DEBUG=0
export SECRET_KEY="${SECRET_KEY:-stack-local-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
# Secrets at rest (webhook signing secrets): a throwaway key unless one is given.
export MYBA_ENCRYPTION_KEYS="${MYBA_ENCRYPTION_KEYS:-$(head -c 32 /dev/urandom | base64 | tr '+/' '-_')}"
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-127.0.0.1,localhost}"
# Plain HTTP on localhost: no TLS redirect or secure-only cookies here.
export SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 SECURE_HSTS_SECONDS=0

mkdir -p .data  # beat keeps its schedule there (Procfile); settings never create it
.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py collectstatic --noinput -v 0
.venv/bin/python manage.py seed_demo
echo ">> MyBA on http://127.0.0.1:${PORT:-8000} (gunicorn + celery worker + beat); Ctrl-C to stop"
# honcho hands each process PORT = base + 100 × its index; the web process is first.
.venv/bin/honcho start -f Procfile --port "${PORT:-8000}"
