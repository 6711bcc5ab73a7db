#!/usr/bin/env bash
# Runs a command with COGNATE_TEST_DATABASE_URL pointing at a throwaway PostgreSQL cluster
# (made in a temp dir, on a free loopback port, removed afterwards). When the variable is
# already set, or PostgreSQL is not installed, the command runs as it is.
set -euo pipefail
if [ -n "${COGNATE_TEST_DATABASE_URL:-}" ]; then exec "$@"; fi
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "with-postgres: PostgreSQL not installed; PostgreSQL conformance cases will be skipped" >&2
  exec "$@"
fi
dir=$(mktemp -d /tmp/cognate-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
run_as=()
if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; run_as=(runuser -u postgres --); fi
cleanup() { "${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
"${run_as[@]}" "$bin/initdb" -D "$dir/data" -U cognate --auth=trust >/dev/null
"${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off" start >/dev/null
"${run_as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U cognate cognate_test
export COGNATE_TEST_DATABASE_URL="postgres://cognate@127.0.0.1:$port/cognate_test?sslmode=disable"
echo "with-postgres: $COGNATE_TEST_DATABASE_URL" >&2
"$@"
