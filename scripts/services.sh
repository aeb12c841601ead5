#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis for the test suite and `make stack`.
#
#   source scripts/services.sh up     # installs what is missing, starts both, exports URLs
#   scripts/services.sh down          # stops both (data is thrown away with the directory)
#
# PG_PORT, REDIS_PORT and SERVICES_DIR let several runs live side by side.
# pg_ctl refuses to run as root, so as root the cluster runs as the `postgres` user.

PG_PORT="${PG_PORT:-54329}"
REDIS_PORT="${REDIS_PORT:-63799}"
SERVICES_DIR="${SERVICES_DIR:-/tmp/myba-services-${PG_PORT}}"
PG_DB="${PG_DB:-myba}"

_need_packages() {
    local missing=()
    ls -d /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    # xgettext: the test that the catalogues hold every marked string runs makemessages.
    command -v xgettext >/dev/null 2>&1 || missing+=(gettext)
    if [ "${NEED_CHROMIUM:-1}" = "1" ] && ! [ -x /usr/bin/chromium ]; then missing+=(chromium); fi
    if [ "${NEED_WRK:-0}" = "1" ] && ! command -v wrk >/dev/null 2>&1; then missing+=(wrk); fi
    echo "${missing[@]:-}"
}

services_install() {
    local missing
    missing="$(_need_packages)"
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo ">> installing Debian packages: $missing"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
    else
        echo "Missing system packages. Install them with:" >&2
        echo "    sudo apt-get install -y $missing" >&2
        return 1
    fi
}

_pg_bin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1; }

_as_pg() {
    if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

services_up() {
    services_install || return 1
    local pgbin
    pgbin="$(_pg_bin)"
    services_down >/dev/null 2>&1 || true
    rm -rf "$SERVICES_DIR"
    mkdir -p "$SERVICES_DIR/pg" "$SERVICES_DIR/redis"
    chmod 755 "$SERVICES_DIR"
    [ "$(id -u)" = "0" ] && chown postgres:postgres "$SERVICES_DIR/pg"
    _as_pg "$pgbin/initdb" -D "$SERVICES_DIR/pg/data" -U postgres --auth=trust -E UTF8 \
        --no-sync >"$SERVICES_DIR/pg/initdb.log" 2>&1 || { cat "$SERVICES_DIR/pg/initdb.log"; return 1; }
    # Durability is worthless for a throwaway test cluster; speed is not.
    cat >>"$SERVICES_DIR/pg/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$SERVICES_DIR/pg'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 256MB
# PostgreSQL's own statement counts, read by bench/web.py (a few µs per statement).
shared_preload_libraries = 'pg_stat_statements'
CONF
    _as_pg "$pgbin/pg_ctl" -D "$SERVICES_DIR/pg/data" -l "$SERVICES_DIR/pg/server.log" -w -t 60 start \
        >/dev/null || { cat "$SERVICES_DIR/pg/server.log"; return 1; }
    "$pgbin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$PG_DB"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no \
        --dir "$SERVICES_DIR/redis" --pidfile "$SERVICES_DIR/redis/redis.pid" \
        --logfile "$SERVICES_DIR/redis/redis.log" >/dev/null
    for _ in $(seq 50); do
        redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    export DATABASE_URL="postgres://postgres@127.0.0.1:${PG_PORT}/${PG_DB}"
    export REDIS_URL="redis://127.0.0.1:${REDIS_PORT}/0"
    echo ">> PostgreSQL on 127.0.0.1:$PG_PORT, Redis on 127.0.0.1:$REDIS_PORT"
}

services_down() {
    local pgbin
    pgbin="$(_pg_bin 2>/dev/null)"
    if [ -f "$SERVICES_DIR/pg/data/postmaster.pid" ]; then
        _as_pg "$pgbin/pg_ctl" -D "$SERVICES_DIR/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ -f "$SERVICES_DIR/redis/redis.pid" ]; then
        local pid
        pid="$(cat "$SERVICES_DIR/redis/redis.pid")"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -rf "$SERVICES_DIR"
}

case "${1:-}" in
    up) services_up ;;
    down) services_down ;;
    install) services_install ;;
    *) [ "${BASH_SOURCE[0]}" = "$0" ] && { echo "usage: $0 up|down|install" >&2; exit 2; } ;;
esac
