#!/usr/bin/env bash
# Back up the database DATABASE_URL names into one file (pg_dump's custom format: compressed,
# restorable table by table, and the same on every PostgreSQL version we run).
#
#   DATABASE_URL=postgres://… scripts/backup.sh                 # -> backups/myba-<UTC time>.dump
#   DATABASE_URL=postgres://… scripts/backup.sh /path/file.dump
#
# The dump is consistent (one snapshot) while the site keeps running. Prints the file's path.
set -euo pipefail
: "${DATABASE_URL:?DATABASE_URL names the database to back up}"
out="${1:-backups/myba-$(date -u +%Y%m%dT%H%M%SZ).dump}"
mkdir -p "$(dirname "$out")"
# Written beside its final name, then moved: a failed dump never leaves a file that looks whole.
pg_dump --format=custom --no-owner --no-privileges --file="$out.partial" "$DATABASE_URL"
mv "$out.partial" "$out"
echo "$out"
