#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the store tests, used by .ci/run and by developers.
#
#   eval "$(.ci/postgres.sh start /tmp/relaybot-pg)"   # prints `export RELAYBOT_TEST_POSTGRES_URL=...`
#   python -m pytest tests/store
#   .ci/postgres.sh stop /tmp/relaybot-pg               # stops the server, deletes the directory
#
# The cluster listens on 127.0.0.1 (a free port) and on a unix socket inside DIR, with trust
# authentication: never point it at data you care about. PostgreSQL refuses to run as root, so
# as root the server runs as the `postgres` user (or `nobody`). Binaries: $PG_BIN, else the Debian
# PostgreSQL 15 server; when they are missing and we are root, postgresql-15 is installed with apt.
set -euo pipefail

usage() {
    echo "usage: $0 start DIR | stop DIR" >&2
    exit 2
}

[ $# -eq 2 ] || usage
action=$1
dir=$2
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

ensure_binaries() {
    [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "postgres.sh: no PostgreSQL server in $PG_BIN (install postgresql-15 or set PG_BIN)" >&2
        exit 1
    fi
    echo "postgres.sh: installing postgresql-15 with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql-15 >&2
    if [ ! -x "$PG_BIN/initdb" ]; then
        echo "postgres.sh: postgresql-15 installed, but no initdb in $PG_BIN" >&2
        exit 1
    fi
}

server_user() {
    if [ "$(id -u)" -ne 0 ]; then
        id -un
    elif id postgres >/dev/null 2>&1; then
        echo postgres
    else
        echo nobody
    fi
}

as_server_user() {
    local user=$1
    shift
    if [ "$(id -un)" = "$user" ]; then
        "$@"
    else
        runuser -u "$user" -- "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    ensure_binaries
    local user port
    user=$(server_user)
    port=$(free_port)
    mkdir -p "$dir"
    chmod 0755 "$dir"
    mkdir -p "$dir/data" "$dir/socket"
    if [ "$(id -u)" -eq 0 ]; then
        chown "$user" "$dir/data" "$dir/socket"
    fi
    chmod 0700 "$dir/data"
    as_server_user "$user" "$PG_BIN/initdb" -D "$dir/data" -U relaybot --auth=trust \
        --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    # fsync off: a test cluster trades durability for speed.
    as_server_user "$user" "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/socket/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/socket -c fsync=off" start >/dev/null \
        || { cat "$dir/socket/server.log" >&2; exit 1; }
    echo "$user" >"$dir/user"
    as_server_user "$user" "$PG_BIN/psql" -q -h "$dir/socket" -p "$port" -U relaybot \
        -d postgres -c "CREATE DATABASE relaybot_test" >/dev/null
    echo "export RELAYBOT_TEST_POSTGRES_URL=postgresql://relaybot@127.0.0.1:$port/relaybot_test"
}

stop() {
    [ -d "$dir/data" ] || return 0
    local user
    user=$(cat "$dir/user" 2>/dev/null || server_user)
    as_server_user "$user" "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}

case $action in
    start) start ;;
    stop) stop ;;
    *) usage ;;
esac
