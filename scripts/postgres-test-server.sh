#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests, on 127.0.0.1 only, trust auth.
#
#   url=$(scripts/postgres-test-server.sh start DIR)   # prints its URL
#   scripts/postgres-test-server.sh stop DIR           # stops it, removes DIR
#
# DIR is a new or empty folder (e.g. from mktemp -d) for the data, the log
# and the socket. The server listens on a free port and is reached as
# postgresql://postgres@127.0.0.1:PORT/postgres. initdb refuses to run as
# root, so as root the server runs as the user "postgres" (made if missing).
set -euo pipefail

usage() {
    echo "usage: $0 start|stop DIR" >&2
    exit 2
}

[ $# -eq 2 ] || usage
action=$1
dir=$2

bindir() {
    if command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v pg_ctl)"
        return
    fi
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$found" ]; then
        echo "$0: PostgreSQL not found (no pg_ctl on PATH or in /usr/lib/postgresql)" >&2
        exit 1
    fi
    echo "$found"
}

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    local bin port
    bin=$(bindir)
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        chown postgres "$dir"
    fi
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync \
        >"$dir/initdb.log" 2>&1
    # Another process may take the port between choosing and binding it.
    for _ in 1 2 3; do
        port=$(free_port)
        if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" \
            start >/dev/null; then
            echo "postgresql://postgres@127.0.0.1:$port/postgres"
            return
        fi
    done
    echo "$0: the server did not start; see $dir/server.log" >&2
    exit 1
}

stop() {
    local bin
    bin=$(bindir)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    rm -rf "$dir"
}

case $action in
start) start ;;
stop) stop ;;
*) usage ;;
esac
